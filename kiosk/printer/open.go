package printer

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Open returns the printer a URI names. It checks the URI but touches no
// hardware: an unplugged printer is found by Print or Status.
//
//	serial:///dev/ttyUSB0?baud=9600   serial port, 8N1 (baud defaults to 9600)
//	file:///dev/usb/lp0               USB (usblp) or parallel device file
//	tcp://192.168.1.50:9100           network printer's raw port (port defaults to 9100)
//	virtual:                          in-process virtual printer (virtual:?status=paperout)
//
// Every scheme takes timeout=DURATION (how long to wait for one status
// reply, default 1s) and status=off (never ask; for printers that do not
// answer DLE EOT on this link). tcp takes dial=DURATION (default 3s).
func Open(uri string) (Printer, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("printer URI %q: %w: write it like serial:///dev/ttyUSB0?baud=9600, file:///dev/usb/lp0, tcp://192.168.1.50:9100 or virtual:", uri, err)
	}
	q := u.Query()
	d := &device{uri: redact(u), timeout: DefaultReplyTimeout}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("printer URI %q: "+format, append([]any{uri}, args...)...)
	}
	for k := range q {
		allowed := map[string]bool{"timeout": true, "status": true, "baud": u.Scheme == "serial", "dial": u.Scheme == "tcp"}
		if u.Scheme == "virtual" {
			allowed["status"] = true
		}
		if !allowed[k] {
			return nil, bad("unknown option %q for %s: use timeout=1s, status=off%s", k, u.Scheme, map[string]string{"serial": ", baud=9600", "tcp": ", dial=3s"}[u.Scheme])
		}
	}
	if v := q.Get("timeout"); v != "" {
		if d.timeout, err = time.ParseDuration(v); err != nil || d.timeout <= 0 {
			return nil, bad("timeout=%s: use a duration such as 500ms or 2s", v)
		}
	}
	if u.Scheme != "virtual" {
		switch q.Get("status") {
		case "", "on":
		case "off":
			d.statusOff = true
		default:
			return nil, bad("status=%s: use status=off or leave it out", q.Get("status"))
		}
	}
	path := u.Path
	if path == "" {
		path = u.Opaque
	}
	switch u.Scheme {
	case "serial":
		if path == "" || u.Host != "" {
			return nil, bad("name the port as serial:///dev/ttyUSB0 (three slashes)")
		}
		baud := DefaultBaud
		if v := q.Get("baud"); v != "" {
			if baud, err = strconv.Atoi(v); err != nil || baud <= 0 {
				return nil, bad("baud=%s: use the printer's setting, e.g. 9600, 19200, 38400 or 115200", v)
			}
		}
		d.t = &serialTransport{path: path, baud: baud}
	case "file":
		if path == "" || u.Host != "" {
			return nil, bad("name the device as file:///dev/usb/lp0 (three slashes)")
		}
		d.t = &fileTransport{path: path}
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil {
			host, port = u.Host, "9100"
		}
		if host == "" {
			return nil, bad("name the printer as tcp://192.168.1.50:9100")
		}
		dial := DefaultDialTimeout
		if v := q.Get("dial"); v != "" {
			if dial, err = time.ParseDuration(v); err != nil || dial <= 0 {
				return nil, bad("dial=%s: use a duration such as 3s", v)
			}
		}
		d.t = &tcpTransport{addr: net.JoinHostPort(host, port), dial: dial}
	case "virtual":
		v := NewVirtual()
		if s := q.Get("status"); s != "" {
			st, err := ParseCondition(s)
			if err != nil {
				return nil, bad("%v", err)
			}
			v.Set(st)
		}
		vp := v.Printer().(*device)
		vp.timeout = d.timeout
		return vp, nil
	default:
		return nil, bad("unknown scheme %q: use serial, file, tcp or virtual", u.Scheme)
	}
	return d, nil
}

// redact drops user information from a URI before it goes into errors.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	s := c.String()
	if c.Scheme == "virtual" {
		s = strings.TrimSuffix(s, "?"+c.RawQuery)
	}
	return s
}

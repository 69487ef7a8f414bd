package printer

import (
	"context"
	"net"
	"time"
)

// tcpTransport reaches a network printer's raw port (9100). Each Print or
// Status dials a new connection and closes it afterwards: a printer takes
// one client at a time and drops idle ones, and a fresh connection never
// holds a stale reply.
type tcpTransport struct {
	addr string
	dial time.Duration
}

func (t *tcpTransport) open(ctx context.Context) (session, error) {
	d := net.Dialer{Timeout: t.dial, KeepAlive: -1}
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return &connSession{stream: stream{rw: c, dl: c, canRead: true}, c: c}, nil
}

func (t *tcpTransport) release(s session, failed bool) { s.(*connSession).c.Close() }

func (t *tcpTransport) close() error { return nil }

// connSession is a stream over a net.Conn.
type connSession struct {
	stream
	c net.Conn
}

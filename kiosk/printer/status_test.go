package printer

import (
	"errors"
	"strings"
	"testing"
)

// Reply bytes as the ESC/POS reference tabulates them: 0x12 is the fixed
// part (bits 1 and 4 on).
func TestParseStatus(t *testing.T) {
	cases := []struct {
		name    string
		r       Replies
		want    Status
		kind    error
		message string
	}{
		{"online", Replies{Printer: 0x12, Paper: 0x12}, Status{Online: true}, nil, "打印机正常"},
		{"online, drawer pin high", Replies{Printer: 0x16, Paper: 0x12}, Status{Online: true}, nil, "打印机正常"},
		{"near end", Replies{Printer: 0x12, Paper: 0x1E}, Status{Online: true, PaperNearEnd: true}, nil, "打印纸即将用完"},
		{"paper out", Replies{Printer: 0x1A, Offline: 0x32, Paper: 0x7E}, Status{PaperOut: true}, ErrPaperOut, "打印机缺纸，请联系工作人员"},
		{"paper end sensor only", Replies{Printer: 0x12, Paper: 0x72}, Status{Online: true, PaperOut: true}, ErrPaperOut, "缺纸"},
		{"cover open", Replies{Printer: 0x1A, Offline: 0x16, Paper: 0x12}, Status{CoverOpen: true}, ErrCoverOpen, "打印机盖未关好"},
		{"cutter error", Replies{Printer: 0x1A, Offline: 0x52, Error: 0x1A, Paper: 0x12}, Status{Error: true}, ErrFault, "打印机故障"},
		{"offline, waiting", Replies{Printer: 0x3A, Offline: 0x12, Paper: 0x12}, Status{}, ErrOffline, "打印机未就绪"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseStatus(c.r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Online != c.want.Online || got.PaperOut != c.want.PaperOut || got.PaperNearEnd != c.want.PaperNearEnd ||
				got.CoverOpen != c.want.CoverOpen || got.Error != c.want.Error {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if err := got.Err(); !errors.Is(err, c.kind) || (c.kind == nil) != (err == nil) {
				t.Errorf("Err() = %v, want %v", err, c.kind)
			}
			if !strings.Contains(got.Message, c.message) || got.Reason == "" {
				t.Errorf("message %q reason %q", got.Message, got.Reason)
			}
		})
	}
	if _, err := ParseStatus(Replies{Printer: 0xFF}); err == nil || !strings.Contains(err.Error(), "baud") {
		t.Errorf("a byte that is no reply: %v", err)
	}
}

func TestParsePortStatus(t *testing.T) {
	if s := ParsePortStatus(0x18); !s.Online || s.PaperOut || s.Error {
		t.Errorf("selected, no error: %+v", s)
	}
	if s := ParsePortStatus(0x38); !errors.Is(s.Err(), ErrPaperOut) {
		t.Errorf("paper empty: %+v", s)
	}
	if s := ParsePortStatus(0x10); !errors.Is(s.Err(), ErrFault) {
		t.Errorf("error: %+v", s)
	}
	if s := ParsePortStatus(0x08); !errors.Is(s.Err(), ErrOffline) {
		t.Errorf("not selected: %+v", s)
	}
}

func TestVirtualReplies(t *testing.T) {
	for _, c := range []Condition{{}, {PaperOut: true}, {CoverOpen: true}, {Fault: true}, {PaperNearEnd: true}, {Offline: true}} {
		r := Replies{Printer: c.reply(1), Paper: c.reply(4)}
		if !c.Ready() {
			r.Offline = c.reply(2)
			r.Error = c.reply(3)
		}
		s, err := ParseStatus(r)
		if err != nil {
			t.Fatal(err)
		}
		if s.PaperOut != c.PaperOut || s.CoverOpen != c.CoverOpen || s.Error != c.Fault || s.Online != c.Ready() ||
			s.PaperNearEnd != (c.PaperNearEnd && !c.PaperOut) {
			t.Errorf("%+v reads back as %+v", c, s)
		}
	}
}

func TestMessage(t *testing.T) {
	if m := Message(newError(ErrPaperOut, "tcp://x", "print", nil)); m != "打印机缺纸，请联系工作人员" {
		t.Error(m)
	}
	if m := Message(errors.New("something else")); !strings.Contains(m, "请联系工作人员") {
		t.Error(m)
	}
	err := newError(ErrUnreachable, "tcp://192.168.1.50:9100", "print", errors.New("connection refused"))
	for _, want := range []string{"tcp://192.168.1.50:9100", "print", "unreachable", "connection refused", "check the cable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestParseCondition(t *testing.T) {
	c, err := ParseCondition("paperout, coveropen")
	if err != nil || !c.PaperOut || !c.CoverOpen {
		t.Fatal(c, err)
	}
	if _, err := ParseCondition("jammed"); err == nil {
		t.Fatal("jammed accepted")
	}
}

func TestPart(t *testing.T) {
	near, _ := ParseStatus(Replies{Printer: 0x12, Paper: 0x1E})
	out, _ := ParseStatus(Replies{Printer: 0x1A, Offline: 0x32, Paper: 0x7E})
	cases := []struct {
		st   Status
		err  error
		want string
	}{
		{Status{Online: true}, nil, "ok"},
		{near, nil, "paper_low"},
		{out, nil, "paper_out"},
		{Status{}, newError(ErrUnreachable, "tcp://x", "print", errors.New("refused")), "offline"},
		{Status{}, newError(ErrCoverOpen, "tcp://x", "print", nil), "cover_open"},
		{Status{}, newError(ErrNoStatus, "file:///dev/usb/lp0", "status", nil), "ok"},
		{Status{}, errors.New("odd"), "error"},
	}
	for _, c := range cases {
		if got := Part(c.st, c.err); got.Status != c.want {
			t.Errorf("Part(%+v, %v) = %+v, want %s", c.st, c.err, got, c.want)
		}
	}
}

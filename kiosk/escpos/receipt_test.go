package escpos

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var cst = time.FixedZone("CST", 8*3600)

func sampleTicket() Ticket {
	return Ticket{
		Point: "榜头镇后埔村法律服务联系点", Number: "A003", Service: "法律咨询", Ahead: 2,
		Wait: 14*time.Minute + 40*time.Second, Issued: time.Date(2025, 11, 27, 9, 30, 0, 0, cst), ClockTrusted: true,
		StatusURL: "https://fw.xianyou.example/q/4f2a9c/A003",
	}
}

func sampleBooking() Booking {
	return Booking{
		Point: "榜头镇后埔村法律服务联系点", Code: "K7Q2M9", Service: "法律咨询",
		Adviser: "张三明", AdviserTitle: "律师",
		Start: time.Date(2025, 11, 28, 9, 30, 0, 0, cst), End: time.Date(2025, 11, 28, 10, 0, 0, 0, cst),
		Name: "李四", Phone: "13812345678", Confirmed: true,
		URL: "https://fw.xianyou.example/b/K7Q2M9",
	}
}

// printed is what a test reads off a receipt: the decoded commands, the
// text lines, and the text with the size it was printed at.
type printed struct {
	cmds  []Command
	texts []string
	sizes map[string]int // text -> GS ! n in force
	qr    []string
	qrMod []int
	cut   bool
}

func readReceipt(t *testing.T, b []byte) printed {
	t.Helper()
	cmds, err := Decode(b)
	if err != nil {
		t.Fatalf("the receipt does not decode: %v", err)
	}
	p := printed{cmds: cmds, sizes: map[string]int{}}
	size := 0
	chinese := false
	for _, c := range cmds {
		switch c.Op {
		case OpChineseOn:
			chinese = true
		case OpSize:
			size = c.Arg(0)
		case OpText:
			if !chinese {
				t.Errorf("text %q before FS &", c.Text)
			}
			p.texts = append(p.texts, c.Text)
			p.sizes[c.Text] = size
		case OpQRModule:
			p.qrMod = append(p.qrMod, c.Arg(0))
		case OpQRStore:
			p.qr = append(p.qr, string(c.Data))
		case OpCut:
			p.cut = true
		}
	}
	if len(cmds) < 2 || cmds[0].Op != OpInit || cmds[1].Op != OpChineseOn {
		t.Errorf("the receipt does not start with ESC @ FS &: %v", cmds[:min(len(cmds), 2)])
	}
	if cmds[len(cmds)-1].Op != OpCut {
		t.Errorf("the receipt does not end with a cut")
	}
	return p
}

func (p printed) has(s string) bool {
	for _, t := range p.texts {
		if t == s {
			return true
		}
	}
	return false
}

func TestTicketReceipt(t *testing.T) {
	for _, paper := range []Paper{Paper58, Paper80} {
		t.Run(paper.Name, func(t *testing.T) {
			tk := sampleTicket()
			b, err := TicketReceipt(paper, tk)
			if err != nil {
				t.Fatal(err)
			}
			p := readReceipt(t, b)
			big := map[string]int{"58mm": 0x22, "80mm": 0x33}[paper.Name]
			if got, ok := p.sizes["A003"]; !ok || got != big {
				t.Errorf("A003 printed at GS ! 0x%02X (found %v), want 0x%02X", got, ok, big)
			}
			for _, want := range []string{"榜头镇后埔村法律服务联系点", "法律咨询", "前面还有 2 人在等候", "预计等候约 15 分钟",
				"取号时间：2025-11-27 09:30", "扫码查看排队进度", "法律服务热线：12348"} {
				if !p.has(want) {
					t.Errorf("no line %q in %q", want, p.texts)
				}
			}
			if len(p.qr) != 1 || p.qr[0] != tk.StatusURL {
				t.Errorf("QR payload %q, want %q", p.qr, tk.StatusURL)
			}
			// The QR code fits the paper with its quiet zone.
			w, _ := QRWidth(len(tk.StatusURL), LevelM)
			if p.qrMod[0] < 3 || w*p.qrMod[0] > paper.Dots {
				t.Errorf("module %d dots for %d modules on %d dots", p.qrMod[0], w, paper.Dots)
			}
			// The raw bytes carry the text in GB18030.
			gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("前面还有 2 人在等候"))
			if !bytes.Contains(b, gb) {
				t.Error("the GB18030 bytes of the people-ahead line are not in the stream")
			}
			// Every line fits the paper.
			for _, l := range Render(p.cmds, paper) {
				if Width(l) > paper.Columns && !strings.HasPrefix(strings.TrimSpace(l), "[QR") {
					t.Errorf("line %q is wider than %d columns", l, paper.Columns)
				}
			}
		})
	}
}

func TestTicketReceiptUntrustedClock(t *testing.T) {
	tk := sampleTicket()
	tk.ClockTrusted = false
	tk.Ahead = 0
	b, err := TicketReceipt(Paper58, tk)
	if err != nil {
		t.Fatal(err)
	}
	p := readReceipt(t, b)
	if !p.has("取号时间：时间未校准") || !p.has("前面没有人在等候") {
		t.Errorf("lines: %q", p.texts)
	}
	for _, s := range p.texts {
		if strings.Contains(s, "2025") {
			t.Errorf("an untrusted time is printed: %q", s)
		}
	}
}

func TestTicketReceiptOptionalParts(t *testing.T) {
	b, err := TicketReceipt(Paper58, Ticket{Number: "B012", Ahead: -1})
	if err != nil {
		t.Fatal(err)
	}
	p := readReceipt(t, b)
	if len(p.qr) != 0 || !p.has("B012") {
		t.Errorf("texts %q qr %q", p.texts, p.qr)
	}
	for _, s := range p.texts {
		if strings.Contains(s, "前面") {
			t.Errorf("unknown ahead printed: %q", s)
		}
	}
	if _, err := TicketReceipt(Paper58, Ticket{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no number: %v", err)
	}
	// A contact-point name the printer's font cannot carry is refused...
	_, err = TicketReceipt(Paper58, Ticket{Number: "A1", Point: "𠀀村"})
	if !errors.Is(err, ErrUnprintable) || !strings.Contains(err.Error(), "A1") {
		t.Errorf("unprintable point: %v", err)
	}
	// ...or printed with a stand-in when the kiosk asks for one.
	b, err = TicketReceipt(Paper58, Ticket{Number: "A1", Point: "𠀀村"}, WithReplacement('□'))
	if err != nil || !readReceipt(t, b).has("□村") {
		t.Errorf("replacement: %v", err)
	}
}

func TestBookingSlip(t *testing.T) {
	for _, paper := range []Paper{Paper58, Paper80} {
		t.Run(paper.Name, func(t *testing.T) {
			bk := sampleBooking()
			b, err := BookingSlip(paper, bk)
			if err != nil {
				t.Fatal(err)
			}
			p := readReceipt(t, b)
			for _, want := range []string{"K7Q2M9", "状态：已确认", "服务：法律咨询", "咨询对象：张** 律师",
				"日期：2025年11月28日 星期五", "时间：09:30-10:00", "预约人：李*", "手机：138****5678"} {
				if !p.has(want) {
					t.Errorf("no line %q in %q", want, p.texts)
				}
			}
			if p.sizes["K7Q2M9"] != 0x11 {
				t.Errorf("booking code at GS ! 0x%02X", p.sizes["K7Q2M9"])
			}
			if len(p.qr) != 1 || p.qr[0] != bk.URL {
				t.Errorf("QR %q", p.qr)
			}
			assertNoPersonalData(t, b, p)
		})
	}
}

func TestBookingSlipPending(t *testing.T) {
	bk := sampleBooking()
	bk.Confirmed = false
	bk.Phone = "138-1234 5678"
	b, err := BookingSlip(Paper58, bk)
	if err != nil {
		t.Fatal(err)
	}
	p := readReceipt(t, b)
	if !p.has("状态：待确认") || !p.has("手机：138****5678") {
		t.Errorf("lines %q", p.texts)
	}
	assertNoPersonalData(t, b, p)
}

// assertNoPersonalData checks that neither the bytes nor the decoded text
// carry the full phone number or the given names past the surname.
func assertNoPersonalData(t *testing.T, b []byte, p printed) {
	t.Helper()
	all := strings.Join(p.texts, "\n") + strings.Join(p.qr, "\n")
	for _, secret := range []string{"13812345678", "81234", "2345678", "三明", "明", "四"} {
		if strings.Contains(all, secret) {
			t.Errorf("the slip shows %q", secret)
		}
		gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(secret))
		if bytes.Contains(b, gb) {
			t.Errorf("the bytes carry %q", secret)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":    "138****5678",
		"138 1234 5678":  "138****5678",
		"138-1234-5678":  "138****5678",
		"+8613812345678": "+86*******5678",
		"12348":          "***48",
		"":               "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	b, err := TicketReceipt(Paper58, sampleTicket())
	if err != nil {
		t.Fatal(err)
	}
	cmds, _ := Decode(b)
	lines := Render(cmds, Paper58)
	text := strings.Join(lines, "\n")
	for _, want := range []string{"A  0  0  3", "[QR https://fw.xianyou.example/q/4f2a9c/A003]", "法律服务热线：12348"} {
		if !strings.Contains(text, want) {
			t.Errorf("render lacks %q:\n%s", want, text)
		}
	}
	// Centred: "您的号码" is 8 columns on 32, so 12 spaces before it.
	found := false
	for _, l := range lines {
		if l == strings.Repeat(" ", 12)+"您的号码" {
			found = true
		}
	}
	if !found {
		t.Errorf("您的号码 not centred:\n%s", text)
	}
}

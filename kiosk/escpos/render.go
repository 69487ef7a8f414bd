package escpos

import "strings"

// Render shows decoded commands as the plain-text lines a printer on paper
// would print, for logs, the console and tests: alignment is applied,
// characters printed w times wide take w columns (and are shown spaced
// out), a QR code is shown as "[QR <data>]", a cut as a line of dashes.
// Lines longer than the paper wrap as the printer wraps them.
func Render(cmds []Command, p Paper) []string {
	rd := renderer{paper: p, w: 1}
	for _, c := range cmds {
		rd.do(c)
	}
	if len(rd.line) > 0 {
		rd.flush()
	}
	return rd.out
}

type renderer struct {
	paper Paper
	out   []string
	line  []rune
	lineW int
	w     int
	align byte
	qr    string
}

func (rd *renderer) do(c Command) {
	switch c.Op {
	case OpInit:
		rd.w, rd.align = 1, 0
	case OpAlign:
		rd.align = byte(c.Arg(0)) % 48
	case OpSize:
		rd.w = c.Arg(0)>>4 + 1
	case OpText:
		for _, r := range c.Text {
			cw := RuneWidth(r) * rd.w
			if rd.lineW+cw > rd.paper.Columns {
				rd.flush()
			}
			rd.line = append(rd.line, r)
			for i := 1; i < rd.w; i++ {
				rd.line = append(rd.line, ' ')
			}
			rd.lineW += cw
		}
	case OpLF, OpCR:
		if c.Op == OpLF || len(rd.line) > 0 {
			rd.flush()
		}
	case OpFeedLines:
		if len(rd.line) > 0 {
			rd.flush()
		}
		for i := 0; i < c.Arg(0); i++ {
			rd.out = append(rd.out, "")
		}
	case OpQRStore:
		rd.qr = string(c.Data)
	case OpQRPrint:
		if len(rd.line) > 0 {
			rd.flush()
		}
		rd.line = []rune("[QR " + rd.qr + "]")
		rd.lineW = Width(string(rd.line))
		rd.flush()
	case OpCut:
		if len(rd.line) > 0 {
			rd.flush()
		}
		rd.out = append(rd.out, strings.Repeat("-", rd.paper.Columns))
	}
}

func (rd *renderer) flush() {
	s := strings.TrimRight(string(rd.line), " ")
	pad := rd.paper.Columns - Width(s)
	switch {
	case pad <= 0 || s == "":
	case rd.align == 1:
		s = strings.Repeat(" ", pad/2) + s
	case rd.align == 2:
		s = strings.Repeat(" ", pad) + s
	}
	rd.out = append(rd.out, s)
	rd.line, rd.lineW = rd.line[:0], 0
}

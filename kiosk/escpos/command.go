package escpos

import (
	"fmt"
	"strconv"
	"strings"
)

// Control bytes that start ESC/POS commands.
const (
	HT  = 0x09
	LF  = 0x0A
	FF  = 0x0C
	CR  = 0x0D
	DLE = 0x10
	EOT = 0x04
	ESC = 0x1B
	FS  = 0x1C
	GS  = 0x1D
)

// Op is one ESC/POS command (or a run of text).
type Op uint8

// The commands the encoder writes and the Reader accepts. Anything else is
// an unknown command to the Reader.
const (
	OpText Op = iota + 1 // printable text; Command.Text holds it decoded

	OpLF // LF: print and feed one line
	OpCR // CR: carriage return (ignored by most thermal printers)
	OpHT // HT: horizontal tab
	OpFF // FF: print and return to standard mode (page mode)

	OpInit         // ESC @: initialise the printer
	OpPrintMode    // ESC ! n: font, bold, double height/width, underline bits
	OpRightSpacing // ESC SP n: right-side character spacing
	OpUnderline    // ESC - n
	OpLineSpacing0 // ESC 2: default line spacing
	OpLineSpacing  // ESC 3 n: line spacing n dots
	OpBold         // ESC E n: emphasis on (n&1) or off
	OpDoubleStrike // ESC G n
	OpFeedDots     // ESC J n: print and feed n dots
	OpFont         // ESC M n: character font A/B
	OpCharset      // ESC R n: international character set
	OpAlign        // ESC a n: 0/48 left, 1/49 centre, 2/50 right
	OpFeedLines    // ESC d n: print and feed n lines
	OpDrawer       // ESC p m t1 t2: drawer kick pulse
	OpCodePage     // ESC t n: character code table (single-byte characters)
	OpUpsideDown   // ESC { n
	OpSize         // GS ! n: character size, width (bits 4-7) and height (bits 0-3)
	OpReverse      // GS B n: white on black
	OpLeftMargin   // GS L nL nH
	OpCut          // GS V m [n]: cut the paper
	OpPrintWidth   // GS W nL nH
	OpASB          // GS a n: automatic status back
	OpRaster       // GS v 0 m xL xH yL yH d...: raster bit image
	OpQRModel      // GS ( k <fn 65> (function 165): QR model
	OpQRModule     // GS ( k <fn 67> (function 167): module size in dots
	OpQRLevel      // GS ( k <fn 69> (function 169): error-correction level
	OpQRStore      // GS ( k <fn 80> (function 180): store the data; Command.Data holds it
	OpQRPrint      // GS ( k <fn 81> (function 181): print the stored symbol
	OpQRSizeInfo   // GS ( k <fn 82> (function 182): transmit the symbol's size
	OpChineseMode  // FS ! n: Chinese character print mode (double width/height, underline)
	OpChineseOn    // FS &: Chinese character mode on (two-byte GB text)
	OpChineseLine  // FS - n: Chinese character underline
	OpChineseOff   // FS .: Chinese character mode off
	OpChineseCode  // FS C n: Chinese/Kanji code system
	OpChineseQuad  // FS W n: quadruple-size Chinese characters
	OpStatus       // DLE EOT n: transmit real-time status (n = 1..4)
	opCount
)

var opNames = [opCount]string{
	OpText: "text", OpLF: "LF", OpCR: "CR", OpHT: "HT", OpFF: "FF",
	OpInit: "ESC @", OpPrintMode: "ESC !", OpRightSpacing: "ESC SP", OpUnderline: "ESC -",
	OpLineSpacing0: "ESC 2", OpLineSpacing: "ESC 3", OpBold: "ESC E", OpDoubleStrike: "ESC G",
	OpFeedDots: "ESC J", OpFont: "ESC M", OpCharset: "ESC R", OpAlign: "ESC a",
	OpFeedLines: "ESC d", OpDrawer: "ESC p", OpCodePage: "ESC t", OpUpsideDown: "ESC {",
	OpSize: "GS !", OpReverse: "GS B", OpLeftMargin: "GS L", OpCut: "GS V",
	OpPrintWidth: "GS W", OpASB: "GS a", OpRaster: "GS v 0",
	OpQRModel: "GS ( k QR model", OpQRModule: "GS ( k QR module", OpQRLevel: "GS ( k QR level",
	OpQRStore: "GS ( k QR store", OpQRPrint: "GS ( k QR print", OpQRSizeInfo: "GS ( k QR size info",
	OpChineseMode: "FS !", OpChineseOn: "FS &", OpChineseLine: "FS -", OpChineseOff: "FS .",
	OpChineseCode: "FS C", OpChineseQuad: "FS W", OpStatus: "DLE EOT",
}

// String is the command's mnemonic as the reference writes it, e.g. "ESC a".
func (o Op) String() string {
	if o > 0 && o < opCount {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one decoded command.
type Command struct {
	Op     Op
	Args   []byte // the numeric parameters after the command bytes (n, m, ...)
	Data   []byte // the payload: QR data (OpQRStore), raster bits, or the raw GB18030 bytes of a text run
	Text   string // OpText only: Data decoded to UTF-8
	Offset int64  // where the command starts in the stream
}

// Arg returns the i-th parameter, or -1 when there is none.
func (c Command) Arg(i int) int {
	if i < len(c.Args) {
		return int(c.Args[i])
	}
	return -1
}

// String shows the command for logs and test failures, e.g. `ESC a 1`,
// `text "前面还有 2 人"`, `GS ( k QR store "https://..."`.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(c.Op.String())
	switch c.Op {
	case OpText:
		b.WriteString(" " + strconv.Quote(c.Text))
		return b.String()
	case OpQRStore:
		b.WriteString(" " + strconv.Quote(string(c.Data)))
		return b.String()
	case OpRaster:
		fmt.Fprintf(&b, " m=%d %dx%d bytes", c.Arg(0), int(c.Arg(1))|c.Arg(2)<<8, int(c.Arg(3))|c.Arg(4)<<8)
		return b.String()
	}
	for _, a := range c.Args {
		b.WriteString(" " + strconv.Itoa(int(a)))
	}
	return b.String()
}

// Alignment is the ESC a argument.
type Alignment byte

// Alignments.
const (
	Left   Alignment = 0
	Center Alignment = 1
	Right  Alignment = 2
)

// Level is a QR error-correction level, the function 169 argument.
type Level byte

// QR error-correction levels (the share of the symbol that may be damaged).
const (
	LevelL Level = 48 // ~7 %
	LevelM Level = 49 // ~15 %
	LevelQ Level = 50 // ~25 %
	LevelH Level = 51 // ~30 %
)

func (l Level) String() string {
	switch l {
	case LevelL:
		return "L"
	case LevelM:
		return "M"
	case LevelQ:
		return "Q"
	case LevelH:
		return "H"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// Status request kinds for DLE EOT n.
const (
	StatusPrinter = 1 // printer status: offline (bit 3)
	StatusOffline = 2 // offline cause: cover open (bit 2), paper-end stop (bit 5), error (bit 6)
	StatusError   = 3 // error cause: autocutter (bit 3), unrecoverable (bit 5), auto-recoverable (bit 6)
	StatusPaper   = 4 // roll paper sensor: near end (bits 2,3), paper end (bits 5,6)
)

// StatusRequest returns the DLE EOT n bytes that ask for one status byte.
func StatusRequest(n byte) []byte { return []byte{DLE, EOT, n} }

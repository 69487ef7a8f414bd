package render

import (
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestLinesBreakRules(t *testing.T) {
	// fixedFont: Chinese characters 2 dots wide, ASCII 1.
	tests := []struct {
		name  string
		text  string
		width int
		want  []string
	}{
		{"comma stays with its character, number kept whole", "反诈骗，请拨打12348。", 8,
			[]string{"反诈骗，", "请拨打", "12348。"}},
		{"comma pulls its character to the next line", "反诈骗，请拨打", 6,
			[]string{"反诈", "骗，请", "拨打"}},
		{"number wider than a line is split, the rule relaxed", "拨打12348。", 6,
			[]string{"拨打", "12348", "。"}},
		{"opening bracket never ends a line", "请看《宪法》第一条", 6,
			[]string{"请看", "《宪", "法》第", "一条"}},
		{"closing quote and full stop stay together", "他说：“好。”再见", 8,
			[]string{"他说：", "“好。”", "再见"}},
		{"ellipsis pair is not split and not at line start", "等等……好", 6,
			[]string{"等", "等……", "好"}},
		{"dash pair is not split", "法治——人民", 6,
			[]string{"法治", "——人", "民"}},
		{"explicit newlines", "法治\n宣传\n\n教育", 20,
			[]string{"法治", "宣传", "", "教育"}},
		{"trailing newline makes no blank line", "法治\n", 20,
			[]string{"法治"}},
		{"CRLF is a newline", "法治\r\n宣传", 20,
			[]string{"法治", "宣传"}},
		{"spaces hang at the end of a line", "call 12348 now", 10,
			[]string{"call 12348 ", "now"}},
		{"long ASCII word split by character", "www.12348.gov.cn", 8,
			[]string{"www.1234", "8.gov.cn"}},
		{"Chinese and ASCII mixed", "12348热线", 6,
			[]string{"12348", "热线"}},
		{"exact fit", "宪法是国", 8, []string{"宪法是国"}},
		{"empty text", "", 8, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Layout{W: tt.width, H: 1, Font: fixedFont{}}
			got, err := l.Lines([]Run{{Text: tt.text}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lines(%q, width %d) = %q, want %q", tt.text, tt.width, got, tt.want)
			}
		})
	}
}

func TestLinesAcrossRuns(t *testing.T) {
	// Colour runs do not affect where lines break: 。 starts a new run but
	// still may not start a line.
	l := Layout{W: 6, H: 1, Font: fixedFont{}}
	got, err := l.Lines([]Run{{Text: "请拨打12348"}, {Text: "。谢谢"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"请拨打", "12348", "。谢谢"}
	// "12348。" is 7 wide > 6: the number and its full stop are one
	// cluster, so the split is forced; with room they stay together:
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	l.W = 7
	got, _ = l.Lines([]Run{{Text: "请拨打12348"}, {Text: "。谢谢"}})
	if want := []string{"请拨打", "12348。", "谢谢"}; !reflect.DeepEqual(got, want) {
		t.Errorf("width 7: got %q, want %q", got, want)
	}
}

// Alphabets for the properties.
var (
	hanzi      = []rune("宪法是国家的根本请拨打律师调解援助公证")
	closings   = []rune("，。、！？；：）》」』】〕…’”")
	openings   = []rune("（《「『【〔‘“")
	asciiChars = []rune("abcXYZ0123456789")
)

// anyText draws text from every kind of character, in any order.
func anyText() *rapid.Generator[string] {
	all := append(append(append(append([]rune{}, hanzi...), closings...), openings...), asciiChars...)
	all = append(all, ' ', '\n', '—', '.', '(', ')', ',')
	return rapid.Custom(func(t *rapid.T) string {
		rs := rapid.SliceOfN(rapid.SampledFrom(all), 0, 60).Draw(t, "runes")
		return string(rs)
	})
}

// wellFormedText draws text whose unbreakable clusters are at most 10 dots
// wide (at most two opening or closing marks around a character, ASCII
// words of at most 5 characters), as real messages are.
func wellFormedText() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		n := rapid.IntRange(0, 30).Draw(t, "tokens")
		lastASCII := false
		for i := 0; i < n; i++ {
			switch k := rapid.IntRange(0, 5).Draw(t, "kind"); {
			case k == 0 && !lastASCII:
				w := rapid.SliceOfN(rapid.SampledFrom(asciiChars), 1, 5).Draw(t, "word")
				b.WriteString(string(w))
				lastASCII = true
				continue
			case k == 1:
				for _, r := range rapid.SliceOfN(rapid.SampledFrom(openings), 1, 2).Draw(t, "open") {
					b.WriteRune(r)
				}
				b.WriteRune(rapid.SampledFrom(hanzi).Draw(t, "han"))
			case k == 2:
				b.WriteRune(rapid.SampledFrom(hanzi).Draw(t, "han"))
				for _, r := range rapid.SliceOfN(rapid.SampledFrom(closings), 1, 2).Draw(t, "close") {
					b.WriteRune(r)
				}
			case k == 3:
				b.WriteString(rapid.SampledFrom([]string{" ", "\n"}).Draw(t, "space"))
			default:
				b.WriteRune(rapid.SampledFrom(hanzi).Draw(t, "han"))
			}
			lastASCII = false
		}
		return b.String()
	})
}

// checkLines checks the properties every layout must have.
func checkLines(t *rapid.T, text string, width int, strict bool) {
	for _, para := range strings.Split(text, "\n") {
		lines := breakParagraph(cellsOf(para), width)
		var joined strings.Builder
		for i, ln := range lines {
			s := lineString(ln)
			joined.WriteString(s)
			rs := []rune(s)
			if len(rs) == 0 && len(para) > 0 {
				t.Fatalf("empty line %d in %q", i, para)
			}
			if w := ln.width(); w > width && len(strings.TrimRight(s, " \u3000")) > len(string(rs[0])) {
				t.Fatalf("line %q is %d dots wide, more than %d", s, w, width)
			}
			if strict && ln.forced {
				t.Fatalf("line %q was force-broken in well-formed text %q at width %d", s, para, width)
			}
			if ln.forced {
				// A forced break only happens inside a cluster: the line
				// holds no break opportunity and neither does its end.
				for j := 1; j < len(rs); j++ {
					if canBreak(rs[j-1], rs[j]) {
						t.Fatalf("forced line %q could have broken before %q", s, rs[j])
					}
				}
				continue
			}
			if i > 0 && !lines[i-1].forced && IsClosing(rs[0]) {
				t.Fatalf("line %d %q starts with closing punctuation (text %q, width %d)", i, s, para, width)
			}
			if i < len(lines)-1 && IsOpening(rs[len(rs)-1]) {
				t.Fatalf("line %d %q ends with opening punctuation (text %q, width %d)", i, s, para, width)
			}
		}
		if joined.String() != para {
			t.Fatalf("lines joined are %q, not %q", joined.String(), para)
		}
	}
	// Through the public API: joining lines gives the text minus newlines.
	l := Layout{W: width, H: 1, Font: fixedFont{}}
	got, err := l.Lines([]Run{{Text: text}})
	if width >= 2 && err != nil {
		t.Fatal(err)
	}
	if err == nil && strings.Join(got, "") != strings.ReplaceAll(text, "\n", "") {
		t.Fatalf("Lines(%q) = %q: joined they are not the text minus newlines", text, got)
	}
}

func TestLinesPropertyAnyText(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkLines(t, anyText().Draw(t, "text"), rapid.IntRange(1, 40).Draw(t, "width"), false)
	})
}

func TestLinesPropertyNeverForced(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkLines(t, wellFormedText().Draw(t, "text"), rapid.IntRange(10, 40).Draw(t, "width"), true)
	})
}

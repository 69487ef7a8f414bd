package escpos

import (
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"A003": 4, "法律咨询": 8, "前面还有 2 人": 13, "：": 2, "": 0} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		s    string
		cols int
		want []string
	}{
		{"法律咨询", 32, []string{"法律咨询"}},
		{"一二三四五六七八九十", 8, []string{"一二三四", "五六七八", "九十"}},
		// A closing comma never starts a line: the character before it moves down.
		{"一二三四，五六", 8, []string{"一二三", "四，五六"}},
		// An opening bracket never ends a line.
		{"一二三《宪法》", 8, []string{"一二三", "《宪法》"}},
		// Numbers and words stay whole when they fit.
		{"请拨打热线12348咨询", 12, []string{"请拨打热线", "12348咨询"}},
		// A word longer than a line is split by character.
		{"https://example.cn/abc", 10, []string{"https://ex", "ample.cn/a", "bc"}},
		// Spaces at a break are dropped.
		{"前面还有 2 人在等候", 10, []string{"前面还有 2", "人在等候"}},
		{"a\nb", 10, []string{"a", "b"}},
		{"", 10, []string{""}},
	}
	for _, c := range cases {
		if got := Wrap(c.s, c.cols); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.s, c.cols, got, c.want)
		}
	}
}

// Every line fits, and nothing but spaces is lost or added.
func TestWrapProperties(t *testing.T) {
	alphabet := []rune("法律援助人民调解公证，。、（）《》“”12348 abcAB-/.:")
	rapid.Check(t, func(t *rapid.T) {
		rs := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 80).Draw(t, "text")
		cols := rapid.IntRange(2, 48).Draw(t, "cols")
		s := string(rs)
		lines := Wrap(s, cols)
		for _, l := range lines {
			if Width(l) > cols {
				t.Fatalf("line %q is %d wide, more than %d", l, Width(l), cols)
			}
		}
		strip := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if got := strip(strings.Join(lines, "")); got != strip(s) {
			t.Fatalf("wrapped text %q differs from %q", got, strip(s))
		}
	})
}

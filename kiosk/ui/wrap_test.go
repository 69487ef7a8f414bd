package ui_test

import (
	"strings"
	"testing"

	"lawpoint/display/render"
	"lawpoint/kiosk/ui"
)

func TestWrapKeepsPunctuationRules(t *testing.T) {
	m := measurer(t)
	text := "经济困难需要法律帮助？请拨打12348公共法律服务热线。“法律援助”是免费的（不收钱）。"
	for w := 150.0; w < 700; w += 7 {
		lines := ui.Wrap(text, w, 30, m)
		if strings.Join(lines, "") != text {
			t.Fatalf("width %.0f: text changed: %q", w, lines)
		}
		for i, l := range lines {
			r := []rune(l)
			if len(r) == 0 {
				t.Fatalf("width %.0f: empty line in %q", w, lines)
			}
			if i > 0 && render.IsClosing(r[0]) {
				t.Errorf("width %.0f: line %q starts with closing punctuation", w, l)
			}
			if i < len(lines)-1 && render.IsOpening(r[len(r)-1]) {
				t.Errorf("width %.0f: line %q ends with opening punctuation", w, l)
			}
			if strings.Contains(l, "1234") != strings.Contains(l, "12348") && !strings.HasPrefix(l, "8") {
				t.Errorf("width %.0f: 12348 split: %q", w, lines)
			}
			if len(r) > 1 && m.Advance(l, 30) > w+0.5 {
				t.Errorf("width %.0f: line %q is %.0f wide", w, l, m.Advance(l, 30))
			}
		}
	}
}

func TestWrapBreaksAtNewlines(t *testing.T) {
	got := ui.Wrap("第一行\n第二行", 1000, 30, measurer(t))
	if len(got) != 2 || got[1] != "第二行" {
		t.Errorf("Wrap = %q", got)
	}
}

func TestArticlePagesKeepEveryCharacter(t *testing.T) {
	m := measurer(t)
	body := strings.Repeat("宪法是国家的根本法，尊崇宪法、学习宪法、遵守宪法、维护宪法。", 12)
	pages := ui.Paginator(m)(body)
	if len(pages) < 2 {
		t.Fatalf("a long article fits one page: %d pages", len(pages))
	}
	if got := strings.ReplaceAll(strings.Join(pages, ""), "\n", ""); got != body {
		t.Errorf("pages lost text")
	}
	for i, p := range pages {
		if n := strings.Count(p, "\n") + 1; n > 6 {
			t.Errorf("page %d has %d lines", i+1, n)
		}
	}
}

package ui_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lawpoint/display/render"
	"lawpoint/kiosk/ui"
)

// shippedStrings are the string literals of the kiosk's non-test sources
// (package kiosk and its subpackages, and its command).
func shippedStrings(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, root := range []string{"..", "../../cmd/lawpoint-kiosk"} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test") && p != root) {
				return filepath.SkipDir
			}
			if d.IsDir() && root == ".." && p != root && isOthers(d.Name()) {
				return filepath.SkipDir // queue, escpos, printer: other engineers' packages, checked there
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						out[s] = p
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func isOthers(name string) bool { return name == "queue" || name == "escpos" || name == "printer" }

func isChinese(s string) bool {
	for _, r := range s {
		if r >= 0x2000 {
			return true
		}
	}
	return false
}

// TestEveryShippedStringHasGlyphs: no tofu. Every string literal with
// Chinese in it, and every character the screens show, is in WenQuanYi
// Micro Hei (which lacks, for example, ℃).
func TestEveryShippedStringHasGlyphs(t *testing.T) {
	f := loadFont(t)
	lits := shippedStrings(t)
	n := 0
	for s, file := range lits {
		if !isChinese(s) {
			continue
		}
		n++
		if miss := render.Missing(f, strings.ReplaceAll(s, "\t", "")); len(miss) > 0 {
			t.Errorf("%s: %q has no glyph for %q", file, s, string(miss))
		}
	}
	if n < 100 {
		t.Errorf("only %d Chinese strings found: is the source scan broken?", n)
	}
	if miss := render.Missing(f, "0123456789*：，。？！、（）“”·　—"); len(miss) > 0 {
		t.Errorf("no glyph for %q", string(miss))
	}
	// And everything laid out on every screen.
	m := measurer(t)
	for _, sc := range scenes(t) {
		fr := ui.Layout(sc.view, 800, 480, m)
		for _, it := range fr.Items {
			for _, line := range it.Lines {
				if miss := render.Missing(f, line); len(miss) > 0 {
					t.Errorf("%s: %q has no glyph for %q", sc.name, line, string(miss))
				}
			}
		}
	}
}

func TestTheGlyphCheckCatchesTofu(t *testing.T) {
	if miss := render.Missing(loadFont(t), "气温25℃"); string(miss) != "℃" {
		t.Errorf("WenQuanYi should lack ℃; Missing = %q", string(miss))
	}
}

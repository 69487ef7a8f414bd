package ui_test

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/ui"
)

var sizes = [][2]int{{800, 480}, {1280, 800}, {1024, 600}}

func TestEveryScreenMeetsTheRulesForElderlyUsers(t *testing.T) {
	m := measurer(t)
	all := scenes(t)
	seen := map[flow.Screen]bool{}
	for _, sz := range sizes {
		for _, sc := range all {
			seen[sc.view.Screen] = true
			f := ui.Layout(sc.view, sz[0], sz[1], m)
			where := fmt.Sprintf("%dx%d %s", sz[0], sz[1], sc.name)
			checkFrame(t, where, sc.view, f, m)
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d screens checked", len(seen))
	}
}

func checkFrame(t *testing.T, where string, v flow.View, f ui.Frame, m ui.Measurer) {
	t.Helper()
	screen := image.Rect(0, 0, f.W, f.H)
	minT := int(ui.MinTarget*f.Scale + 0.5)
	// Every live button is on screen as a target, and nothing else is.
	want := map[string]bool{}
	for _, b := range v.Buttons() {
		want[b.ID] = true
	}
	for _, tg := range f.Targets {
		if !want[tg.ID] {
			t.Errorf("%s: target %s (%s) is not a live button", where, tg.ID, tg.Label)
		}
		delete(want, tg.ID)
		if tg.Rect.Dx() < minT || tg.Rect.Dy() < minT {
			t.Errorf("%s: %q is %dx%d, smaller than %dx%d", where, tg.Label, tg.Rect.Dx(), tg.Rect.Dy(), minT, minT)
		}
		if !tg.Rect.In(screen) {
			t.Errorf("%s: %q at %v is off the %v screen", where, tg.Label, tg.Rect, screen)
		}
	}
	for id := range want {
		t.Errorf("%s: button %s is not laid out", where, id)
	}
	for i, a := range f.Targets {
		for _, b := range f.Targets[i+1:] {
			if a.Rect.Overlaps(b.Rect) {
				t.Errorf("%s: %q %v overlaps %q %v", where, a.Label, a.Rect, b.Label, b.Rect)
			}
		}
	}
	for _, it := range f.Items {
		if !it.Rect.In(screen) {
			t.Errorf("%s: %v item %q at %v is off screen", where, it.Kind, strings.Join(it.Lines, ""), it.Rect)
		}
		if it.Kind != ui.KindText {
			continue
		}
		text := strings.Join(it.Lines, "")
		min := ui.MinBodyText
		if it.Role == ui.RoleMain {
			min = ui.MinMainText
		}
		if it.Size+0.01 < float64(min)*f.Scale {
			t.Errorf("%s: %q is %.1f px, under %.1f", where, text, it.Size, float64(min)*f.Scale)
		}
		if c := ui.Contrast(it.Ink, it.On); c < 4.5 {
			t.Errorf("%s: %q contrast %.2f:1 is under 4.5:1", where, text, c)
		}
		for _, line := range it.Lines {
			if w := m.Advance(line, it.Size); w > float64(it.Rect.Dx())+2 {
				t.Errorf("%s: line %q is %.0f px wide in a %d px box", where, line, w, it.Rect.Dx())
			}
		}
		if h := float64(len(it.Lines)) * it.LineHeight; h > float64(it.Rect.Dy())+2 {
			t.Errorf("%s: %q needs %.0f px of height in a %d px box", where, text, h, it.Rect.Dy())
		}
	}
}

func TestScaledLayoutIsTheSameArrangement(t *testing.T) {
	m := measurer(t)
	for _, sc := range scenes(t) {
		a := ui.Layout(sc.view, 800, 480, m)
		b := ui.Layout(sc.view, 1280, 800, m)
		if len(a.Targets) != len(b.Targets) {
			t.Fatalf("%s: %d targets at 800x480, %d at 1280x800", sc.name, len(a.Targets), len(b.Targets))
		}
		for i := range a.Targets {
			if b.Targets[i].Rect.Dx() < a.Targets[i].Rect.Dx()*3/2 {
				t.Errorf("%s: %q did not grow with the screen", sc.name, a.Targets[i].Label)
			}
		}
	}
}

func TestTapsFindTheirButtons(t *testing.T) {
	m := measurer(t)
	for _, sc := range scenes(t) {
		f := ui.Layout(sc.view, 1280, 800, m)
		for _, tg := range f.Targets {
			c := tg.Rect.Min.Add(tg.Rect.Size().Div(2))
			if got, ok := f.Hit(c.X, c.Y); !ok || got.ID != tg.ID {
				t.Errorf("%s: a tap on %q hits %q", sc.name, tg.Label, got.Label)
			}
		}
	}
	f := ui.Layout(flow.New(flow.Services{}, flow.Config{}).View(), 800, 480, m)
	if _, ok := f.Hit(400, 30); ok {
		t.Error("a tap on the title hits a button")
	}
}

func TestPaletteContrast(t *testing.T) {
	for name, st := range ui.Styles() {
		if c := ui.Contrast(st.Ink, st.Fill); c < 4.5 {
			t.Errorf("%s: label contrast %.2f", name, c)
		}
		if st.SubInk.A != 0 {
			if c := ui.Contrast(st.SubInk, st.Fill); c < 4.5 {
				t.Errorf("%s: second line contrast %.2f", name, c)
			}
		}
	}
	for _, p := range []struct {
		name   string
		fg, bg interface{}
	}{} {
		_ = p
	}
	pairs := map[string][2]ui.Style{}
	_ = pairs
	for name, c := range map[string]float64{
		"ink on background":  ui.Contrast(ui.Ink, ui.Background),
		"title on header":    ui.Contrast(ui.HeaderInk, ui.Header),
		"footer":             ui.Contrast(ui.Ink, ui.Footer),
		"call band":          ui.Contrast(ui.Ink, ui.CallBand),
		"grey ink on paper":  ui.Contrast(ui.GreyInk, ui.Background),
		"empty number white": ui.Contrast(ui.GreyInk, ui.White),
		"ticket number":      ui.Contrast(ui.Header, ui.White),
	} {
		if c < 4.5 {
			t.Errorf("%s: contrast %.2f", name, c)
		}
	}
	if c := ui.Contrast(ui.White, ui.Ink); c < 15 {
		t.Errorf("contrast white/ink %.2f: the formula is off", c)
	}
}

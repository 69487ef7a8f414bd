package render

import (
	"os"
	"strings"
	"testing"
)

// benchText is a legal-education message; a full 256x64 page holds 64
// characters of it at 16 dots (4 lines of 16) and 16 at 32 dots (2 of 8).
var benchText = []rune(strings.Repeat("宪法是国家的根本法，公民应当遵守宪法和法律。请拨打热线咨询。", 3))

func benchPage(b *testing.B, size int) {
	l := Layout{W: 256, H: 64, Font: face(b, size)}
	n := (256 / size) * (64 / size)
	runs := []Run{{Text: string(benchText[:n])}}
	if pages, err := l.Pages(runs); err != nil || len(pages) != 1 { // also warms the glyph cache
		b.Fatalf("%d characters at %d dots: %d pages, %v; want one full page", n, size, len(pages), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := l.Pages(runs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPage256x64At16(b *testing.B) { benchPage(b, 16) }
func BenchmarkPage256x64At32(b *testing.B) { benchPage(b, 32) }

// BenchmarkPage256x64At32Cold includes rasterising every glyph, as the
// first message after start-up does.
func BenchmarkPage256x64At32Cold(b *testing.B) {
	src, err := loadTTSource(DefaultTrueTypePath)
	if err != nil {
		b.Fatal(err)
	}
	runs := []Run{{Text: string(benchText[:16])}}
	b.ReportAllocs()
	for b.Loop() {
		f, err := src.face(32)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (Layout{W: 256, H: 64, Font: f}).Pages(runs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadUnifont reads and indexes the whole unifont.hex.
func BenchmarkLoadUnifont(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadUnifont(""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseUnifont indexes unifont.hex already in memory.
func BenchmarkParseUnifont(b *testing.B) {
	data, err := os.ReadFile(DefaultUnifontPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseUnifont(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadTrueType reads and parses wqy-microhei.ttc (realigning its
// tables) and makes a 32-dot face.
func BenchmarkLoadTrueType(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadTrueType("", 32); err != nil {
			b.Fatal(err)
		}
	}
}

package kiosk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/hajimehoshi/ebiten/v2/text/v2"

	"lawpoint/display/render"
)

// DefaultFontPath is WenQuanYi Micro Hei as Debian's fonts-wqy-microhei
// installs it. It covers GB2312, Latin digits and the punctuation the kiosk
// uses (the tests in kiosk/ui check every string).
const DefaultFontPath = render.DefaultTrueTypePath

// LoadFont reads the kiosk's font: a .ttf/.otf, or the first font of a .ttc
// collection (ebiten's text/v2 parses WenQuanYi's collection as it is).
func LoadFont(path string) (*text.GoTextFaceSource, error) {
	if path == "" {
		path = DefaultFontPath
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("kiosk: font %s is missing: install it with `apt-get install fonts-wqy-microhei` (or pass --font): %w", path, err)
		}
		return nil, fmt.Errorf("kiosk: cannot read font %s: %w", path, err)
	}
	if len(data) >= 4 && string(data[:4]) == "ttcf" {
		srcs, err := text.NewGoTextFaceSourcesFromCollection(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("kiosk: cannot parse font collection %s: %w (reinstall with `apt-get install --reinstall fonts-wqy-microhei`)", path, err)
		}
		if len(srcs) == 0 {
			return nil, fmt.Errorf("kiosk: font collection %s holds no fonts", path)
		}
		return srcs[0], nil
	}
	src, err := text.NewGoTextFaceSource(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("kiosk: cannot parse font %s: %w", path, err)
	}
	return src, nil
}

// measurer measures text with the kiosk's font (ui.Measurer).
type measurer struct {
	src   *text.GoTextFaceSource
	mu    sync.Mutex
	faces map[float64]*text.GoTextFace
}

func newMeasurer(src *text.GoTextFaceSource) *measurer {
	return &measurer{src: src, faces: map[float64]*text.GoTextFace{}}
}

func (m *measurer) face(size float64) *text.GoTextFace {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.faces[size]
	if !ok {
		f = &text.GoTextFace{Source: m.src, Size: size, Language: zhHans}
		m.faces[size] = f
	}
	return f
}

// Advance implements ui.Measurer.
func (m *measurer) Advance(s string, size float64) float64 {
	return text.Advance(s, m.face(size))
}

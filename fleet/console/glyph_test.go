package console

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"lawpoint/fleet"
)

// A character the picture board's font lacks is named in Chinese, with
// its code, and nothing in English leaks into the message.
func TestPreviewNamesMissingCharacters(t *testing.T) {
	f := newFixture(t, nil)
	f.device("led-baxia", fleet.KindLED, "仙游县/榜头镇/坝下村", "BX-5E2 128x32")
	b := f.browser()
	b.signIn("admin")
	jq := url.Values{"body": {"法\U0002A6A5治"}, "colour": {"red"}, "effect": {"static"}, "target": {"仙游县/榜头镇"}}
	var out struct {
		Previews []preview `json:"previews"`
	}
	jp := b.get("/library/preview.json?" + jq.Encode())
	if err := json.Unmarshal([]byte(jp.body), &out); err != nil || len(out.Previews) != 1 {
		t.Fatalf("preview.json: %v %s", err, jp.body)
	}
	msg := out.Previews[0].Error
	if !strings.Contains(msg, "BX-5E2 的屏用的字体里没有这些字：“\U0002A6A5”（U+2A6A5）") || strings.Contains(msg, "render") || strings.Contains(msg, "glyph") {
		t.Fatalf("missing character message: %q", msg)
	}
}

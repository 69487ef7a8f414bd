package display

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"lawpoint/content"
)

// LocalMessage is one entry of the simple local content file `lawpoint-led
// play` accepts besides a whole content.Set: a text and its airtime.
type LocalMessage struct {
	Text        string         `json:"text"`
	Seconds     int            `json:"seconds,omitempty"` // airtime per turn; 0 means 10
	Colour      content.Colour `json:"colour,omitempty"`
	Effect      content.Effect `json:"effect,omitempty"`
	Speed       int            `json:"speed,omitempty"`
	StaySeconds int            `json:"stay_seconds,omitempty"`
}

// LocalProgramme is the programme ID a simple message list becomes.
const LocalProgramme = "local"

// LocalContent reads a content file for a board without a fleet: either a
// content.Set in JSON (docs/CONTENT.md), or a JSON list of messages — plain
// strings or LocalMessage objects — played in order, for ever, as the
// fallback programme of LED boards.
func LocalContent(data []byte) (*content.Set, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		s, err := content.DecodeSet(data)
		if err != nil {
			return nil, fmt.Errorf("display: the content file is not a valid content set: %w", err)
		}
		return s, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("display: the content file is neither a content set ({...}) nor a list of messages ([...]): %v; see docs/LED.md for the format (内容文件格式有误)", err)
	}
	if len(raw) == 0 {
		return nil, errors.New("display: the content file lists no messages; add at least one (内容文件里没有消息)")
	}
	set := &content.Set{Fallbacks: map[string]string{content.DeviceLED: LocalProgramme}}
	prog := content.Programme{ID: LocalProgramme, Name: "local file"}
	for i, r := range raw {
		var m LocalMessage
		var s string
		if err := json.Unmarshal(r, &s); err == nil {
			m.Text = s
		} else {
			dec := json.NewDecoder(bytes.NewReader(r))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("display: message %d of the content file: %v; give a string or {\"text\":..., \"seconds\":...} (第%d条消息格式有误)", i+1, err, i+1)
			}
		}
		if strings.TrimSpace(m.Text) == "" {
			return nil, fmt.Errorf("display: message %d of the content file has no text (第%d条消息没有文字)", i+1, i+1)
		}
		if m.Seconds == 0 {
			m.Seconds = 10
		}
		id := fmt.Sprintf("msg-%d", i+1)
		set.Items = append(set.Items, content.NewText(id, 1, content.Text{Body: m.Text, Colour: m.Colour, Effect: m.Effect, Speed: m.Speed, StaySeconds: m.StaySeconds}))
		prog.Entries = append(prog.Entries, content.Entry{ItemID: id, Seconds: m.Seconds})
	}
	set.Programmes = []content.Programme{prog}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("display: the content file's messages are not valid: %w", err)
	}
	return set, nil
}

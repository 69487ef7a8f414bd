package flow

import "strings"

// keyField is a field typed on the on-screen keypad: the characters its
// keys add, how many it takes at most, the button that ends typing, the
// check that button runs and the keypad shown for the text typed so far.
type keyField struct {
	keys  string
	max   int
	ok    string
	valid func(string) error
	pad   func(string) *Keypad
}

var (
	phoneField = keyField{keys: "0123456789", max: 11, ok: TargetPhoneOK, valid: ValidPhone, pad: keypad}
	codeField  = keyField{keys: CodeAlphabet, max: RefLen, ok: TargetCodeOK, valid: ValidCode, pad: codeKeypad}
)

// show puts the keypad for text on v, its OK button labelled label, and
// the error line bad when there is one.
func (f keyField) show(v *View, text, bad, label string) {
	v.Keypad = f.pad(text)
	v.Actions = []Button{{ID: f.ok, Label: label, Tone: TonePrimary}}
	if bad != "" {
		v.Notice = &Notice{Kind: NoticeError, Text: bad}
	}
}

// tap applies the tap on id to the typed text and its error line bad: 删除
// takes off the last character, 清空 empties both, a key adds its character
// while there is room, and the OK button checks the text. It reports
// whether OK was tapped on a valid text.
func (f keyField) tap(id string, text, bad *string) bool {
	switch {
	case id == TargetKeyDelete:
		if *text != "" {
			*text = (*text)[:len(*text)-1]
		}
		*bad = ""
	case id == TargetKeyClear:
		*text, *bad = "", ""
	case id == f.ok:
		if err := f.valid(*text); err != nil {
			*bad = err.Error()
			return false
		}
		*bad = ""
		return true
	case strings.HasPrefix(id, targetKeyPrefix):
		c := id[len(targetKeyPrefix):]
		if len(c) == 1 && strings.Contains(f.keys, c) && len(*text) < f.max {
			*text += c
		}
		*bad = ""
	}
	return false
}

package content

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxSetSize caps the JSON DecodeSet and DecodeSchedule read, in bytes.
const MaxSetSize = 32 << 20

// DecodeSchedule reads one schedule from JSON, strictly (unknown fields and
// trailing data are errors), and validates it on its own (Schedule.Validate:
// whether its programme exists is for Set.Validate). Every error is
// Problems.
func DecodeSchedule(data []byte) (Schedule, error) {
	var s Schedule
	if err := decodeStrict(data, &s); err != nil {
		return Schedule{}, err
	}
	if err := s.Validate(); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// DecodeSet reads a whole set from JSON, strictly, and validates it
// (Set.Validate). Every error is Problems.
func DecodeSet(data []byte) (*Set, error) {
	s := new(Set)
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func decodeStrict(data []byte, v any) error {
	if len(data) > MaxSetSize {
		return Problems{{Field: "", Err: ErrInvalid,
			Problem: fmt.Sprintf("input is %d bytes, over the %d-byte limit", len(data), MaxSetSize),
			Fix:     "split the upload into smaller parts",
			Message: "上传的数据过大，请分批上传"}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("data continues after the JSON value")
		}
	}
	if err == nil {
		return nil
	}
	fe := &FieldError{Err: ErrInvalid, Problem: "the JSON cannot be read: " + strings.TrimPrefix(err.Error(), "json: "),
		Fix: "send one JSON object with the documented snake_case fields (docs/CONTENT.md)", Message: "数据格式有误，无法读取，请检查后重新提交"}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		fe.Field = te.Field
		fe.Problem = fmt.Sprintf("has a JSON %s where %s is expected", te.Value, te.Type)
		fe.Fix = "send the value in the documented type"
		fe.Message = fmt.Sprintf("字段“%s”的类型不正确，请检查", te.Field)
	case errors.As(err, &se):
		fe.Problem = fmt.Sprintf("the JSON is broken at byte %d: %v", se.Offset, se)
	case strings.Contains(err.Error(), "unknown field"):
		fe.Field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fe.Problem = "is not a field of this object"
		fe.Fix = "remove it or check its spelling against docs/CONTENT.md"
		fe.Message = fmt.Sprintf("未知字段“%s”，请删除或检查拼写", fe.Field)
	}
	return Problems{fe}
}

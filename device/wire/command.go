package wire

import (
	"encoding/json"
	"fmt"
	"time"
)

// CommandKind names what a command asks for.
type CommandKind string

// The command kinds of schema 1. A device answers a kind it does not know
// with ResultUnsupported.
const (
	CmdPing          CommandKind = "ping"           // no args; data: PingData
	CmdReboot        CommandKind = "reboot"         // no args; result sent after the reboot
	CmdRestart       CommandKind = "restart"        // no args; restart the application, not the OS
	CmdResync        CommandKind = "resync"         // no args; re-read desired state, re-verify content, republish reported
	CmdSetBrightness CommandKind = "set_brightness" // SetBrightnessArgs; until the next desired state
	CmdIdentify      CommandKind = "identify"       // IdentifyArgs; flash the screen or board
	CmdScreenshot    CommandKind = "screenshot"     // ScreenshotArgs; data: ScreenshotData
)

// CommandKinds returns every command kind of schema 1.
func CommandKinds() []CommandKind {
	return []CommandKind{CmdPing, CmdReboot, CmdRestart, CmdResync, CmdSetBrightness, CmdIdentify, CmdScreenshot}
}

// SetBrightnessArgs are the arguments of set_brightness.
type SetBrightnessArgs struct {
	Percent int `json:"percent"`
}

// IdentifyArgs are the arguments of identify.
type IdentifyArgs struct {
	// Seconds to flash, 1..300 (0 means 10).
	Seconds int `json:"seconds"`
}

// ScreenshotArgs are the arguments of screenshot.
type ScreenshotArgs struct {
	// UploadPath is the fleet HTTP path the device PUTs the PNG to with its
	// own credentials, e.g. "/api/devices/kiosk-0001/screenshots/{cmdID}".
	UploadPath string `json:"upload_path"`
}

// PingData is the result data of ping.
type PingData struct {
	UptimeS    uint64 `json:"uptime_s"`
	AppVersion string `json:"app_version"`
}

// ScreenshotData is the result data of screenshot.
type ScreenshotData struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Command is a message on lp/v1/dev/{id}/cmd, written only by the fleet.
type Command struct {
	Schema int `json:"schema"`
	// ID is unique per device (the fleet uses a UUID); a device runs each
	// ID at most once and answers a repeat with the stored result.
	ID       string          `json:"id"`
	Kind     CommandKind     `json:"kind"`
	Args     json.RawMessage `json:"args,omitempty"`
	IssuedAt time.Time       `json:"issued_at"`
	// Deadline is in fleet time. A device with a trusted clock answers
	// ResultExpired after it; with an untrusted clock it runs the command.
	Deadline time.Time `json:"deadline"`
}

// TopicKind is the topic kind (cmd).
func (Command) TopicKind() Kind { return KindCommand }

func (c Command) withSchema() Payload {
	if c.Schema == 0 {
		c.Schema = Schema
	}
	return c
}

// Validate checks the envelope; the arguments are checked by DecodeArgs.
func (cmd Command) Validate() error {
	c := check{kind: KindCommand}
	c.schema(cmd.Schema)
	c.token("id", cmd.ID, 64, true)
	c.code("kind", string(cmd.Kind), true)
	c.object("args", cmd.Args, false)
	c.timeSet("issued_at", cmd.IssuedAt)
	c.timeSet("deadline", cmd.Deadline)
	c.that(!cmd.Deadline.Before(cmd.IssuedAt), "deadline", "is before issued_at; give the device time to run it")
	return c.err
}

// DecodeCommand decodes and validates a command envelope. A command of an
// unknown kind decodes fine; DecodeArgs then says ErrUnsupported.
func DecodeCommand(b []byte) (Command, error) {
	var cmd Command
	if err := decodeStrict(KindCommand, b, &cmd); err != nil {
		return Command{}, err
	}
	if err := cmd.Validate(); err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// Expired reports whether the deadline has passed at now; only meaningful
// with a trusted clock.
func (cmd Command) Expired(now time.Time) bool { return now.After(cmd.Deadline) }

// DecodeArgs decodes and checks the arguments for the command's kind and
// returns *SetBrightnessArgs, *IdentifyArgs, *ScreenshotArgs, or nil for
// kinds without arguments. An unknown kind gives an error wrapping
// ErrUnsupported (answer ResultUnsupported); bad arguments give one wrapping
// ErrMalformed or ErrInvalid (answer ResultFailed with the error).
func (cmd Command) DecodeArgs() (any, error) {
	c := check{kind: KindCommand}
	switch cmd.Kind {
	case CmdPing, CmdReboot, CmdRestart, CmdResync:
		var none struct{}
		if err := strictInto(KindCommand, "args", cmd.Args, &none); err != nil {
			return nil, err
		}
		return nil, nil
	case CmdSetBrightness:
		var a SetBrightnessArgs
		if err := strictInto(KindCommand, "args", cmd.Args, &a); err != nil {
			return nil, err
		}
		c.percent("args.percent", a.Percent)
		return &a, c.err
	case CmdIdentify:
		var a IdentifyArgs
		if err := strictInto(KindCommand, "args", cmd.Args, &a); err != nil {
			return nil, err
		}
		if a.Seconds == 0 {
			a.Seconds = 10
		}
		c.that(a.Seconds >= 1 && a.Seconds <= 300, "args.seconds", "%d is outside 1..300", a.Seconds)
		return &a, c.err
	case CmdScreenshot:
		var a ScreenshotArgs
		if err := strictInto(KindCommand, "args", cmd.Args, &a); err != nil {
			return nil, err
		}
		c.that(len(a.UploadPath) > 1 && len(a.UploadPath) <= 512 && a.UploadPath[0] == '/' && !containsDotDot(a.UploadPath),
			"args.upload_path", "%q is not an absolute fleet path such as /api/devices/{id}/screenshots/{cmd}", truncate(a.UploadPath, 60))
		c.text("args.upload_path", a.UploadPath, 512, true)
		return &a, c.err
	}
	return nil, &DecodeError{Kind: KindCommand, Field: "kind", Class: ErrUnsupported,
		Problem: fmt.Sprintf("command kind %q is not known to this device; answer %q", truncate(string(cmd.Kind), 40), ResultUnsupported)}
}

func containsDotDot(p string) bool {
	for i := 0; i+1 < len(p); i++ {
		if p[i] == '.' && p[i+1] == '.' {
			return true
		}
	}
	return false
}

// ResultStatus is how a command ended.
type ResultStatus string

const (
	ResultOK          ResultStatus = "ok"
	ResultFailed      ResultStatus = "failed"
	ResultExpired     ResultStatus = "expired"
	ResultUnsupported ResultStatus = "unsupported"
)

// Result is a message on lp/v1/dev/{id}/result: how a command ended.
type Result struct {
	Schema int          `json:"schema"`
	ID     string       `json:"id"`
	Kind   CommandKind  `json:"kind"`
	Status ResultStatus `json:"status"`
	// Message says, for staff, what happened (required unless ok).
	Message      string          `json:"message,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	At           time.Time       `json:"at"`
	ClockTrusted bool            `json:"clock_trusted"`
}

// TopicKind is the topic kind (result).
func (Result) TopicKind() Kind { return KindResult }

func (r Result) withSchema() Payload {
	if r.Schema == 0 {
		r.Schema = Schema
	}
	return r
}

// Validate checks the fields against the contract.
func (r Result) Validate() error {
	c := check{kind: KindResult}
	c.schema(r.Schema)
	c.token("id", r.ID, 64, true)
	c.code("kind", string(r.Kind), true)
	switch r.Status {
	case ResultOK:
		c.text("message", r.Message, 1000, false)
	case ResultFailed, ResultExpired, ResultUnsupported:
		c.text("message", r.Message, 1000, true)
	default:
		c.fail("status", "%q is not ok, failed, expired or unsupported", truncate(string(r.Status), 20))
	}
	c.object("data", r.Data, false)
	c.timeSet("at", r.At)
	return c.err
}

// DecodeResult decodes and validates a command result.
func DecodeResult(b []byte) (Result, error) {
	var r Result
	if err := decodeStrict(KindResult, b, &r); err != nil {
		return Result{}, err
	}
	if err := r.Validate(); err != nil {
		return Result{}, err
	}
	return r, nil
}

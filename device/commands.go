package device

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"lawpoint/device/store"
	"lawpoint/device/wire"
)

// commandWorker runs commands one at a time, each ID at most once.
func (a *Agent) commandWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-a.commands:
			a.handleCommand(ctx, b)
		}
	}
}

func (a *Agent) handleCommand(ctx context.Context, b []byte) {
	cmd, err := wire.DecodeCommand(b)
	if err != nil {
		a.rejectDecoded(ctx, wire.KindCommand, err)
		return
	}
	rec, isNew, err := a.store.BeginCommand(ctx, cmd.ID, string(cmd.Kind), a.clock.Now())
	if err != nil {
		a.log.Error("cannot record a command; not running it", "id", cmd.ID, "err", err)
		return
	}
	if !isNew {
		// Seen before: resend the stored result; while it runs, nothing.
		if rec.State == store.CommandDone {
			a.sendResult(ctx, cmd.ID, rec.Result, true)
		}
		return
	}
	res, deferred := a.run(ctx, cmd)
	if deferred {
		return // reboot: the result is settled after the restart
	}
	a.finish(ctx, res)
}

// finish stores a result and sends it.
func (a *Agent) finish(ctx context.Context, res wire.Result) {
	res.At, res.ClockTrusted = a.clock.Now(), a.clock.Trusted()
	b, err := wire.Encode(res)
	if err != nil {
		a.log.Error("encoding a command result failed", "id", res.ID, "err", err)
		return
	}
	if err := a.store.FinishCommand(ctx, res.ID, b); err != nil {
		a.log.Error("storing a command result failed", "id", res.ID, "err", err)
	}
	a.sendResult(ctx, res.ID, b, false)
}

// sendResult publishes a stored result; unless again is set, one already
// sent (by sendUnsentResults after a connect) is not sent twice.
func (a *Agent) sendResult(ctx context.Context, id string, b []byte, again bool) {
	a.resultMu.Lock()
	defer a.resultMu.Unlock()
	if !again {
		if rec, err := a.store.Command(ctx, id); err == nil && rec.Sent {
			return
		}
	}
	c := a.current()
	if c == nil {
		a.store.MarkResultSent(ctx, id, false) // sent after the next connect
		return
	}
	if err := a.publishRaw(ctx, c, wire.KindResult, b); err != nil {
		a.log.Warn("sending a command result failed; it is sent again after the next connect", "id", id, "err", err)
		a.store.MarkResultSent(ctx, id, false)
		return
	}
	a.store.MarkResultSent(ctx, id, true)
}

// sendUnsentResults runs after every connect.
func (a *Agent) sendUnsentResults(ctx context.Context) {
	cmds, err := a.store.Unsent(ctx)
	if err != nil {
		a.log.Warn("reading unsent command results failed", "err", err)
		return
	}
	for _, c := range cmds {
		a.sendResult(ctx, c.ID, c.Result, false)
	}
	if n, _ := a.store.PruneCommands(ctx, time.Now().Add(-30*24*time.Hour)); n > 0 {
		a.log.Debug("forgot old command IDs", "count", n)
	}
}

// settleInterrupted answers the commands a restart cut short: a reboot
// that was running happened (ok); anything else failed.
func (a *Agent) settleInterrupted(ctx context.Context) error {
	cmds, err := a.store.Running(ctx)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		res := wire.Result{Schema: wire.Schema, ID: c.ID, Kind: wire.CommandKind(c.Kind), Status: wire.ResultOK,
			At: a.clock.Now(), ClockTrusted: a.clock.Trusted()}
		if c.Kind == string(wire.CmdReboot) {
			res.Message = "rebooted"
		} else {
			res.Status, res.Message = wire.ResultFailed, "interrupted by a restart of the device agent"
		}
		b, err := wire.Encode(res)
		if err != nil {
			return err
		}
		if err := a.store.FinishCommand(ctx, c.ID, b); err != nil {
			return err
		}
	}
	return nil
}

// run carries out one command; deferred is true when its result is
// settled after a reboot.
func (a *Agent) run(ctx context.Context, cmd wire.Command) (res wire.Result, deferred bool) {
	res = wire.Result{Schema: wire.Schema, ID: cmd.ID, Kind: cmd.Kind, Status: wire.ResultOK}
	fail := func(format string, args ...any) (wire.Result, bool) {
		res.Status, res.Message = wire.ResultFailed, fmt.Sprintf(format, args...)
		return res, false
	}
	if a.clock.Trusted() && cmd.Expired(a.clock.Now()) {
		res.Status, res.Message = wire.ResultExpired, "received after its deadline "+cmd.Deadline.UTC().Format(time.RFC3339)
		return res, false
	}
	args, err := cmd.DecodeArgs()
	if errors.Is(err, wire.ErrUnsupported) {
		res.Status, res.Message = wire.ResultUnsupported, fmt.Sprintf("this device (agent %s) does not know the command %q", a.cfg.AppVersion, cmd.Kind)
		return res, false
	}
	if err != nil {
		return fail("bad arguments: %v", err)
	}
	h := a.cfg.Hooks
	switch cmd.Kind {
	case wire.CmdPing:
		res.Data, _ = json.Marshal(wire.PingData{UptimeS: UptimeMS() / 1000, AppVersion: a.cfg.AppVersion})
	case wire.CmdReboot:
		if h.Reboot == nil {
			return fail("reboot is not available on this device")
		}
		a.reconnect(wire.OfflineReboot)
		if err := h.Reboot(ctx); err != nil {
			return fail("reboot failed: %v", err)
		}
		return res, true
	case wire.CmdRestart:
		if h.Restart == nil {
			return fail("restart is not available on this device")
		}
		a.finish(ctx, res) // the answer goes first: the agent is about to stop
		if err := h.Restart(ctx); err != nil {
			a.log.Error("restart failed", "err", err)
		}
		return res, true
	case wire.CmdResync:
		if err := a.resync(ctx); err != nil {
			return fail("resync: %v", err)
		}
	case wire.CmdSetBrightness:
		p := args.(*wire.SetBrightnessArgs).Percent
		if h.SetBrightness == nil {
			return fail("this device has no brightness control")
		}
		if err := h.SetBrightness(p); err != nil {
			return fail("setting brightness to %d%% failed: %v", p, err)
		}
		a.mu.Lock()
		a.report.brightness = &p
		a.mu.Unlock()
		a.publishReport(ctx)
	case wire.CmdIdentify:
		if h.Identify == nil {
			return fail("this device cannot flash its screen or board")
		}
		if err := h.Identify(ctx, time.Duration(args.(*wire.IdentifyArgs).Seconds)*time.Second); err != nil {
			return fail("identify failed: %v", err)
		}
	case wire.CmdScreenshot:
		data, err := a.screenshot(ctx, args.(*wire.ScreenshotArgs).UploadPath)
		if err != nil {
			return fail("screenshot: %v", err)
		}
		res.Data, _ = json.Marshal(data)
	default:
		res.Status, res.Message = wire.ResultUnsupported, fmt.Sprintf("command %q is not supported", cmd.Kind)
	}
	return res, false
}

// screenshot takes a PNG through the hook and PUTs it to the fleet with
// the device's credentials.
func (a *Agent) screenshot(ctx context.Context, path string) (wire.ScreenshotData, error) {
	if a.cfg.Hooks.Screenshot == nil {
		return wire.ScreenshotData{}, errors.New("this device cannot take a screenshot")
	}
	img, err := a.cfg.Hooks.Screenshot(ctx)
	if err != nil {
		return wire.ScreenshotData{}, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return wire.ScreenshotData{}, fmt.Errorf("the picture is not a PNG: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	u := strings.TrimSuffix(a.creds.FleetURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(img))
	if err != nil {
		return wire.ScreenshotData{}, err
	}
	req.SetBasicAuth(a.creds.DeviceID, a.creds.Password)
	req.Header.Set("Content-Type", "image/png")
	resp, err := a.http.Do(req)
	if err != nil {
		return wire.ScreenshotData{}, fmt.Errorf("uploading to the fleet: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return wire.ScreenshotData{}, fmt.Errorf("uploading to %s: the fleet answered %s", path, resp.Status)
	}
	sum := sha256.Sum256(img)
	return wire.ScreenshotData{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(img)), Width: cfg.Width, Height: cfg.Height}, nil
}

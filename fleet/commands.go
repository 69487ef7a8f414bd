package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"lawpoint/device/wire"
	"lawpoint/fleet/internal/ratelog"
)

// Command deadlines.
const (
	DefaultCommandDeadline = time.Hour
	MaxCommandDeadline     = 30 * 24 * time.Hour
)

// Dispatcher runs the durable command outbox of docs/PROTOCOL.md section
// 8: a command is stored first, published when the device is online (at
// once, or when it next comes online), published again every ResendAfter
// until a result arrives, and marked expired once its deadline passes.
// Results are recorded; a result after expiry is kept as a late result.
type Dispatcher struct {
	store Store
	bus   Bus
	log   *slog.Logger
	warn  *ratelog.Limiter
	now   func() time.Time

	// ResendAfter is how long a sent command waits for its result before
	// it is published again (default 1 minute).
	ResendAfter time.Duration
	// Tick is how often Run looks for commands to resend or expire
	// (default 10 s).
	Tick time.Duration

	online  chan []string
	results chan resultMsg
	kick    chan struct{}
}

type resultMsg struct {
	deviceID string
	r        wire.Result
	at       time.Time
}

// NewDispatcher returns a dispatcher on s publishing on bus.
func NewDispatcher(s Store, bus Bus, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{store: s, bus: bus, log: log, warn: ratelog.New(log, time.Minute), now: time.Now,
		ResendAfter: time.Minute, Tick: 10 * time.Second,
		online: make(chan []string, 256), results: make(chan resultMsg, 1024), kick: make(chan struct{}, 1)}
}

// SetClock replaces the clock (tests).
func (p *Dispatcher) SetClock(now func() time.Time) { p.now = now }

// NewCommandID returns a random command ID (32 hex digits).
func NewCommandID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ScreenshotPath is where a device uploads the picture for a screenshot
// command.
func ScreenshotPath(deviceID, cmdID string) string {
	return "/api/devices/" + deviceID + "/screenshots/" + cmdID
}

// Create checks and stores a command for a device, and publishes it at
// once if the device is online. deadline 0 means DefaultCommandDeadline
// from now. For screenshot the fleet sets the upload path itself.
func (p *Dispatcher) Create(ctx context.Context, author, deviceID string, kind wire.CommandKind, args json.RawMessage, deadline time.Duration) (Command, error) {
	if !slices.Contains(wire.CommandKinds(), kind) {
		return Command{}, invalidField("kind", fmt.Sprintf("command %q is unknown: use ping, reboot, restart, resync, set_brightness, identify or screenshot", kind),
			"未知的指令类型，可用：ping（连通测试）、reboot（重启）、restart（重启程序）、resync（重新同步）、set_brightness（亮度）、identify（闪烁识别）、screenshot（截屏）")
	}
	if deadline == 0 {
		deadline = DefaultCommandDeadline
	}
	if deadline < 0 || deadline > MaxCommandDeadline {
		return Command{}, invalidField("deadline", "the deadline must be within 30 days", "指令有效期须在30天以内")
	}
	now := p.now().UTC().Truncate(time.Second)
	c := Command{ID: NewCommandID(), DeviceID: deviceID, Kind: kind, Issued: now, Deadline: now.Add(deadline), State: CommandPending, CreatedBy: author}
	if kind == wire.CmdScreenshot {
		args, _ = json.Marshal(wire.ScreenshotArgs{UploadPath: ScreenshotPath(deviceID, c.ID)})
	}
	if len(args) > 0 && string(args) != "null" {
		c.Args = args
	}
	wc := wireCommand(c)
	if _, err := wc.DecodeArgs(); err != nil {
		return Command{}, invalidField("args", "bad arguments: "+err.Error(), "指令参数有误："+argsHint(kind))
	}
	if _, err := wire.Encode(wc); err != nil {
		return Command{}, invalidField("args", err.Error(), "指令参数过长或有误")
	}
	if err := p.store.CreateCommand(ctx, c); err != nil {
		return Command{}, err
	}
	if pr, err := p.store.Presence(ctx, deviceID); err == nil && pr.Online {
		p.send(ctx, []Command{c})
		if fresh, err := p.store.Command(ctx, c.ID); err == nil {
			c = fresh
		}
	}
	return c, nil
}

func argsHint(kind wire.CommandKind) string {
	switch kind {
	case wire.CmdSetBrightness:
		return `亮度指令需要 {"percent": 0到100}`
	case wire.CmdIdentify:
		return `识别指令可带 {"seconds": 1到300}`
	}
	return "该指令不需要参数"
}

func wireCommand(c Command) wire.Command {
	return wire.Command{Schema: wire.Schema, ID: c.ID, Kind: c.Kind, Args: c.Args, IssuedAt: c.Issued, Deadline: c.Deadline}
}

// send publishes commands and records that they were sent.
func (p *Dispatcher) send(ctx context.Context, cs []Command) {
	var sent []string
	for _, c := range cs {
		b, err := wire.Encode(wireCommand(c))
		if err != nil {
			p.warn.Warn("cmd-encode", "command cannot be encoded; it will expire", "command", c.ID, "error", err)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = p.bus.Publish(pctx, wire.Topic(c.DeviceID, wire.KindCommand), b, 1, false)
		cancel()
		if err != nil {
			p.warn.Warn("cmd-publish", "command not published; retrying", "device", c.DeviceID, "error", err)
			continue
		}
		sent = append(sent, c.ID)
	}
	if len(sent) > 0 {
		if err := p.store.MarkSent(ctx, sent, p.now()); err != nil {
			p.warn.Warn("cmd-mark", "could not record sent commands; they will be sent again", "error", err)
		}
	}
}

// OnPresence is the presence tracker's hook: devices that came online get
// their open commands. It does not block.
func (p *Dispatcher) OnPresence(ps []Presence) {
	var ids []string
	for _, pr := range ps {
		if pr.Online {
			ids = append(ids, pr.DeviceID)
		}
	}
	if len(ids) == 0 {
		return
	}
	select {
	case p.online <- ids:
	default:
		p.Kick() // the queue is full: the next tick sends to every online device
	}
}

// Kick asks Run to look at the outbox now.
func (p *Dispatcher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Subscribe subscribes to every device's command results.
func (p *Dispatcher) Subscribe(ctx context.Context, bus Bus) error {
	if err := bus.Subscribe(ctx, wire.SharedFilter(wire.KindResult), 1, p.HandleResult); err != nil {
		return fmt.Errorf("command results: %w", err)
	}
	return nil
}

// HandleResult decodes a result and queues it for Run.
func (p *Dispatcher) HandleResult(m Message) {
	id, kind, err := wire.ParseTopic(m.Topic)
	if err != nil || kind != wire.KindResult {
		p.warn.Warn("result-topic", "message on an unexpected result topic ignored", "topic", m.Topic)
		return
	}
	if spec, _ := wire.SpecOf(wire.KindResult); len(m.Payload) > spec.MaxBytes {
		p.warn.Warn("result:"+id+":too_large", "oversized command result dropped", "device", id, "bytes", len(m.Payload))
		return
	}
	r, err := wire.DecodeResult(m.Payload)
	if err != nil {
		p.warn.Warn("result:"+id+":"+wire.Code(err), "command result refused", "device", id, "error", err)
		return
	}
	select {
	case p.results <- resultMsg{id, r, p.now()}:
	default:
		p.warn.Warn("result-queue", "result queue full; a result was dropped (the device resends it when the command is resent)", "device", id)
	}
}

// Run sends, resends, expires and records until ctx ends.
func (p *Dispatcher) Run(ctx context.Context) error {
	tick := time.NewTicker(p.Tick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ids := <-p.online:
			cs, err := p.store.OpenCommands(ctx, ids, p.now())
			if err != nil {
				p.warn.Warn("cmd-open", "open commands not read", "error", err)
				continue
			}
			p.send(ctx, cs)
		case r := <-p.results:
			p.record(ctx, r)
		case <-p.kick:
			p.sweep(ctx, true)
		case <-tick.C:
			p.sweep(ctx, false)
		}
	}
}

func (p *Dispatcher) record(ctx context.Context, r resultMsg) {
	c, err := p.store.RecordResult(ctx, r.deviceID, r.r, r.at)
	switch {
	case errors.Is(err, ErrNotFound):
		p.warn.Warn("result-unknown:"+r.deviceID, "result for a command this device never got; ignored", "device", r.deviceID, "command", r.r.ID)
	case err != nil:
		p.warn.Warn("result-store", "result not stored; the device resends it when the command is resent", "error", err)
	case c.Late:
		p.log.Info("late command result recorded", "device", r.deviceID, "command", c.ID, "kind", c.Kind, "status", r.r.Status)
	}
}

// sweep expires overdue commands and resends those waiting too long (all
// open ones of online devices when all is set).
func (p *Dispatcher) sweep(ctx context.Context, all bool) {
	now := p.now()
	if exp, err := p.store.ExpireCommands(ctx, now); err != nil {
		p.warn.Warn("cmd-expire", "commands not expired", "error", err)
	} else if len(exp) > 0 {
		p.log.Info("commands expired without a result", "count", len(exp))
	}
	open, err := p.store.OpenCommands(ctx, nil, now)
	if err != nil || len(open) == 0 {
		return
	}
	online := map[string]bool{}
	var due []Command
	for _, c := range open {
		if !all && c.State == CommandSent && now.Sub(c.LastSent) < p.ResendAfter {
			continue
		}
		on, seen := online[c.DeviceID]
		if !seen {
			pr, err := p.store.Presence(ctx, c.DeviceID)
			on = err == nil && pr.Online
			online[c.DeviceID] = on
		}
		if on {
			due = append(due, c)
		}
	}
	p.send(ctx, due)
}

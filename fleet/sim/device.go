package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"lawpoint/device/wire"
)

// Record is a simulated device as the state file keeps it.
type Record struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Region   string `json:"region"`
	Password string `json:"password"`
	// Session is the last presence session used (PROTOCOL.md section 5);
	// the next connect uses Session+1. Saved when a run ends.
	Session uint64 `json:"session"`
}

// subscriptions are the five topics a device reads (PROTOCOL.md section 4).
var readKinds = []wire.Kind{wire.KindDesired, wire.KindCommand, wire.KindAck, wire.KindTime, wire.KindPresence}

// maxIncoming caps a packet we read: the largest payload plus topic and
// header (PROTOCOL.md section 1).
const maxIncoming = 1 << 20

// device is one simulated device: one goroutine that connects, reads and
// reacts, reconnecting with wire.Backoff. Everything below the atomics is
// owned by that goroutine.
type device struct {
	Record
	s   *Sim
	idx int
	rng *rand.Rand

	wmu  sync.Mutex // guards conn and writes to it
	conn net.Conn

	connected atomic.Bool
	upSince   atomic.Int64 // ns since the sim started, when connected
	// recvVersion is the newest desired version received, recvAt when.
	recvVersion atomic.Uint64
	recvAt      atomic.Int64
	// ackVersion is the newest version reported converged and taken by
	// the broker (PUBACK), ackAt when.
	ackVersion atomic.Uint64
	ackAt      atomic.Int64

	// owned by the device goroutine
	seq           uint64
	applied       uint64 // desired version applied
	serial        uint64 // manifest serial in use
	settings      *wire.Settings
	nextID        uint16
	reportID      uint16
	reportVersion uint64
	reportOK      bool
	repaired      bool
}

func (d *device) packetID() uint16 {
	d.nextID++
	if d.nextID == 0 {
		d.nextID = 1
	}
	return d.nextID
}

// write sends one packet on the current connection.
func (d *device) write(b []byte) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.conn == nil {
		return net.ErrClosed
	}
	d.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := d.conn.Write(b)
	return err
}

// run is the device's life: wait the first delay, then connect and serve
// until ctx ends, with full-jitter backoff between attempts.
func (d *device) run(ctx context.Context, first time.Duration) {
	if !sleep(ctx, first) {
		return
	}
	attempt := 0
	for {
		up, err := d.serve(ctx)
		if ctx.Err() != nil {
			return
		}
		if up >= d.s.resetAfter {
			attempt = 0
		}
		if err != nil && up == 0 {
			d.s.logOnce("connect", "connect failed", "device", d.ID, "error", err)
		}
		delay := d.s.cfg.Backoff.Next(attempt, d.rng)
		attempt++
		if !sleep(ctx, delay) {
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// serve makes one connection and serves it until it ends. up is how long
// it was connected (0 if the connect failed).
func (d *device) serve(ctx context.Context) (up time.Duration, err error) {
	s := d.s
	d.Session++
	d.seq = 0
	d.repaired = false
	c, err := s.dial(ctx, d.idx)
	if err != nil {
		s.tl.add(s.now(), evFail)
		return 0, err
	}
	defer c.Close()
	will, _ := wire.Encode(wire.Will(d.Session))
	c.SetDeadline(time.Now().Add(s.cfg.ConnectTimeout))
	br := bufio.NewReaderSize(c, 512)
	if _, err := c.Write(connectPacket(connectOpts{ClientID: d.ID, Username: d.ID, Password: d.Password,
		KeepAlive: uint16(s.cfg.KeepAlive / time.Second), WillTopic: wire.Topic(d.ID, wire.KindPresence),
		WillPayload: will, WillQoS: 1, WillRetain: true})); err != nil {
		s.tl.add(s.now(), evFail)
		return 0, err
	}
	h, body, err := readPacket(br, 16)
	if err != nil {
		s.tl.add(s.now(), evFail)
		return 0, fmt.Errorf("waiting for CONNACK: %w", err)
	}
	if h>>4 != pktConnack || len(body) != 2 {
		s.tl.add(s.now(), evFail)
		return 0, fmt.Errorf("%w: expected CONNACK, got packet type %d", errProtocol, h>>4)
	}
	if body[1] != 0 {
		s.tl.add(s.now(), evFail)
		s.refused.Add(1)
		return 0, fmt.Errorf("broker refused the connection (CONNACK code %d)", body[1])
	}
	c.SetDeadline(time.Time{})
	d.wmu.Lock()
	d.conn = c
	d.wmu.Unlock()
	start := time.Now()
	defer func() {
		d.wmu.Lock()
		d.conn = nil
		d.wmu.Unlock()
		if d.connected.Swap(false) {
			s.tl.add(s.now(), evLost)
			s.online.Add(-1)
		}
		up = time.Since(start)
	}()

	filters := make([]string, len(readKinds))
	for i, k := range readKinds {
		filters[i] = wire.Topic(d.ID, k)
	}
	if err := d.write(subscribePacket(d.packetID(), filters, 1)); err != nil {
		return 0, err
	}
	online, _ := wire.Encode(wire.Presence{Status: wire.Online, Session: d.Session, DeviceKind: wire.DeviceKind(d.Kind),
		AppVersion: AppVersion, Accept: map[wire.Kind]int{wire.KindDesired: 1, wire.KindCommand: 1, wire.KindAck: 1, wire.KindTime: 1}})
	if err := d.write(publishPacket(wire.Topic(d.ID, wire.KindPresence), d.packetID(), online, 1, true)); err != nil {
		return 0, err
	}
	treq, _ := wire.Encode(wire.TimeRequest{ID: fmt.Sprintf("t%d", d.Session), UptimeMS: uint64(s.now() / int64(time.Millisecond))})
	if err := d.write(publishPacket(wire.Topic(d.ID, wire.KindTimeRequest), 0, treq, 0, false)); err != nil {
		return 0, err
	}
	if err := d.report(); err != nil {
		return 0, err
	}
	d.upSince.Store(s.now())
	d.connected.Store(true)
	s.online.Add(1)
	s.tl.add(s.now(), evConnect)

	for {
		h, body, err := readPacket(br, maxIncoming)
		if err != nil {
			return 0, err
		}
		switch h >> 4 {
		case pktPublish:
			p, err := parsePublish(h, body)
			if err != nil {
				return 0, err
			}
			if p.QoS == 1 {
				if err := d.write(pubackPacket(p.ID)); err != nil {
					return 0, err
				}
			}
			if err := d.handle(p); err != nil {
				return 0, err
			}
		case pktPuback:
			if len(body) == 2 && uint16(body[0])<<8|uint16(body[1]) == d.reportID && d.reportOK {
				d.ackVersion.Store(d.reportVersion)
				d.ackAt.Store(s.now())
			}
		case pktSuback:
			for _, code := range body[2:] {
				if code == 0x80 {
					return 0, errors.New("broker refused a subscription")
				}
			}
		case pktPingresp:
		default:
			return 0, fmt.Errorf("%w: unexpected packet type %d", errProtocol, h>>4)
		}
	}
}

// report publishes the reported state (retained, QoS 1).
func (d *device) report() error { return d.reportStatus(wire.Converged, nil, d.applied) }

func (d *device) reportStatus(st wire.Status, reason *wire.Reason, version uint64) error {
	if d.applied == 0 && st == wire.Converged {
		st, reason = wire.Pending, &wire.Reason{Code: "no_desired", Message: "no desired state received yet"}
	}
	d.seq++
	r := wire.Reported{Session: d.Session, Seq: d.seq, DesiredVersion: version, ManifestSerial: d.serial,
		Status: st, Reason: reason, Settings: d.settings, At: time.Now().UTC().Truncate(time.Second), ClockTrusted: true}
	b, err := wire.Encode(r)
	if err != nil {
		return err
	}
	id := d.packetID()
	d.reportID, d.reportVersion, d.reportOK = id, version, st == wire.Converged
	return d.write(publishPacket(wire.Topic(d.ID, wire.KindReported), id, b, 1, true))
}

// errReconnect ends a connection on purpose (session floor).
var errReconnect = errors.New("reconnecting above the fleet's session floor")

func (d *device) handle(p publish) error {
	id, kind, err := wire.ParseTopic(p.Topic)
	if err != nil || id != d.ID {
		d.s.dropped.Add(1)
		return nil
	}
	switch kind {
	case wire.KindDesired:
		return d.onDesired(p.Payload)
	case wire.KindPresence:
		// Repair a stale retained will (PROTOCOL.md section 5).
		if len(p.Payload) == 0 || d.repaired {
			return nil
		}
		pr, err := wire.DecodePresence(p.Payload)
		if err == nil && pr.Status == wire.Offline && pr.Session < d.Session {
			d.repaired = true
			online, _ := wire.Encode(wire.Presence{Status: wire.Online, Session: d.Session, DeviceKind: wire.DeviceKind(d.Kind),
				AppVersion: AppVersion, Accept: map[wire.Kind]int{wire.KindDesired: 1, wire.KindCommand: 1, wire.KindAck: 1, wire.KindTime: 1}})
			return d.write(publishPacket(wire.Topic(d.ID, wire.KindPresence), d.packetID(), online, 1, true))
		}
	default:
		// cmd, ack and time are read and ignored: the simulator runs no
		// commands, sends no events and keeps no clock.
	}
	return nil
}

func (d *device) onDesired(payload []byte) error {
	s := d.s
	if len(payload) == 0 {
		return nil
	}
	if spec, _ := wire.SpecOf(wire.KindDesired); len(payload) > spec.MaxBytes {
		s.dropped.Add(1)
		return nil
	}
	des, err := wire.DecodeDesired(payload)
	if err != nil {
		s.failed.Add(1)
		return nil
	}
	if des.Version > d.recvVersion.Load() {
		d.recvVersion.Store(des.Version)
		d.recvAt.Store(s.now())
	}
	if des.SessionFloor >= d.Session {
		d.Session = des.SessionFloor
		d.s.floors.Add(1)
		return errReconnect
	}
	if des.Version <= d.applied {
		return nil // already applied (a republish) or older
	}
	serial := uint64(0)
	if des.HasManifest() {
		s.sem <- struct{}{}
		serial, err = s.verifier.check(des.Manifest, d.ID, d.serial, time.Now())
		<-s.sem
		if err != nil {
			s.failed.Add(1)
			s.logOnce("manifest", "manifest refused", "device", d.ID, "error", err)
			return d.reportStatus(wire.Failed, &wire.Reason{Code: "manifest_invalid", Message: err.Error()}, des.Version)
		}
	}
	d.applied, d.serial = des.Version, serial
	st := des.Settings
	d.settings = &st
	return d.report()
}

// shutdown ends a connection the way a device does on purpose: offline
// presence with reason shutdown, then DISCONNECT.
func (d *device) shutdown() {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if d.conn == nil {
		return
	}
	off, _ := wire.Encode(wire.Presence{Status: wire.Offline, Session: d.Session, Reason: wire.OfflineShutdown})
	// A packet ID of its own: the device goroutine owns nextID, and
	// nobody waits for this PUBACK.
	d.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	d.conn.Write(publishPacket(wire.Topic(d.ID, wire.KindPresence), 0xffff, off, 1, true))
	d.conn.Write(disconnectPacket)
	d.conn.Close()
}

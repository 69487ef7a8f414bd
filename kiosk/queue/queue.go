package queue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"lawpoint/device/wire"
)

// Errors the caller can tell apart with errors.Is. Staff see them in
// Chinese through StaffMessage.
var (
	// ErrUnknownCategory: no category with that prefix is offered.
	ErrUnknownCategory = errors.New("no such service category")
	// ErrNoTicket: no ticket with that ID, or none at that window.
	ErrNoTicket = errors.New("no such ticket")
	// ErrEmpty: nobody is waiting for the category asked for.
	ErrEmpty = errors.New("nobody is waiting")
	// ErrState: the ticket is not in a state that allows the action
	// (serving a ticket that was never called, …).
	ErrState = errors.New("ticket is not in the right state")
	// ErrWindow: the window number is outside 1..MaxWindow.
	ErrWindow = errors.New("window number out of range")
)

// MaxWindow is the highest counter window number.
const MaxWindow = 99

// Status is where a ticket is in its life.
type Status string

// Ticket states.
const (
	StatusWaiting Status = "waiting" // issued, not called yet (or transferred)
	StatusCalled  Status = "called"  // called to a window, being served
	StatusServed  Status = "served"  // service finished
	StatusNoShow  Status = "no_show" // called, did not come
	StatusExpired Status = "expired" // still open when a new business day started
)

// Config configures a Queue. Path and Clock are required.
type Config struct {
	// Path is the queue's database file, e.g. DATA/queue.db.
	Path string
	// Clock gives the time and whether it is trusted (*device.Clock).
	Clock Clock
	// Uptime is the machine's monotonic time since boot (default
	// SystemUptime); with Clock.BootID it places untrusted times later.
	Uptime func() time.Duration
	// Location is the time zone of the business day (default
	// Asia/Shanghai, or UTC+8 if the zone database is missing).
	Location *time.Location
	// DefaultServiceTime is the wait per person ahead before any service
	// of the category has finished today (default 5 minutes).
	DefaultServiceTime time.Duration
	// AverageOf is how many of today's latest finished services of a
	// category the estimated wait averages (default 5).
	AverageOf int
	// Log receives English log lines; nil is slog.Default().
	Log *slog.Logger
}

// maxServiceSample: a longer service (staff forgot to press 完成) is kept
// but left out of the average.
const maxServiceSample = 2 * time.Hour

// Queue is the kiosk's ticket queue. It is safe for concurrent use.
type Queue struct {
	cfg Config
	db  *sql.DB
	log *slog.Logger

	mu   sync.Mutex // serialises operations and guards cats
	cats []Category

	wmu      sync.Mutex
	watchers map[chan Notice]struct{}
	warnings map[string]bool

	wake chan struct{} // new events to forward
	fmu  sync.Mutex    // one forwarder at a time
}

// Open opens (creating if needed) the queue database at cfg.Path.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Clock == nil {
		return nil, errors.New("queue: no clock; pass the device agent's clock as Config.Clock")
	}
	if cfg.Uptime == nil {
		cfg.Uptime = SystemUptime
	}
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		cfg.Location = loc
	}
	if cfg.DefaultServiceTime <= 0 {
		cfg.DefaultServiceTime = 5 * time.Minute
	}
	if cfg.AverageOf <= 0 {
		cfg.AverageOf = 5
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	db, err := openDB(ctx, cfg.Path)
	if err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, db: db, log: cfg.Log, watchers: map[chan Notice]struct{}{},
		warnings: map[string]bool{}, wake: make(chan struct{}, 1)}
	err = q.tx(ctx, "loading the categories", func(tx *sql.Tx) error {
		ok, err := getMeta(ctx, tx, "categories", &q.cats)
		if err == nil && ok && ValidateCategories(q.cats) != nil {
			err = errors.New("the stored category list is not valid")
		}
		if err != nil || !ok {
			if err != nil {
				q.log.Warn("stored categories unusable; using the defaults until the fleet sends a list", "err", err)
			}
			q.cats = DefaultCategories()
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return q, nil
}

// Close closes the database.
func (q *Queue) Close() error { return q.db.Close() }

func (q *Queue) warned(key string) bool {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	if q.warnings[key] {
		return true
	}
	q.warnings[key] = true
	return false
}

func (q *Queue) unwarn(key string) {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	delete(q.warnings, key)
}

// Categories returns the categories on offer, in the fleet's order.
func (q *Queue) Categories() []Category {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.cats)
}

// SetCategories replaces the categories on offer with the fleet's list
// after checking it (ValidateCategories); a bad list is refused whole and
// the current one stays. The list is stored, so it applies after a restart
// without the fleet. Tickets already issued keep their number and name; a
// removed category's waiting tickets can still be called.
func (q *Queue) SetCategories(ctx context.Context, cs []Category) error {
	if err := ValidateCategories(cs); err != nil {
		return err
	}
	cs = slices.Clone(cs)
	q.mu.Lock()
	defer q.mu.Unlock()
	err := q.tx(ctx, "storing the categories", func(tx *sql.Tx) error {
		return setMeta(ctx, tx, "categories", cs)
	})
	if err != nil {
		return err
	}
	q.cats = cs
	q.notify(Notice{Kind: NoticeCategories})
	return nil
}

func (q *Queue) category(prefix string) (Category, bool) {
	for _, c := range q.cats {
		if c.Prefix == prefix {
			return c, true
		}
	}
	return Category{}, false
}

// Ticket is a queue ticket as the kiosk shows and prints it.
type Ticket struct {
	// ID names the ticket on this kiosk for ever (a random UUID); the
	// receipt's QR code links to its status page.
	ID string
	// Number is what villagers read and staff call: "A003". It never
	// changes, not even on a transfer.
	Number string
	// Category is the prefix of the category it waits in now (after a
	// transfer, not the letter of Number); Name is its Chinese name and
	// Service the protocol's service code.
	Category string
	Name     string
	Service  string
	// Day is the business day it was issued on (YYYY-MM-DD).
	Day string
	// IssuedAt is the kiosk's clock at issue; ClockTrusted says whether
	// that clock was trusted (print the time only if it was).
	IssuedAt     time.Time
	ClockTrusted bool
	Status       Status
	// Window is the counter window it was called to (0 if never).
	Window int
	// Ahead is how many people wait before it in its category, and Wait
	// the estimated wait (Ahead times the average of the category's last
	// finished services today, or the configured default).
	Ahead int
	Wait  time.Duration

	ord     int64
	gen     int64
	calls   int
	callSeq int64
}

const ticketCols = `ord, id, gen, prefix, num, day, category, name, service, issued_ms, trusted, status, win, calls, call_seq`

type scanner interface{ Scan(...any) error }

func scanTicket(r scanner) (Ticket, error) {
	var t Ticket
	var prefix string
	var num int
	var issued int64
	err := r.Scan(&t.ord, &t.ID, &t.gen, &prefix, &num, &t.Day, &t.Category, &t.Name, &t.Service,
		&issued, &t.ClockTrusted, &t.Status, &t.Window, &t.calls, &t.callSeq)
	t.Number = FormatNumber(prefix, num)
	t.IssuedAt = time.UnixMilli(issued)
	return t, err
}

// FormatNumber writes a ticket number: the prefix and at least three
// digits (A001 … A999, then A1000).
func FormatNumber(prefix string, n int) string { return fmt.Sprintf("%s%03d", prefix, n) }

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Issue gives the next ticket of the category with that prefix. The ticket
// and its ticket.issued event are committed to disk before Issue returns:
// print only after it returns, and a power cut can never make the kiosk
// hand out the same number again (docs/QUEUE.md).
func (q *Queue) Issue(ctx context.Context, prefix string) (Ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	cat, ok := q.category(prefix)
	if !ok {
		return Ticket{}, fmt.Errorf("queue: issuing a ticket for %q: %w; choose one of the categories on offer", trunc(prefix, 8), ErrUnknownCategory)
	}
	o := q.observe()
	var t Ticket
	err := q.tx(ctx, "issuing a "+prefix+" ticket", func(tx *sql.Tx) error {
		ds, err := q.rollDay(ctx, tx, o)
		if err != nil {
			return err
		}
		var num int
		if err := tx.QueryRowContext(ctx, `INSERT INTO numbers(gen, prefix, last) VALUES(?, ?, 1)
			ON CONFLICT(gen, prefix) DO UPDATE SET last = last + 1 RETURNING last`, ds.Gen, prefix).Scan(&num); err != nil {
			return err
		}
		id := newID()
		res, err := tx.ExecContext(ctx, `INSERT INTO tickets(id, gen, prefix, num, day, category, name, service,
			issued_ms, trusted, boot_id, uptime_ms, status) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ds.Gen, prefix, num, ds.Day, prefix, cat.Name, cat.Service,
			o.now.UnixMilli(), o.trusted, o.boot, o.uptime.Milliseconds(), StatusWaiting)
		if err != nil {
			return err
		}
		ord, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if !o.trusted {
			if err := q.noteUntrusted(ctx, tx, ds, o); err != nil {
				return err
			}
		}
		t = Ticket{ID: id, Number: FormatNumber(prefix, num), Category: prefix, Name: cat.Name, Service: cat.Service,
			Day: ds.Day, IssuedAt: time.UnixMilli(o.now.UnixMilli()), ClockTrusted: o.trusted, Status: StatusWaiting,
			ord: ord, gen: ds.Gen}
		if err := q.fillWait(ctx, tx, &t, ds.Day); err != nil {
			return err
		}
		return q.addEvent(ctx, tx, o, id+":issued", wire.EventTicketIssued, ticketData(t, 0, 0))
	})
	if err != nil {
		return Ticket{}, err
	}
	q.notify(Notice{Kind: NoticeIssued, Ticket: t.Number})
	return t, nil
}

// fillWait sets t.Ahead and t.Wait.
func (q *Queue) fillWait(ctx context.Context, tx *sql.Tx, t *Ticket, day string) error {
	t.Ahead, t.Wait = 0, 0
	if t.Status != StatusWaiting {
		return nil
	}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE status = ? AND category = ? AND ord < ?",
		StatusWaiting, t.Category, t.ord).Scan(&t.Ahead); err != nil {
		return err
	}
	avg, err := q.averageService(ctx, tx, t.Category, day)
	t.Wait = time.Duration(t.Ahead) * avg
	return err
}

// averageService is the mean of the category's last cfg.AverageOf
// finished services of the business day, or the configured default.
func (q *Queue) averageService(ctx context.Context, tx *sql.Tx, category, day string) (time.Duration, error) {
	var avg sql.NullFloat64
	err := tx.QueryRowContext(ctx, `SELECT AVG(service_ms) FROM (SELECT service_ms FROM tickets
		WHERE category = ? AND done_day = ? AND status = ? AND service_ms >= 0 AND service_ms <= ?
		ORDER BY done_seq DESC LIMIT ?)`, category, day, StatusServed, maxServiceSample.Milliseconds(), q.cfg.AverageOf).Scan(&avg)
	if err != nil || !avg.Valid {
		return q.cfg.DefaultServiceTime, err
	}
	return time.Duration(avg.Float64) * time.Millisecond, nil
}

// Lookup returns the ticket with that ID as it is now, with people ahead
// and the estimated wait (for the ticket's status page).
func (q *Queue) Lookup(ctx context.Context, id string) (Ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var t Ticket
	err := q.tx(ctx, "looking up a ticket", func(tx *sql.Tx) error {
		var err error
		t, err = q.ticket(ctx, tx, id)
		if err != nil {
			return err
		}
		var ds dayState
		if _, err := getMeta(ctx, tx, "day", &ds); err != nil {
			return err
		}
		return q.fillWait(ctx, tx, &t, ds.Day)
	})
	return t, err
}

func (q *Queue) ticket(ctx context.Context, tx *sql.Tx, id string) (Ticket, error) {
	t, err := scanTicket(tx.QueryRowContext(ctx, "SELECT "+ticketCols+" FROM tickets WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("ticket %q: %w; check the ticket ID", trunc(id, 40), ErrNoTicket)
	}
	return t, err
}

// Day returns the current business day and whether a trusted clock has
// confirmed it.
func (q *Queue) Day(ctx context.Context) (day string, trusted bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ds dayState
	err = q.tx(ctx, "reading the business day", func(tx *sql.Tx) error {
		_, err := getMeta(ctx, tx, "day", &ds)
		return err
	})
	return ds.Day, ds.Trusted, err
}

// Tick applies the business-day rules to the clock now (Run calls it every
// minute), so a new day starts, and an untrusted stretch is placed, even
// when no ticket is issued.
func (q *Queue) Tick(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var changed bool
	err := q.tx(ctx, "checking the business day", func(tx *sql.Tx) error {
		var before dayState
		if _, err := getMeta(ctx, tx, "day", &before); err != nil {
			return err
		}
		ds, err := q.rollDay(ctx, tx, q.observe())
		changed = ds.Day != before.Day || ds.Gen != before.Gen
		return err
	})
	if err == nil && changed {
		q.notify(Notice{Kind: NoticeDay})
	}
	return err
}

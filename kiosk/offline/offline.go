// Package offline holds the stand-in services the kiosk runs with when no
// fleet is configured: a local ticket counter that never repeats a number
// across restarts, demonstration advisers whose bookings stay 待确认
// (awaiting the fleet), the demonstration county's articles, and a ratings
// file. The command wires these by default; the real queue, booking and
// rating services replace them field by field in flow.Services.
package offline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lawpoint/content"
	"lawpoint/content/demo"
	"lawpoint/kiosk/flow"
)

// Categories are the default queue categories.
var Categories = []flow.Category{
	{ID: "consult", Prefix: "A", Name: "法律咨询"},
	{ID: "aid", Prefix: "B", Name: "法律援助"},
	{ID: "mediate", Prefix: "C", Name: "人民调解"},
	{ID: "notary", Prefix: "D", Name: "公证咨询"},
}

// Queue is a local ticket counter kept in a JSON file: numbers run per day
// and per prefix and are stored before a ticket is shown.
type Queue struct {
	mu   sync.Mutex
	path string
	st   queueState
	now  func() time.Time
	wait time.Duration
}

type queueState struct {
	Day  string         `json:"day"`
	Next map[string]int `json:"next"`
}

// OpenQueue opens (or starts) the counter file in dir.
func OpenQueue(dir string) (*Queue, error) {
	q := &Queue{path: filepath.Join(dir, "offline-queue.json"), now: time.Now, wait: 10 * time.Minute}
	data, err := os.ReadFile(q.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("offline: reading the ticket counter: %w", err)
	default:
		if err := json.Unmarshal(data, &q.st); err != nil {
			return nil, fmt.Errorf("offline: the ticket counter %s is damaged (move it away to start again): %w", q.path, err)
		}
	}
	if q.st.Next == nil {
		q.st.Next = map[string]int{}
	}
	return q, nil
}

// Categories implements flow.Queue.
func (q *Queue) Categories() []flow.Category { return Categories }

// Issue implements flow.Queue.
func (q *Queue) Issue(ctx context.Context, id string) (flow.Ticket, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var cat *flow.Category
	for i := range Categories {
		if Categories[i].ID == id {
			cat = &Categories[i]
		}
	}
	if cat == nil {
		return flow.Ticket{}, fmt.Errorf("offline: no category %q", id)
	}
	now := q.now()
	// A clock before 2024 is a Pi that lost its time: continue the
	// sequence rather than restart it.
	trusted := now.Year() >= 2024
	if day := now.Format("2006-01-02"); trusted && day != q.st.Day {
		q.st = queueState{Day: day, Next: map[string]int{}}
	}
	n := q.st.Next[cat.Prefix] + 1
	q.st.Next[cat.Prefix] = n
	data, _ := json.Marshal(q.st)
	if err := writeFile(q.path, data); err != nil {
		q.st.Next[cat.Prefix] = n - 1
		return flow.Ticket{}, fmt.Errorf("offline: 号码没有存上: %w", err)
	}
	return flow.Ticket{
		ID: fmt.Sprintf("%s-%s%03d", q.st.Day, cat.Prefix, n), Number: fmt.Sprintf("%s%03d", cat.Prefix, n),
		CategoryName: cat.Name, Ahead: n - 1, EstWait: time.Duration(n-1) * q.wait,
		IssuedAt: now, ClockTrusted: trusted,
	}, nil
}

// CurrentCall implements flow.Queue: nobody calls tickets offline.
func (q *Queue) CurrentCall() (string, string, bool) { return "", "", false }

// Changes implements flow.Queue.
func (q *Queue) Changes() <-chan struct{} { return nil }

// Bookings are demonstration advisers with weekday slots; without a fleet
// every booking is kept as 待确认.
type Bookings struct {
	mu    sync.Mutex
	taken map[string]bool
	now   func() time.Time
}

// NewBookings returns the demonstration booking service.
func NewBookings() *Bookings { return &Bookings{taken: map[string]bool{}, now: time.Now} }

var advisers = []flow.Adviser{
	{ID: "lawyer-chen", Name: "陈建华", Title: "律师"},
	{ID: "adviser-lin", Name: "林志明", Title: "法律顾问", Own: true},
	{ID: "lawyer-zheng", Name: "郑晓燕", Title: "律师"},
}

// Advisers implements flow.Bookings.
func (b *Bookings) Advisers(string) []flow.Adviser { return advisers }

// Slots implements flow.Bookings: 9:00–11:30 and 14:30–17:00 on weekdays,
// half an hour each, from an hour from now.
func (b *Bookings) Slots(adviser string, day time.Time) []flow.Slot {
	b.mu.Lock()
	defer b.mu.Unlock()
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return nil
	}
	y, m, d := day.Date()
	earliest := b.now().Add(time.Hour)
	var out []flow.Slot
	for _, start := range []int{9 * 60, 9*60 + 30, 10 * 60, 10*60 + 30, 11 * 60, 14*60 + 30, 15 * 60, 15*60 + 30, 16 * 60} {
		t := time.Date(y, m, d, start/60, start%60, 0, 0, day.Location())
		id := adviser + "@" + t.Format(time.RFC3339)
		if t.Before(earliest) || b.taken[id] {
			continue
		}
		out = append(out, flow.Slot{ID: id, Start: t, End: t.Add(30 * time.Minute)})
	}
	return out
}

// Book implements flow.Bookings: the request is kept, awaiting the fleet.
func (b *Bookings) Book(_ context.Context, req flow.BookingRequest) (flow.Booking, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.taken[req.Slot.ID] {
		return flow.Booking{Status: flow.BookingTaken}, nil
	}
	b.taken[req.Slot.ID] = true
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	code := make([]byte, 4)
	for i := range code {
		code[i] = letters[rand.IntN(len(letters))]
	}
	return flow.Booking{Code: string(code), Status: flow.BookingPending}, nil
}

// Content is the legal-education articles of the demonstration county.
type Content struct{ list []flow.Article }

// NewContent returns the demonstration articles.
func NewContent() *Content {
	var out []flow.Article
	for _, it := range demo.Set().Items {
		if it.Kind == content.KindArticle && it.Article != nil {
			out = append(out, flow.Article{ID: it.ID, Title: it.Article.Title, Body: it.Article.Body})
		}
	}
	out = append(out,
		flow.Article{ID: "kiosk-fanzha", Title: "谨防电信网络诈骗", Body: "陌生来电说您的银行卡出了问题，要您把钱转到“安全账户”，这是诈骗。\n" +
			"公检法机关不会在电话里办案，更不会要您转账。\n接到这样的电话，先挂断，再打110或者问问村里的干部、家里的年轻人。\n" +
			"不点陌生短信里的链接，不把验证码告诉任何人。\n钱被骗走了，要马上报警，越早越好。"},
		flow.Article{ID: "kiosk-tiaojie", Title: "邻里纠纷找人民调解", Body: "邻居之间为了宅基地、排水、牲畜吵架，可以找村里的人民调解委员会。\n" +
			"人民调解不收费，调解员会听双方讲清楚，帮大家商量出办法。\n达成的调解协议有法律效力，双方都要遵守。\n调解不成，还可以到法院起诉。"},
	)
	return &Content{list: out}
}

// Articles implements flow.Content.
func (c *Content) Articles() []flow.Article { return c.list }

// Ratings appends ratings to a JSON-lines file until the fleet collects
// them.
type Ratings struct {
	mu   sync.Mutex
	path string
}

// NewRatings keeps ratings in dir/ratings.jsonl.
func NewRatings(dir string) *Ratings { return &Ratings{path: filepath.Join(dir, "ratings.jsonl")} }

// Rate implements flow.Ratings.
func (r *Ratings) Rate(_ context.Context, rt flow.Rating) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	line, _ := json.Marshal(struct {
		flow.Rating
		At time.Time `json:"at"`
	}{rt, time.Now()})
	f, err := os.OpenFile(r.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("offline: storing a rating: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("offline: storing a rating: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("offline: storing a rating: %w", err)
	}
	return f.Close()
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

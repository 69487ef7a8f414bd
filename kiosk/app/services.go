package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"lawpoint/content"
	"lawpoint/device/cache"
	"lawpoint/device/wire"
	"lawpoint/kiosk/flow"
	"lawpoint/kiosk/offline"
)

// ratingService is flow.Ratings: each rating is a rating event in the
// kiosk's outbox, under its own key, handed to the agent with RecordOnce.
type ratingService struct{ a *App }

// Reason chips and their tags in the rating event (codes: lowercase).
var reasonTags = map[string]string{
	"态度好": "attitude_good", "讲得清楚": "clear", "等得不久": "short_wait", "解决了问题": "solved",
	"等得太久": "long_wait", "没听明白": "unclear", "态度不好": "attitude_poor", "问题没解决": "unsolved",
}

// Score maps the four faces onto the protocol's 1..5 scale the way the
// usual five-level survey names them: 非常满意 5, 满意 4, 一般 (基本满意) 3,
// 不满意 2. 1 (非常不满意) is not offered on the kiosk.
func Score(faces int) int { return faces + 1 }

// Rate implements flow.Ratings.
func (s ratingService) Rate(ctx context.Context, r flow.Rating) error {
	if r.Score < 1 || r.Score > 4 {
		return fmt.Errorf("app: a rating of %d faces is not 1..4", r.Score)
	}
	d := wire.RatingData{Service: wire.ServiceOther, Score: Score(r.Score)}
	if r.TicketID != "" {
		if t, err := s.a.queue.Lookup(ctx, r.TicketID); err == nil {
			d.Ticket, d.Service = t.Number, t.Service
		}
	}
	if r.BookingCode != "" {
		if rq, err := s.a.store.requestByCode(ctx, r.BookingCode); err == nil {
			d.Service = rq.Service
		}
	}
	for _, reason := range r.Reasons {
		if tag, ok := reasonTags[reason]; ok {
			d.Tags = append(d.Tags, tag)
		}
	}
	if err := s.a.record(ctx, "rating:"+newUUID(), wire.EventRating, d); err != nil {
		return fmt.Errorf("app: 评价没有存上: %w", err)
	}
	return nil
}

// contentService is flow.Content: the articles of the verified content set
// the agent holds; the demonstration articles while it holds none.
type contentService struct {
	a    *App
	demo *offline.Content

	mu     sync.Mutex
	serial uint64
	list   []flow.Article
}

// Articles implements flow.Content.
func (c *contentService) Articles() []flow.Article {
	var set *cache.Set
	if ag := c.a.Agent(); ag != nil {
		set = ag.Content()
	}
	if set == nil || set.Manifest == nil {
		return c.demo.Articles()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && c.serial == set.Serial() {
		return c.list
	}
	var out []flow.Article
	for _, r := range set.Manifest.Items {
		if r.Kind != content.KindArticle {
			continue
		}
		b, err := os.ReadFile(set.Path(r))
		if err != nil {
			c.a.log.Warn("an article of the content set cannot be read", "item", r.ID, "err", err)
			continue
		}
		var art content.Article
		if err := json.Unmarshal(b, &art); err != nil || art.Title == "" {
			c.a.log.Warn("an article of the content set is not an article", "item", r.ID, "err", err)
			continue
		}
		out = append(out, flow.Article{ID: r.ID, Title: art.Title, Body: art.Body})
	}
	if len(out) == 0 {
		return c.demo.Articles()
	}
	c.serial, c.list = set.Serial(), out
	return out
}

// infoService is flow.InfoSource: the contact point from the
// configuration; the adviser on duty from it, or else the village's own
// adviser as the fleet last listed them.
type infoService struct{ a *App }

// Info implements flow.InfoSource.
func (s infoService) Info() flow.Info {
	cfg := s.a.cfg
	in := flow.Info{PointName: s.a.pointName(), Hotline: cfg.Hotline, AdviserOnDuty: cfg.AdviserOnDuty}
	if in.Hotline == "" {
		in.Hotline = "12348"
	}
	if in.AdviserOnDuty == "" && s.a.cfg.FleetURL != "" {
		var list []wire.KioskAdviser
		if _, ok := s.a.store.getCache(s.a.ctx(), "advisers:"+wire.ServiceConsultation, &list); ok {
			for _, ad := range list {
				if ad.Own {
					in.AdviserOnDuty = ad.Name + " " + ad.KindName
					break
				}
			}
		}
	}
	return in
}

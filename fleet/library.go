package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decode JPEG headers of uploaded pictures
	_ "image/png"  // decode PNG headers of uploaded pictures
	"slices"
	"strings"
	"time"

	"lawpoint/content"
)

// Library is where staff author content: items (LED texts, pictures,
// articles), programmes, schedules, emergency notices and fallbacks. Every
// change is checked against the whole content set (content.Set.Validate)
// before it is stored, stored as a new version in one transaction, and then
// announced through OnChange so desired state is recomputed.
type Library struct {
	store Store
	blobs *Blobs
	now   func() time.Time

	// OnChange, if set, is called after every stored change.
	OnChange func()
}

// MaxUpload bounds one uploaded item (content.MaxItemSize).
const MaxUpload = content.MaxItemSize

// NewLibrary returns a library on s keeping item bytes in blobs.
func NewLibrary(s Store, blobs *Blobs) *Library {
	return &Library{store: s, blobs: blobs, now: time.Now}
}

// SetClock replaces the library's clock (tests).
func (l *Library) SetClock(now func() time.Time) { l.now = now }

// Blobs returns the library's blob store.
func (l *Library) Blobs() *Blobs { return l.blobs }

// Set returns the current content and its revision.
func (l *Library) Set(ctx context.Context) (*content.Set, int64, error) {
	return l.store.ContentSet(ctx)
}

// Schedule returns the stored schedule with id; found is false when there
// is none.
func (l *Library) Schedule(ctx context.Context, id string) (s content.Schedule, found bool, err error) {
	set, _, err := l.Set(ctx)
	if err != nil {
		return content.Schedule{}, false, err
	}
	i := slices.IndexFunc(set.Schedules, func(x content.Schedule) bool { return x.ID == id })
	if i < 0 {
		return content.Schedule{}, false, nil
	}
	return set.Schedules[i], true, nil
}

// Notice returns the stored emergency notice with id; found is false when
// there is none.
func (l *Library) Notice(ctx context.Context, id string) (n content.Notice, found bool, err error) {
	set, _, err := l.Set(ctx)
	if err != nil {
		return content.Notice{}, false, err
	}
	i := slices.IndexFunc(set.Notices, func(x content.Notice) bool { return x.ID == id })
	if i < 0 {
		return content.Notice{}, false, nil
	}
	return set.Notices[i], true, nil
}

// change applies edit to the current set, validates the result, and stores
// the records edit returns, retrying when another change got in between.
func (l *Library) change(ctx context.Context, edit func(set *content.Set) ([]ContentRecord, error)) error {
	for attempt := 0; ; attempt++ {
		set, rev, err := l.store.ContentSet(ctx)
		if err != nil {
			return err
		}
		recs, err := edit(set)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil // nothing changed
		}
		if err := set.Validate(); err != nil {
			return err
		}
		now := l.now()
		for i := range recs {
			recs[i].Created = now
		}
		_, err = l.store.PutContent(ctx, rev, recs)
		if errors.Is(err, ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return err
		}
		if l.OnChange != nil {
			l.OnChange()
		}
		return nil
	}
}

func record(kind RecordKind, id string, v any, author string) (ContentRecord, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ContentRecord{}, fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	return ContentRecord{Kind: kind, ID: id, Body: b, Author: author}, nil
}

// PutItem adds an item or a new version of one. The fleet sets Version,
// SHA256 and Size: a text's or article's bytes are its inline payload
// (content.Item.Payload), stored as a blob too so every item downloads the
// same way; a picture's bytes must have been uploaded first (PutBlob) and
// are named by it.SHA256. An item equal to the current version is not
// stored again. It returns the item as stored.
func (l *Library) PutItem(ctx context.Context, author string, it content.Item) (content.Item, error) {
	it.ID = strings.TrimSpace(it.ID)
	switch it.Kind {
	case content.KindText, content.KindArticle:
		it.Image = nil
		payload, ok := it.Payload()
		if !ok {
			return content.Item{}, invalidField(string(it.Kind), "a "+string(it.Kind)+" item needs its "+string(it.Kind)+" object",
				"请填写内容正文")
		}
		sum, err := l.blobs.PutBytes(payload)
		if err != nil {
			return content.Item{}, err
		}
		it.SHA256, it.Size = sum, int64(len(payload))
	case content.KindImage:
		it.Text, it.Article = nil, nil
		if !ValidSHA256(it.SHA256) {
			return content.Item{}, invalidField("sha256", "give the sha256 of an uploaded picture (upload it first)", "请先上传图片文件")
		}
		size, ok := l.blobs.Has(it.SHA256)
		if !ok {
			return content.Item{}, invalidField("sha256", "no uploaded file has this sha256: upload the picture first", "未找到该图片文件，请先上传")
		}
		f, err := l.blobs.Open(it.SHA256)
		if err != nil {
			return content.Item{}, err
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || (format != "png" && format != "jpeg") {
			return content.Item{}, invalidField("image", "the uploaded file is not a PNG or JPEG picture", "上传的文件不是 PNG 或 JPEG 图片")
		}
		if it.Image == nil {
			it.Image = &content.Image{}
		}
		it.Image.Format, it.Image.Width, it.Image.Height = format, cfg.Width, cfg.Height
		it.Size = size
	default:
		return content.Item{}, invalidField("kind", fmt.Sprintf("item kind %q is unknown: use text, image or article", it.Kind),
			"素材类型须为 text（文字）、image（图片）或 article（文章）")
	}
	var stored content.Item
	err := l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		hist, err := l.store.ContentHistory(ctx, RecordItem, it.ID)
		if err != nil {
			return nil, err
		}
		it.Version = len(hist) + 1
		i := slices.IndexFunc(set.Items, func(x content.Item) bool { return x.ID == it.ID })
		if i >= 0 {
			cur := set.Items[i]
			probe := it
			probe.Version = cur.Version
			if sameJSON(probe, cur) {
				stored = cur
				return nil, nil
			}
			set.Items[i] = it
		} else {
			set.Items = append(set.Items, it)
		}
		stored = it
		rec, err := record(RecordItem, it.ID, it, author)
		rec.Version = it.Version
		return []ContentRecord{rec}, err
	})
	return stored, err
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// PutProgramme adds or replaces a programme.
func (l *Library) PutProgramme(ctx context.Context, author string, p content.Programme) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		if i := slices.IndexFunc(set.Programmes, func(x content.Programme) bool { return x.ID == p.ID }); i >= 0 {
			if sameJSON(set.Programmes[i], p) {
				return nil, nil
			}
			set.Programmes[i] = p
		} else {
			set.Programmes = append(set.Programmes, p)
		}
		rec, err := record(RecordProgramme, p.ID, p, author)
		return []ContentRecord{rec}, err
	})
}

// PutSchedule adds or replaces a schedule.
func (l *Library) PutSchedule(ctx context.Context, author string, s content.Schedule) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		if i := slices.IndexFunc(set.Schedules, func(x content.Schedule) bool { return x.ID == s.ID }); i >= 0 {
			if sameJSON(set.Schedules[i], s) {
				return nil, nil
			}
			set.Schedules[i] = s
		} else {
			set.Schedules = append(set.Schedules, s)
		}
		rec, err := record(RecordSchedule, s.ID, s, author)
		return []ContentRecord{rec}, err
	})
}

// DeleteSchedule removes a schedule (its history is kept).
func (l *Library) DeleteSchedule(ctx context.Context, author, id string) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		i := slices.IndexFunc(set.Schedules, func(x content.Schedule) bool { return x.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("schedule %s: %w", id, ErrNotFound)
		}
		set.Schedules = slices.Delete(set.Schedules, i, i+1)
		return []ContentRecord{{Kind: RecordSchedule, ID: id, Author: author}}, nil
	})
}

// PutNotice adds or replaces an emergency notice. It validates the set
// only: a notice written by staff (console or API) is first put through
// CheckNotice, the one set of notice rules, and stored as it returns it.
func (l *Library) PutNotice(ctx context.Context, author string, n content.Notice) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		if i := slices.IndexFunc(set.Notices, func(x content.Notice) bool { return x.ID == n.ID }); i >= 0 {
			if sameJSON(set.Notices[i], n) {
				return nil, nil
			}
			set.Notices[i] = n
		} else {
			set.Notices = append(set.Notices, n)
		}
		rec, err := record(RecordNotice, n.ID, n, author)
		return []ContentRecord{rec}, err
	})
}

// WithdrawNotice withdraws a notice at once.
func (l *Library) WithdrawNotice(ctx context.Context, author, id string) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		i := slices.IndexFunc(set.Notices, func(x content.Notice) bool { return x.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("notice %s: %w", id, ErrNotFound)
		}
		if set.Notices[i].Withdrawn {
			return nil, nil
		}
		set.Notices[i].Withdrawn = true
		rec, err := record(RecordNotice, id, set.Notices[i], author)
		return []ContentRecord{rec}, err
	})
}

// SetFallback sets the programme a device kind plays when no schedule is
// active; an empty programme ID clears it.
func (l *Library) SetFallback(ctx context.Context, author, kind, programmeID string) error {
	return l.change(ctx, func(set *content.Set) ([]ContentRecord, error) {
		if set.Fallbacks == nil {
			set.Fallbacks = map[string]string{}
		}
		if set.Fallbacks[kind] == programmeID {
			return nil, nil
		}
		if programmeID == "" {
			delete(set.Fallbacks, kind)
			return []ContentRecord{{Kind: RecordFallback, ID: kind, Author: author}}, nil
		}
		set.Fallbacks[kind] = programmeID
		rec, err := record(RecordFallback, kind, programmeID, author)
		return []ContentRecord{rec}, err
	})
}

// CheckSchedule runs the authoring checks (content.Check) on the current
// set with s added or replacing the schedule of the same ID, against the
// fleet's active devices, without storing anything. Only the problems of
// s (fields under schedules[ID] or, for an unusable ID, schedules[#i]) and
// the conflicts that involve s are returned: a problem elsewhere in the set
// (a notice whose region lost its last device, another schedule whose
// devices were revoked) is not this schedule's. Storing still validates
// the whole set (Library.change).
func (l *Library) CheckSchedule(ctx context.Context, s content.Schedule) (content.Report, error) {
	set, _, err := l.store.ContentSet(ctx)
	if err != nil {
		return content.Report{}, err
	}
	at := slices.IndexFunc(set.Schedules, func(x content.Schedule) bool { return x.ID == s.ID })
	if at >= 0 {
		set.Schedules[at] = s
	} else {
		at = len(set.Schedules)
		set.Schedules = append(set.Schedules, s)
	}
	devs, err := l.store.Devices(ctx, Filter{})
	if err != nil {
		return content.Report{}, err
	}
	cds := make([]content.Device, len(devs))
	for i, d := range devs {
		cds[i] = ContentDevice(d)
	}
	rep := content.Check(set, cds, l.now(), 0)
	prefixes := []string{"schedules[" + s.ID + "]", fmt.Sprintf("schedules[#%d]", at)}
	rep.Problems = slices.DeleteFunc(rep.Problems, func(p *content.FieldError) bool {
		return !slices.ContainsFunc(prefixes, func(pre string) bool {
			return p.Field == pre || strings.HasPrefix(p.Field, pre+".")
		})
	})
	if len(rep.Problems) == 0 {
		rep.Problems = nil
	}
	rep.Conflicts = slices.DeleteFunc(rep.Conflicts, func(c content.Conflict) bool {
		return c.Schedules[0] != s.ID && c.Schedules[1] != s.ID
	})
	return rep, nil
}

// ContentDevice is how the content package sees a device.
func ContentDevice(d Device) content.Device {
	return content.Device{ID: d.ID, Kind: string(d.Kind), Region: d.Region, Tags: d.Tags}
}

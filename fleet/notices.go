package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lawpoint/content"
)

// MaxNoticeDays bounds how long an emergency notice may run: its expiry is
// at most this many days after its start.
const MaxNoticeDays = 30

// FieldErrors is every input error of one request, one per field, in the
// order of the request's fields. errors.As finds the first *FieldError.
type FieldErrors []*FieldError

func (fe FieldErrors) Error() string {
	msgs := make([]string, len(fe))
	for i, e := range fe {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns each field's error.
func (fe FieldErrors) Unwrap() []error {
	out := make([]error, len(fe))
	for i, e := range fe {
		out[i] = e
	}
	return out
}

// CheckNotice applies the rules every emergency notice written by staff
// obeys, on the console and through the API alike, and returns the notice
// as it is to be stored:
//
//   - text: line ends made "\n", surrounding spaces trimmed; not empty,
//     valid UTF-8, at most content.MaxTextRunes characters (the LED limit);
//   - regions: at least one; each normalized (NormalizeRegion, a trailing
//     "/" dropped, duplicates dropped) and without "." or ".." levels;
//   - start: now when zero; expiry: after now (by a minute), after the
//     start, and at most MaxNoticeDays after the start;
//   - then, for a notice right in all these (as content.Check asks only a
//     valid set), every region holds at least one active registered device.
//
// Problems are FieldErrors with Chinese messages, for the fields "text",
// "regions" or "regions[i]", and "expiry", in that order. Whether the
// account may publish to the regions is the caller's decision
// (Account.CanActAll), made on the regions returned. Nothing is stored.
func (l *Library) CheckNotice(ctx context.Context, n content.Notice, now time.Time) (content.Notice, error) {
	var errs FieldErrors
	add := func(field, msg, zh string) {
		errs = append(errs, invalidField(field, msg, zh).(*FieldError))
	}

	n.Text = strings.TrimSpace(strings.ReplaceAll(n.Text, "\r\n", "\n"))
	switch count := utf8.RuneCountInString(n.Text); {
	case n.Text == "":
		add("text", "the notice is empty: type the notice to show", "请输入通知内容")
	case !utf8.ValidString(n.Text):
		add("text", "the notice is not valid UTF-8: re-enter it", "通知内容编码有误，请重新输入")
	case count > content.MaxTextRunes:
		add("text", fmt.Sprintf("the notice has %d characters, over the limit of %d: shorten it", count, content.MaxTextRunes),
			fmt.Sprintf("通知共 %d 字，超过 %d 字的上限，请删减", count, content.MaxTextRunes))
	}

	regions := make([]string, 0, len(n.Regions))
	if len(n.Regions) == 0 {
		add("regions", "the notice has no region: choose where it is shown", "请选择发布区域")
	}
	fields := map[string]string{} // normalized region → its field
	for i, raw := range n.Regions {
		field := fmt.Sprintf("regions[%d]", i)
		region, err := noticeRegion(field, raw)
		if err != nil {
			errs = append(errs, err.(*FieldError))
			continue
		}
		if !slices.Contains(regions, region) {
			regions = append(regions, region)
			fields[region] = field
		}
	}
	n.Regions = regions

	if n.Start.IsZero() {
		n.Start = now.UTC().Truncate(time.Second)
	}
	switch {
	case n.Expiry.IsZero():
		add("expiry", "the notice has no expiry: set when it ends, so an offline board stops showing it",
			"请设置截止时间；通知必须有截止时间，以免离线的显示屏一直播放")
	case !n.Expiry.After(now.Add(time.Minute)):
		add("expiry", "the expiry is not in the future: set a later one", "截止时间须晚于现在")
	case !n.Expiry.After(n.Start):
		add("expiry", "the notice expires before it starts: set the expiry after the start", "截止时间须晚于开始时间")
	case n.Expiry.After(n.Start.AddDate(0, 0, MaxNoticeDays)):
		add("expiry", fmt.Sprintf("a notice runs at most %d days: set an earlier expiry", MaxNoticeDays),
			fmt.Sprintf("紧急通知最长有效 %d 天，请提前截止时间", MaxNoticeDays))
	}
	if len(errs) > 0 {
		return n, errs
	}
	// As content.Check: whether the notice reaches a device is asked of a
	// notice that is otherwise valid.
	for _, region := range n.Regions {
		devs, err := l.store.Devices(ctx, Filter{Region: region, Limit: 1})
		if err != nil {
			return n, err
		}
		if len(devs) == 0 {
			errs = append(errs, invalidField(fields[region], fmt.Sprintf("no registered device is in %s: check the region against the device list", region),
				"该区域没有设备，请从列表中选择").(*FieldError))
		}
	}
	if len(errs) > 0 {
		return n, errs
	}
	return n, nil
}

// noticeRegion normalizes one region of a notice; a problem is a
// *FieldError for field.
func noticeRegion(field, raw string) (string, error) {
	raw = strings.TrimSuffix(strings.TrimSpace(raw), "/")
	for seg := range strings.SplitSeq(raw, "/") {
		if s := strings.TrimSpace(seg); s == "." || s == ".." {
			return "", invalidField(field, fmt.Sprintf("region %q holds a %q level: write the path without it", raw, s),
				"区域路径不能包含“.”或“..”，请从区域列表中选择")
		}
	}
	region, err := NormalizeRegion(raw)
	if err != nil {
		return "", invalidField(field, strings.TrimPrefix(err.Error(), "invalid input: "), StaffMessage(err))
	}
	return region, nil
}

package content

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on authored values.
const (
	MaxItemSize     = 64 << 20 // bytes of one item
	MaxTextRunes    = 2000     // characters of an LED message or notice
	MaxEntrySeconds = 3600     // airtime of one programme entry
	MaxWindows      = 48       // windows of one schedule
)

// Validate checks the whole set: every field, and that every programme,
// item and zone named exists. It returns nil or Problems listing every
// FieldError found.
func (s *Set) Validate() error {
	_, ps := s.validate()
	return ps.err()
}

// Validate checks one schedule on its own: everything except whether its
// programme exists (Set.Validate checks that).
func (sc *Schedule) Validate() error {
	ps := problems{}
	validateSchedule(&ps, sc, zoneCache{})
	return ps.list.err()
}

// validate checks s and returns the zones it loaded.
func (s *Set) validate() (zoneCache, Problems) {
	zc := zoneCache{}
	ps := problems{}
	items := map[string]*Item{}
	for i := range s.Items {
		it := &s.Items[i]
		ps.prefix = elem("items", i, it.ID)
		validateItem(&ps, it)
		if _, dup := items[it.ID]; dup && it.ID != "" {
			ps.invalid("id", "repeats the ID of another item", "give every item its own ID (a new version keeps the ID and raises version instead)", "素材编号与其他素材重复，请使用不同的编号")
		}
		items[it.ID] = it
	}
	progs := map[string]bool{}
	for i := range s.Programmes {
		p := &s.Programmes[i]
		ps.prefix = elem("programmes", i, p.ID)
		if msg := idProblem(p.ID); msg != "" {
			ps.invalid("id", "programme ID "+msg, "use 1-64 letters, digits, '.', '_' or '-'", "节目编号无效，请只用字母、数字、点、下划线或连字符")
		} else if progs[p.ID] {
			ps.invalid("id", "repeats the ID of another programme", "give every programme its own ID", "节目编号与其他节目重复，请使用不同的编号")
		}
		progs[p.ID] = true
		if len(p.Entries) == 0 {
			ps.invalid("entries", "programme has no entries", "add at least one item with its airtime", "节目中没有任何内容，请至少添加一条素材及播放时长")
		}
		for j, e := range p.Entries {
			f := fmt.Sprintf("entries[%d]", j)
			if _, ok := items[e.ItemID]; !ok {
				ps.unknown(f+".item_id", fmt.Sprintf("item %q does not exist", e.ItemID), "pick an item from the library or upload it first", fmt.Sprintf("素材“%s”不存在，请从素材库中选择或先上传该素材", e.ItemID))
			}
			if e.Seconds < 1 || e.Seconds > MaxEntrySeconds {
				ps.invalid(f+".seconds", fmt.Sprintf("airtime %d s is outside 1 to %d s", e.Seconds, MaxEntrySeconds), fmt.Sprintf("set the airtime between 1 and %d seconds", MaxEntrySeconds), fmt.Sprintf("播放时长须在 1 到 %d 秒之间", MaxEntrySeconds))
			}
		}
	}
	scheds := map[string]bool{}
	for i := range s.Schedules {
		sc := &s.Schedules[i]
		ps.prefix = elem("schedules", i, sc.ID)
		validateSchedule(&ps, sc, zc)
		if scheds[sc.ID] && sc.ID != "" {
			ps.invalid("id", "repeats the ID of another schedule", "give every schedule its own ID", "排期编号与其他排期重复，请使用不同的编号")
		}
		scheds[sc.ID] = true
		if !progs[sc.ProgrammeID] {
			ps.unknown("programme_id", fmt.Sprintf("programme %q does not exist", sc.ProgrammeID), "pick an existing programme or create it first", fmt.Sprintf("节目“%s”不存在，请选择已有节目或先创建该节目", sc.ProgrammeID))
		}
	}
	notices := map[string]bool{}
	for i := range s.Notices {
		n := &s.Notices[i]
		ps.prefix = elem("notices", i, n.ID)
		validateNotice(&ps, n)
		if notices[n.ID] && n.ID != "" {
			ps.invalid("id", "repeats the ID of another notice", "give every notice its own ID", "紧急通知编号与其他通知重复，请使用不同的编号")
		}
		notices[n.ID] = true
	}
	for _, kind := range slices.Sorted(maps.Keys(s.Fallbacks)) {
		ps.prefix = "fallbacks[" + kind + "]"
		if !slices.Contains(DeviceKinds, kind) {
			ps.invalid("", fmt.Sprintf("device kind %q is unknown", kind), "use \"kiosk\" or \"led\"", fmt.Sprintf("设备类型“%s”未知，请使用 kiosk（一体机）或 led（显示屏）", kind))
		}
		if pid := s.Fallbacks[kind]; !progs[pid] {
			ps.unknown("", fmt.Sprintf("fallback programme %q does not exist", pid), "pick an existing programme or create it first", fmt.Sprintf("默认节目“%s”不存在，请选择已有节目或先创建该节目", pid))
		}
	}
	return zc, ps.list
}

// elem names element i of a collection by its ID when the ID is usable.
func elem(coll string, i int, id string) string {
	if idProblem(id) == "" {
		return coll + "[" + id + "]"
	}
	return fmt.Sprintf("%s[#%d]", coll, i)
}

func validateItem(ps *problems, it *Item) {
	if msg := idProblem(it.ID); msg != "" {
		ps.invalid("id", "item ID "+msg, "use 1-64 letters, digits, '.', '_' or '-'", "素材编号无效，请只用字母、数字、点、下划线或连字符")
	}
	if it.Version < 1 {
		ps.invalid("version", fmt.Sprintf("version %d is below 1", it.Version), "start versions at 1 and raise them with every change", "素材版本号须从 1 开始，每次修改后递增")
	}
	if !isHexDigest(it.SHA256) {
		ps.invalid("sha256", "is not 64 lowercase hex digits", "set it to the SHA-256 of the item's bytes (content.Digest)", "素材校验值（SHA-256）格式不正确，请重新上传素材")
	}
	if it.Size < 1 || it.Size > MaxItemSize {
		ps.invalid("size", fmt.Sprintf("size %d bytes is outside 1 to %d", it.Size, MaxItemSize), "upload a non-empty file of at most 64 MiB", "素材大小须大于 0 且不超过 64 MB")
	}
	bodies := 0
	for _, set := range []bool{it.Text != nil, it.Image != nil, it.Article != nil} {
		if set {
			bodies++
		}
	}
	switch it.Kind {
	case KindText:
		if it.Text == nil {
			ps.invalid("text", "a text item has no text", "fill in the message", "文字素材缺少内容，请填写要播放的文字")
		} else {
			validateText(ps, it.Text)
		}
	case KindImage:
		if it.Image == nil {
			ps.invalid("image", "an image item has no image description", "give the format, width and height", "图片素材缺少格式和尺寸信息，请重新上传图片")
		} else {
			if it.Image.Format != "png" && it.Image.Format != "jpeg" {
				ps.invalid("image.format", fmt.Sprintf("format %q is not supported", it.Image.Format), "upload a PNG or JPEG file", "图片格式不支持，请上传 PNG 或 JPEG 图片")
			}
			if it.Image.Width < 1 || it.Image.Height < 1 || it.Image.Width > 8192 || it.Image.Height > 8192 {
				ps.invalid("image.width", fmt.Sprintf("size %dx%d is outside 1x1 to 8192x8192", it.Image.Width, it.Image.Height), "upload a picture of at most 8192x8192 pixels", "图片尺寸须在 1×1 到 8192×8192 像素之间")
			}
		}
	case KindArticle:
		if it.Article == nil || strings.TrimSpace(it.Article.Title) == "" {
			ps.invalid("article.title", "the article has no title", "give the article a title", "文章缺少标题，请填写标题")
		}
		if it.Article == nil || strings.TrimSpace(it.Article.Body) == "" {
			ps.invalid("article.body", "the article has no body", "write the article's text", "文章正文为空，请填写正文")
		}
	default:
		ps.invalid("kind", fmt.Sprintf("kind %q is unknown", it.Kind), "use \"text\", \"image\" or \"article\"", "素材类型未知，请选择文字、图片或文章")
	}
	if bodies > 1 {
		ps.invalid("kind", "more than one of text, image and article is set", "keep only the body that matches kind", "素材只能是文字、图片、文章中的一种，请删除多余的内容")
	}
	if p, ok := it.Payload(); ok && isHexDigest(it.SHA256) {
		if sum, n := Digest(p); sum != it.SHA256 || n != it.Size {
			ps.invalid("sha256", "does not match the item's text", "recompute sha256 and size from the text (content.NewText and content.NewArticle do it)", "素材校验值与内容不符，请重新保存该素材")
		}
	}
	for j, tag := range it.Tags {
		if msg := tagProblem(tag); msg != "" {
			ps.invalid(fmt.Sprintf("tags[%d]", j), "tag "+msg, "use a short topic such as 宪法 or 反诈骗", "主题标签无效，请使用“宪法”“反诈骗”等简短标签")
		}
	}
	validateInstant(ps, "valid_from", it.ValidFrom)
	validateInstant(ps, "valid_until", it.ValidUntil)
	if !it.ValidFrom.IsZero() && !it.ValidUntil.IsZero() && !it.ValidFrom.Before(it.ValidUntil) {
		ps.invalid("valid_until", "is not after valid_from", "set the end of validity after its start", "有效期结束时间须晚于开始时间")
	}
}

func validateText(ps *problems, t *Text) {
	switch {
	case !utf8.ValidString(t.Body):
		ps.invalid("text.body", "is not valid UTF-8", "re-enter the message", "文字内容编码有误，请重新输入")
	case strings.TrimSpace(t.Body) == "":
		ps.invalid("text.body", "the message is empty", "type the message to show", "文字内容为空，请输入要播放的文字")
	case utf8.RuneCountInString(t.Body) > MaxTextRunes:
		ps.invalid("text.body", fmt.Sprintf("the message is longer than %d characters", MaxTextRunes), "shorten it or split it into several items", fmt.Sprintf("文字超过 %d 字，请删减或拆分为多条", MaxTextRunes))
	}
	if t.Colour != "" && !slices.Contains(knownColours, t.Colour) {
		ps.invalid("text.colour", fmt.Sprintf("colour %q is unknown", t.Colour), "use red, green, yellow or white, or leave it empty", "颜色未知，请选择红、绿、黄、白或留空")
	}
	if t.Effect != "" && !slices.Contains(knownEffects, t.Effect) {
		ps.invalid("text.effect", fmt.Sprintf("effect %q is unknown", t.Effect), "use static, scroll_left, scroll_up, flash, typewriter or continuous_left, or leave it empty", "显示特效未知，请从列表中选择或留空")
	}
	if t.Speed < 0 || t.Speed > 8 {
		ps.invalid("text.speed", fmt.Sprintf("speed %d is outside 0 to 8", t.Speed), "use 1 (slowest) to 8 (fastest), or 0 for the board's default", "速度须在 1（最慢）到 8（最快）之间，0 表示使用显示屏默认值")
	}
	if t.StaySeconds < 0 || t.StaySeconds > MaxEntrySeconds {
		ps.invalid("text.stay_seconds", fmt.Sprintf("stay %d s is outside 0 to %d s", t.StaySeconds, MaxEntrySeconds), "use a stay between 0 and 3600 seconds", "停留时间须在 0 到 3600 秒之间")
	}
}

func validateInstant(ps *problems, field string, t time.Time) {
	if t.IsZero() {
		return
	}
	if t.Nanosecond() != 0 {
		ps.invalid(field, "has a fraction of a second", "use whole seconds", "时间须精确到整秒")
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		ps.invalid(field, fmt.Sprintf("year %d is outside 1970 to 9999", t.Year()), "check the date", "日期年份有误，请检查")
	}
}

func validateSchedule(ps *problems, sc *Schedule, zc zoneCache) {
	if msg := idProblem(sc.ID); msg != "" {
		ps.invalid("id", "schedule ID "+msg, "use 1-64 letters, digits, '.', '_' or '-'", "排期编号无效，请只用字母、数字、点、下划线或连字符")
	}
	if msg := idProblem(sc.ProgrammeID); msg != "" {
		ps.invalid("programme_id", "programme ID "+msg, "pick the programme to play", "请选择要播放的节目")
	}
	if sc.Priority < MinPriority || sc.Priority > MaxPriority {
		ps.invalid("priority", fmt.Sprintf("priority %d is outside %d to %d", sc.Priority, MinPriority, MaxPriority), fmt.Sprintf("use a priority from %d to %d; higher wins", MinPriority, MaxPriority), fmt.Sprintf("优先级须在 %d 到 %d 之间，数值越大越优先", MinPriority, MaxPriority))
	}
	validateTarget(ps, "target", &sc.Target)
	if _, err := zc.load(sc.Zone); err != nil {
		ps.unknown("zone", fmt.Sprintf("time zone %q is unknown", sc.Zone), "use an IANA zone name such as Asia/Shanghai, or leave it empty for Asia/Shanghai", fmt.Sprintf("时区“%s”无效，请使用 Asia/Shanghai 等标准时区名，或留空（默认北京时间）", sc.Zone))
	}
	if sc.Always {
		if !sc.DateFrom.IsZero() || !sc.DateUntil.IsZero() || sc.Weekdays != 0 || len(sc.Windows) > 0 {
			ps.invalid("always", "an always schedule also sets dates, weekdays or windows", "clear always to play at set times, or clear the dates, weekdays and windows", "“始终播放”的排期不能再设置日期、星期或时段，请二选一")
		}
		return
	}
	if sc.Weekdays.IsZero() || sc.Weekdays&^EveryDay != 0 {
		ps.invalid("weekdays", "no day of the week is chosen", "choose at least one weekday, or make the schedule always", "未选择星期，请至少选择一天，或设为“始终播放”")
	}
	if !sc.DateFrom.IsZero() && !sc.DateFrom.valid() {
		ps.invalid("date_from", fmt.Sprintf("%s is not a calendar date between 1970 and 9999", sc.DateFrom), "pick a real date", "开始日期无效，请重新选择")
	}
	if !sc.DateUntil.IsZero() && !sc.DateUntil.valid() {
		ps.invalid("date_until", fmt.Sprintf("%s is not a calendar date between 1970 and 9999", sc.DateUntil), "pick a real date", "结束日期无效，请重新选择")
	}
	if !sc.DateFrom.IsZero() && !sc.DateUntil.IsZero() && sc.DateUntil.dayNumber() < sc.DateFrom.dayNumber() {
		ps.invalid("date_until", fmt.Sprintf("ends on %s, before it starts on %s", sc.DateUntil, sc.DateFrom), "swap the dates or pick a later end date (both dates are included)", fmt.Sprintf("结束日期 %s 早于开始日期 %s，请调换或重新选择（起止日期均包含在内）", sc.DateUntil, sc.DateFrom))
	}
	if len(sc.Windows) > MaxWindows {
		ps.invalid("windows", fmt.Sprintf("%d windows is more than %d", len(sc.Windows), MaxWindows), "merge windows or split the schedule", fmt.Sprintf("时段不能超过 %d 个，请合并时段或拆分排期", MaxWindows))
	}
	for j, w := range sc.Windows {
		f := fmt.Sprintf("windows[%d]", j)
		switch {
		case w.Start < 0 || w.Start >= 86400:
			ps.invalid(f+".start", fmt.Sprintf("start %s is not a time of day before 24:00", w.Start), "use 00:00 to 23:59", "开始时间须在 00:00 到 23:59 之间")
		case w.End < 0 || w.End > 86400:
			ps.invalid(f+".end", fmt.Sprintf("end %s is not a time of day up to 24:00", w.End), "use 00:00 to 24:00", "结束时间须在 00:00 到 24:00 之间")
		case w.Start == w.End:
			ps.invalid(f+".end", fmt.Sprintf("window %s-%s is empty", w.Start, w.End), "make the end later than the start", fmt.Sprintf("时段 %s-%s 长度为零，请把结束时间设得晚于开始时间", w.Start, w.End))
		case !w.Overnight && w.End < w.Start:
			ps.invalid(f+".end", fmt.Sprintf("window ends at %s, before it starts at %s", w.End, w.Start), "swap start and end, or set overnight if it runs past midnight into the next day", fmt.Sprintf("时段结束时间 %s 早于开始时间 %s：请调换，或如需跨过午夜请勾选“次日”", w.End, w.Start))
		case w.Overnight && w.End > w.Start:
			ps.invalid(f+".overnight", fmt.Sprintf("window %s-%s is marked overnight but ends the same day", w.Start, w.End), "clear overnight, or set an end time earlier than the start for the next morning", fmt.Sprintf("时段 %s-%s 勾选了“次日”但并未跨过午夜，请取消勾选或修改结束时间", w.Start, w.End))
		}
	}
}

func validateTarget(ps *problems, f string, t *Target) {
	regions := func(field string, list []string) {
		for j, r := range list {
			if msg := regionProblem(r); msg != "" {
				ps.invalid(fmt.Sprintf("%s.%s[%d]", f, field, j), fmt.Sprintf("region path %q %s", r, msg), "write a path such as 仙游县/榜头镇/坝下村", "区域路径格式有误，请写成“仙游县/榜头镇/坝下村”的形式")
			}
		}
	}
	tags := func(field string, list []string) {
		for j, tag := range list {
			if msg := tagProblem(tag); msg != "" {
				ps.invalid(fmt.Sprintf("%s.%s[%d]", f, field, j), "tag "+msg, "use a device tag such as 公园", "设备标签无效，请检查")
			}
		}
	}
	ids := func(field string, list []string) {
		for j, id := range list {
			if msg := idProblem(id); msg != "" {
				ps.invalid(fmt.Sprintf("%s.%s[%d]", f, field, j), fmt.Sprintf("device ID %q %s", id, msg), "pick the device from the fleet list", "设备编号无效，请从设备列表中选择")
			}
		}
	}
	regions("regions", t.Regions)
	regions("exclude_regions", t.ExcludeRegions)
	tags("tags", t.Tags)
	tags("exclude_tags", t.ExcludeTags)
	ids("devices", t.Devices)
	ids("exclude_devices", t.ExcludeDevices)
	for j, k := range t.Kinds {
		if !slices.Contains(DeviceKinds, k) {
			ps.invalid(fmt.Sprintf("%s.kinds[%d]", f, j), fmt.Sprintf("device kind %q is unknown", k), "use \"kiosk\" or \"led\"", "设备类型未知，请选择 kiosk（一体机）或 led（显示屏）")
		}
	}
	if len(t.Regions) == 0 && len(t.Tags) == 0 && len(t.Kinds) == 0 && len(t.Devices) == 0 {
		ps.invalid(f, "selects no device: no region, tag, kind or device is given", "add a region (the county's name covers every device), a tag, a kind or device IDs", "投放范围为空，请至少选择区域（选县名即覆盖全部设备）、标签、设备类型或具体设备")
	}
	for _, id := range t.Devices {
		if slices.Contains(t.ExcludeDevices, id) {
			ps.invalid(f+".exclude_devices", fmt.Sprintf("device %s is both included and excluded", id), "remove it from one of the two lists (exclusions win)", fmt.Sprintf("设备 %s 同时被选中和排除，请从其中一个列表删除（排除优先）", id))
		}
	}
}

func validateNotice(ps *problems, n *Notice) {
	if msg := idProblem(n.ID); msg != "" {
		ps.invalid("id", "notice ID "+msg, "use 1-64 letters, digits, '.', '_' or '-'", "通知编号无效，请只用字母、数字、点、下划线或连字符")
	}
	switch {
	case !utf8.ValidString(n.Text):
		ps.invalid("text", "is not valid UTF-8", "re-enter the notice", "通知内容编码有误，请重新输入")
	case strings.TrimSpace(n.Text) == "":
		ps.invalid("text", "the notice is empty", "type the notice to show", "紧急通知内容为空，请输入通知内容")
	case utf8.RuneCountInString(n.Text) > MaxTextRunes:
		ps.invalid("text", fmt.Sprintf("the notice is longer than %d characters", MaxTextRunes), "shorten it", fmt.Sprintf("通知超过 %d 字，请删减", MaxTextRunes))
	}
	if len(n.Regions) == 0 {
		ps.invalid("regions", "the notice has no region", "choose the regions it is for (the county's name covers every device)", "紧急通知未选择区域，请选择发布区域（选县名即覆盖全部设备）")
	}
	for j, r := range n.Regions {
		if msg := regionProblem(r); msg != "" {
			ps.invalid(fmt.Sprintf("regions[%d]", j), fmt.Sprintf("region path %q %s", r, msg), "write a path such as 仙游县/榜头镇", "区域路径格式有误，请写成“仙游县/榜头镇”的形式")
		}
	}
	if n.Start.IsZero() {
		ps.invalid("start", "the notice has no start time", "set when it starts", "请设置通知的开始时间")
	}
	if n.Expiry.IsZero() {
		ps.invalid("expiry", "the notice has no expiry", "set when it ends; a notice must expire so an offline board stops showing it", "请设置通知的结束时间；通知必须有截止时间，以免离线的显示屏一直播放")
	} else if !n.Start.IsZero() && !n.Expiry.After(n.Start) {
		ps.invalid("expiry", "expires before or when it starts", "set the expiry after the start", "通知结束时间须晚于开始时间")
	}
	validateInstant(ps, "start", n.Start)
	validateInstant(ps, "expiry", n.Expiry)
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

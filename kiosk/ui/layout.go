package ui

import (
	"image/color"
	"math"
	"strings"

	"lawpoint/kiosk/flow"
)

// lineFactor is line height over text size for everything but articles.
const lineFactor = 1.25

// Layout places view v on a w x h screen.
func Layout(v flow.View, w, h int, m Measurer) Frame {
	s := math.Min(float64(w)/BaseW, float64(h)/BaseH)
	l := &builder{m: m, sc: scaler{s: s, ox: (float64(w) - BaseW*s) / 2, oy: (float64(h) - BaseH*s) / 2}}
	l.f = Frame{W: w, H: h, Scale: s}
	l.f.Items = append(l.f.Items, Item{Kind: KindRect, Rect: rectWH(0, 0, w, h), Fill: Background})
	if v.Screen == flow.ScreenHome {
		l.home(v)
	} else {
		l.step(v)
	}
	if v.Idle != nil {
		l.idle(v.Idle)
	}
	return l.f
}

// The base layout's bands, in base px.
const (
	margin    = 12.0
	headerH   = 80.0
	promptTop = 84.0
	promptH   = 40.0
	bodyTop   = 130.0
	barH      = 68.0
	barTop    = BaseH - margin/2 - barH // the bottom bar: pager and actions
	gap       = 12.0
)

var full = box{0, 0, BaseW, BaseH}

type builder struct {
	m  Measurer
	sc scaler
	f  Frame
}

func (l *builder) rect(b box, fill, border color.RGBA, stroke, radius float64) {
	l.f.Items = append(l.f.Items, Item{Kind: KindRect, Rect: l.sc.rect(b), Fill: fill, Border: border, Stroke: stroke * l.sc.s, Radius: radius * l.sc.s})
}

// text fits s into b at size px (shrinking to minSize, then wrapping) and
// returns the height used, in base px.
func (l *builder) text(b box, s string, size, minSize float64, ink, on color.RGBA, align Align, role Role) float64 {
	lines, size, lh := l.fit(s, b.w, b.h, size, minSize)
	l.f.Items = append(l.f.Items, Item{
		Kind: KindText, Rect: l.sc.rect(b), Lines: lines, Size: size * l.sc.s, LineHeight: lh * l.sc.s,
		Ink: ink, On: on, Align: align, Role: role,
	})
	return float64(len(lines)) * lh
}

// fit chooses the largest size from size down to minSize at which s wraps
// into at most h of height within width w.
func (l *builder) fit(s string, w, h, size, minSize float64) ([]string, float64, float64) {
	for sz := size; ; sz -= 2 {
		if sz < minSize {
			sz = minSize
		}
		lh := math.Round(sz * lineFactor)
		lines := Wrap(s, w, sz, l.m)
		if float64(len(lines))*lh <= h+0.5 || sz <= minSize {
			return lines, sz, lh
		}
	}
}

func (l *builder) icon(b box, ic flow.Icon, c color.RGBA) {
	l.f.Items = append(l.f.Items, Item{Kind: KindIcon, Rect: l.sc.rect(b), Icon: ic, Fill: c})
}

func styleOf(b flow.Button) Style {
	if b.Disabled {
		return styleDisabled
	}
	switch b.Tone {
	case flow.TonePrimary:
		return stylePrimary
	case flow.ToneNav:
		return styleNav
	case flow.ToneKey:
		return styleKey
	case flow.ToneChip:
		if b.Selected {
			return styleChipOn
		}
		return styleChip
	case flow.ToneFace:
		return styleFace
	}
	if st, ok := styleTiles[string(b.Tone)]; ok {
		return st
	}
	return styleChoice
}

// button draws b in bx with its label at size px (the second line smaller).
func (l *builder) button(bx box, b flow.Button, size float64) {
	st := styleOf(b)
	l.rect(bx, st.Fill, st.Border, 3, 10)
	l.f.Targets = append(l.f.Targets, Target{ID: b.ID, Label: b.Label, Rect: l.sc.rect(bx), Disabled: b.Disabled})
	in := bx.inset(5)
	if b.Sub == "" {
		l.text(in, b.Label, size, MinMainText, st.Ink, st.Fill, AlignCenter, RoleMain)
		return
	}
	sub := math.Max(math.Round(size*0.62), 20)
	subH := math.Round(sub * lineFactor)
	lines, sz, lh := l.fit(b.Label, in.w, in.h-subH, size, MinMainText)
	labelH := float64(len(lines)) * lh
	top := in.y + math.Max(0, (in.h-subH-labelH)/2)
	l.text(box{in.x, top, in.w, labelH}, b.Label, sz, MinMainText, st.Ink, st.Fill, AlignCenter, RoleMain)
	l.text(box{in.x, top + labelH, in.w, subH}, b.Sub, sub, MinBodyText, st.SubInk, st.Fill, AlignCenter, RoleBody)
}

func (l *builder) home(v flow.View) {
	top := box{0, 0, BaseW, 64}
	l.rect(top, Header, color.RGBA{}, 0, 0)
	l.text(top.inset(6), v.Title, 34, MinMainText, HeaderInk, Header, AlignCenter, RoleMain)

	foot := box{0, BaseH - 58, BaseW, 58}
	l.rect(foot, Footer, color.RGBA{}, 0, 0)
	halves := foot.inset(6).splitX(2, gap)
	for i, f := range v.Info {
		if i < 2 {
			l.text(halves[i], f.Label+f.Value, 26, MinBodyText, Ink, Footer, AlignCenter, RoleBody)
		}
	}
	tilesBottom := foot.y - gap
	if v.Call != "" {
		band := box{0, foot.y - 56, BaseW, 56}
		l.rect(band, CallBand, color.RGBA{}, 0, 0)
		l.text(band.inset(4), v.Call, 36, MinMainText, Ink, CallBand, AlignCenter, RoleMain)
		tilesBottom = band.y - gap
	}
	if v.Notice != nil || len(v.Actions) > 0 {
		tilesBottom = l.homeBand(v, tilesBottom+gap-6) - gap
	}
	area := box{margin, top.bottom() + gap, BaseW - 2*margin, tilesBottom - top.bottom() - gap}
	rows := []box{area.rows(0, (area.h-gap)/2), area.rows((area.h+gap)/2, (area.h-gap)/2)}
	for i, t := range v.Tiles {
		cell := rows[i/2].splitX(2, gap)[i%2]
		st := styleOf(t)
		l.rect(cell, st.Fill, st.Border, 0, 14)
		l.f.Targets = append(l.f.Targets, Target{ID: t.ID, Label: t.Label, Rect: l.sc.rect(cell)})
		ic := math.Min(cell.h-24, 96)
		l.icon(box{cell.x + 14, cell.y + (cell.h-ic)/2, ic, ic}, t.Icon, st.Ink)
		txt := box{cell.x + 24 + ic, cell.y + 8, cell.w - 32 - ic, cell.h - 16}
		mainH := math.Round(38 * lineFactor)
		subH := math.Round(24 * lineFactor)
		y := txt.y + (txt.h-mainH-subH)/2
		l.text(box{txt.x, y, txt.w, mainH}, t.Label, 38, MinMainText, st.Ink, st.Fill, AlignLeft, RoleMain)
		l.text(box{txt.x, y + mainH, txt.w, subH}, t.Sub, 24, MinBodyText, st.SubInk, st.Fill, AlignLeft, RoleBody)
	}
}

// homeBand is the home screen's notice with its buttons (开始视频咨询, 知道了,
// 去评价…), a band above the call band and the footer, its bottom at
// bottom; it returns its top. The four tiles keep the rest.
func (l *builder) homeBand(v flow.View, bottom float64) float64 {
	const h = 84.0
	nb := box{margin, bottom - h, BaseW - 2*margin, h}
	kind := "info"
	if v.Notice != nil && v.Notice.Kind != "" {
		kind = string(v.Notice.Kind)
	}
	st := noticeStyles[kind]
	l.rect(nb, st.Fill, st.Border, 2, 10)
	in := nb.inset(8)
	bw := 240.0
	if len(v.Actions) > 1 {
		bw = 200
	}
	right := in.right()
	for i := len(v.Actions) - 1; i >= 0; i-- {
		b := box{right - bw, in.y, bw, in.h}
		l.button(b, v.Actions[i], 34)
		right = b.x - gap
	}
	if v.Notice != nil {
		l.text(box{in.x + 4, in.y, right - in.x - 4, in.h}, v.Notice.Text, 26, MinBodyText, st.Ink, st.Fill, AlignLeft, RoleBody)
	}
	return nb.y
}

// step lays out every screen but home: the header with 返回, title and 首页,
// a prompt, the body, and a bottom bar with the pager and the actions.
func (l *builder) step(v flow.View) {
	head := box{0, 0, BaseW, headerH}
	l.rect(head, Header, color.RGBA{}, 0, 0)
	back, home := flow.NavButtons()
	l.button(box{margin, 10, 140, 60}, back, 32)
	l.button(box{BaseW - margin - 140, 10, 140, 60}, home, 32)
	l.text(box{margin + 150, 8, BaseW - 2*margin - 300, 64}, v.Title, 34, MinMainText, HeaderInk, Header, AlignCenter, RoleMain)

	prompt := box{margin, promptTop, BaseW - 2*margin, promptH}
	choiceScreen := v.Ticket == nil && v.Keypad == nil && v.Code == nil && len(v.Fields) == 0 &&
		v.Article == nil && len(v.Faces) == 0 && len(v.Chips) == 0 && v.Screen != flow.ScreenRatingThanks
	switch {
	case v.Notice != nil && choiceScreen && v.Busy == "":
		// the notice is shown where the prompt would be
	case v.Notice != nil && v.Keypad != nil && v.Keypad.Columns > 3 && v.Busy == "":
		// the code keypad shows the notice where the prompt would be
	case v.Call != "" && v.Screen == flow.ScreenTicketIssued:
		l.rect(box{0, promptTop - 2, BaseW, promptH + 4}, CallBand, color.RGBA{}, 0, 0)
		l.text(prompt, v.Call, 30, MinMainText, Ink, CallBand, AlignCenter, RoleMain)
	case v.Screen == flow.ScreenRatingThanks:
		// the thanks screen says its words large, in the body
	case v.Article != nil:
		l.text(box{margin, promptTop - 2, BaseW - 2*margin, 44}, v.Article.Title, 32, MinMainText, Header, Background, AlignLeft, RoleMain)
	case v.Prompt != "":
		l.text(prompt, v.Prompt, 28, MinBodyText, Ink, Background, AlignLeft, RoleBody)
	}

	body := box{margin, bodyTop, BaseW - 2*margin, barTop - gap - bodyTop}
	hasBar := v.Pager != nil && v.Pager.Pages > 1 || len(v.Actions) > 0
	if !hasBar {
		body.h = BaseH - margin - bodyTop
	}
	if v.Busy != "" {
		l.text(body, v.Busy, 40, MinMainText, Ink, Background, AlignCenter, RoleMain)
		return
	}
	switch {
	case v.Ticket != nil:
		l.ticket(body, v)
	case v.Keypad != nil:
		l.keypad(v)
		return // the keypad screen places its own action
	case v.Code != nil:
		l.result(body, v)
	case len(v.Fields) > 0:
		l.fields(body, v)
	case v.Article != nil:
		l.article(body, v.Article)
	case len(v.Faces) > 0:
		l.faces(body, v.Faces)
	case len(v.Chips) > 0:
		l.reasons(body, v)
	case v.Screen == flow.ScreenRatingThanks:
		l.thanks(body, v)
	default:
		l.choices(body, v)
	}
	if hasBar {
		l.bar(v)
	}
}

// notice draws a notice box at the bottom of b and returns what is left.
func (l *builder) notice(b box, n *flow.Notice, size float64) box {
	if n == nil {
		return b
	}
	h := l.noticeAt(box{b.x, b.y + b.h/2, b.w, b.h / 2}, n, size, false)
	return box{b.x, b.y, b.w, b.h - h - gap}
}

// noticeAt draws a notice box at the top or the bottom of b, as tall as its
// text needs (at most b), and returns its height.
func (l *builder) noticeAt(b box, n *flow.Notice, size float64, top bool) float64 {
	st := noticeStyles[string(n.Kind)]
	lines, sz, lh := l.fit(n.Text, b.w-24, b.h-20, size, MinBodyText)
	h := math.Min(float64(len(lines))*lh+20, b.h)
	nb := box{b.x, b.bottom() - h, b.w, h}
	if top {
		nb.y = b.y
	}
	l.rect(nb, st.Fill, st.Border, 2, 8)
	l.text(box{nb.x + 12, nb.y + 10, nb.w - 24, nb.h - 20}, n.Text, sz, MinBodyText, st.Ink, st.Fill, AlignLeft, RoleBody)
	return h
}

func (l *builder) choices(body box, v flow.View) {
	if v.Notice != nil {
		// The notice takes the prompt's place, so the choices keep their size.
		h := l.noticeAt(box{margin, promptTop, BaseW - 2*margin, 84}, v.Notice, 24, true)
		if len(v.Choices) > 0 {
			body = body.cut(promptTop+h+gap-body.y, 0)
		}
	}
	cols := max(v.Columns, 1)
	rows := 3
	n := max((len(v.Choices)+cols-1)/cols, 1)
	if n < rows && (v.Pager == nil || (body.h-gap*float64(rows-1))/float64(rows) < 70) {
		rows = n // one page only: the buttons take the room there is
	}
	rowH := math.Min((body.h-gap*float64(rows-1))/float64(rows), 120)
	size := 34.0
	if cols == 3 {
		size = 32
	}
	for i, c := range v.Choices {
		r, col := i/cols, i%cols
		if r >= rows {
			break
		}
		cell := body.rows(float64(r)*(rowH+gap), rowH).splitX(cols, gap)[col]
		if cols == 1 {
			l.listItem(cell, c)
			continue
		}
		l.button(cell, c, size)
	}
}

// listItem is a full-width choice with an icon, the label left-aligned.
func (l *builder) listItem(cell box, c flow.Button) {
	st := styleOf(c)
	l.rect(cell, st.Fill, st.Border, 3, 10)
	l.f.Targets = append(l.f.Targets, Target{ID: c.ID, Label: c.Label, Rect: l.sc.rect(cell), Disabled: c.Disabled})
	ic := cell.h - 20
	l.icon(box{cell.x + 12, cell.y + 10, ic, ic}, c.Icon, st.Ink)
	l.text(box{cell.x + 24 + ic, cell.y + 2, cell.w - 36 - ic, cell.h - 4}, c.Label, 32, MinMainText, st.Ink, st.Fill, AlignLeft, RoleMain)
}

// bar is the bottom row: 上一页 / 第1页，共3页 / 下一页 on the left, the
// actions on the right (centred when there is no pager).
func (l *builder) bar(v flow.View) {
	bar := box{margin, barTop, BaseW - 2*margin, barH}
	right := bar.right()
	if len(v.Actions) > 0 {
		aw := 240.0
		if v.Pager == nil || v.Pager.Pages <= 1 {
			n := float64(len(v.Actions))
			aw = math.Min(300, (bar.w-gap*(n-1))/n)
			total := aw*float64(len(v.Actions)) + gap*float64(len(v.Actions)-1)
			right = bar.x + (bar.w+total)/2
		}
		for i := len(v.Actions) - 1; i >= 0; i-- {
			b := box{right - aw, bar.y, aw, bar.h}
			l.button(b, v.Actions[i], 34)
			right = b.x - gap
		}
	}
	if p := v.Pager; p != nil && p.Pages > 1 {
		prev, next := flow.PageButtons(*p)
		l.button(box{bar.x, bar.y, 160, bar.h}, prev, 30)
		l.text(box{bar.x + 166, bar.y, 172, bar.h}, p.Label(), 24, MinBodyText, Ink, Background, AlignCenter, RoleBody)
		l.button(box{bar.x + 344, bar.y, 160, bar.h}, next, 30)
	}
}

func (l *builder) ticket(body box, v flow.View) {
	t := v.Ticket
	card := body.cols(0, 380)
	l.rect(card, White, Header, 4, 14)
	in := card.inset(12)
	l.text(in.rows(0, 40), "您的号码", 30, MinMainText, Ink, White, AlignCenter, RoleMain)
	l.text(in.rows(40, in.h-40-44), t.Number, 120, 60, Header, White, AlignCenter, RoleMain)
	l.text(in.rows(in.h-44, 44), t.Category, 32, MinMainText, Ink, White, AlignCenter, RoleMain)

	col := box{card.right() + gap, body.y, body.right() - card.right() - gap, body.h}
	col = l.notice(col, v.Notice, 24)
	y := col.y + 4
	y += l.text(box{col.x, y, col.w, 52}, t.Ahead, 36, MinMainText, Ink, Background, AlignLeft, RoleMain) + 8
	if t.Wait != "" {
		y += l.text(box{col.x, y, col.w, 52}, t.Wait, 36, MinMainText, Ink, Background, AlignLeft, RoleMain) + 8
	}
	if t.Time != "" && y+34 <= col.bottom() {
		l.text(box{col.x, y, col.w, 34}, t.Time, 24, MinBodyText, Ink, Background, AlignLeft, RoleBody)
	}
}

func (l *builder) keypad(v flow.View) {
	k := v.Keypad
	if k.Columns > 3 {
		l.wideKeypad(v)
		return
	}
	left := box{margin, bodyTop, 376, BaseH - margin - bodyTop}
	disp := left.rows(0, 84)
	l.rect(disp, White, Border, 3, 10)
	shown := k.Display
	if shown == "" {
		shown = "___ ____ ____"
	}
	ink := Ink
	if k.Display == "" {
		ink = GreyInk
	}
	l.text(disp.inset(8), shown, 46, MinMainText, ink, White, AlignCenter, RoleMain)
	hint := k.Hint
	if hint == "" {
		hint = "已输入" + itoa(k.Count) + "位，共11位"
	}
	l.text(left.rows(90, 32), hint, 24, MinBodyText, Ink, Background, AlignLeft, RoleBody)
	action := box{left.x, left.bottom() - 80, left.w, 80}
	rest := box{left.x, left.y + 128, left.w, action.y - gap - left.y - 128}
	l.notice(rest, v.Notice, 24)
	for _, a := range v.Actions {
		l.button(action, a, 36)
	}
	pad := box{left.right() + gap + 4, bodyTop, BaseW - margin - left.right() - gap - 4, BaseH - margin - bodyTop}
	const rows, cols = 4, 3
	rowH := (pad.h - gap*(rows-1)) / rows
	for i, key := range k.Keys {
		cell := pad.rows(float64(i/cols)*(rowH+gap), rowH).splitX(cols, gap)[i%cols]
		size := 44.0
		if len([]rune(key.Label)) > 1 {
			size = 30
		}
		l.button(cell, key, size)
	}
}

// wideKeypad is the booking-code keypad: a row with what is typed, 删除,
// 清空 and 下一步, then the characters in rows of Columns keys (2-9 on
// the first row, the letters in order below). A notice takes the prompt's
// place.
func (l *builder) wideKeypad(v flow.View) {
	k := v.Keypad
	if n := v.Notice; n != nil {
		st := noticeStyles[string(n.Kind)]
		nb := box{margin, promptTop - 2, BaseW - 2*margin, promptH + 4}
		l.rect(nb, st.Fill, st.Border, 2, 8)
		l.text(box{nb.x + 12, nb.y + 3, nb.w - 24, nb.h - 6}, n.Text, 28, MinBodyText, st.Ink, st.Fill, AlignLeft, RoleBody)
	}
	row := box{margin, bodyTop, BaseW - 2*margin, 64}
	disp := row.cols(0, 300)
	l.rect(disp, White, Border, 3, 10)
	ink := Ink
	if k.Count == 0 {
		ink = GreyInk
	}
	l.text(disp.inset(6), k.Display, 40, MinMainText, ink, White, AlignCenter, RoleMain)
	var keys, side []flow.Button
	for _, key := range k.Keys {
		if key.Tone == flow.ToneKey {
			keys = append(keys, key)
		} else {
			side = append(side, key)
		}
	}
	x := disp.right() + gap
	for _, b := range side {
		l.button(box{x, row.y, 110, row.h}, b, 30)
		x += 110 + gap
	}
	for i, a := range v.Actions {
		w := (row.right() - x - gap*float64(len(v.Actions)-i-1)) / float64(len(v.Actions)-i)
		l.button(box{x, row.y, w, row.h}, a, 34)
		x += w + gap
	}
	const keyGap = 8.0
	pad := box{margin, row.bottom() + keyGap, BaseW - 2*margin, BaseH - 6 - row.bottom() - keyGap}
	cols := k.Columns
	rows := (len(keys) + cols - 1) / cols
	rowH := (pad.h - keyGap*float64(rows-1)) / float64(rows)
	for i, key := range keys {
		cell := pad.rows(float64(i/cols)*(rowH+keyGap), rowH).splitX(cols, keyGap)[i%cols]
		l.button(cell, key, 36)
	}
}

func (l *builder) fields(body box, v flow.View) {
	body = l.notice(body, v.Notice, 26)
	lh := math.Min(56, body.h/float64(len(v.Fields)))
	for i, f := range v.Fields {
		row := body.rows(float64(i)*lh, lh)
		l.text(row.cols(0, 120), f.Label, 30, MinMainText, GreyInk, Background, AlignRight, RoleMain)
		l.text(row.cols(124, row.w-124), f.Value, 30, MinMainText, Ink, Background, AlignLeft, RoleMain)
	}
}

func (l *builder) result(body box, v flow.View) {
	body = l.notice(body, v.Notice, 24)
	card := body.cols(0, 380)
	c := card
	l.rect(c, White, stylePrimary.Fill, 4, 14)
	in := c.inset(10)
	l.text(in.rows(0, 40), v.Code.Label, 30, MinMainText, Ink, White, AlignCenter, RoleMain)
	l.text(in.rows(40, in.h-40), v.Code.Code, 96, 48, stylePrimary.Fill, White, AlignCenter, RoleMain)
	col := box{card.right() + gap, body.y, body.right() - card.right() - gap, body.h}
	rowH := math.Min(col.h/float64(max(len(v.Fields), 1)), 70)
	for i, f := range v.Fields {
		row := col.rows(float64(i)*rowH, rowH)
		l.text(row.cols(0, 84), f.Label, 26, MinBodyText, GreyInk, Background, AlignRight, RoleBody)
		l.text(row.cols(88, row.w-88), f.Value, 28, MinBodyText, Ink, Background, AlignLeft, RoleBody)
	}
}

func (l *builder) article(body box, a *flow.ArticlePage) {
	page := body
	l.rect(page, White, color.RGBA{}, 0, 8)
	lines, _, _ := l.fit(a.Text, page.w-24, page.h, ArticleSize, ArticleSize)
	lh := math.Round(ArticleSize * articleLeading)
	l.f.Items = append(l.f.Items, Item{Kind: KindText, Rect: l.sc.rect(box{page.x + 12, page.y + 6, page.w - 24, float64(len(lines)) * lh}),
		Lines: lines, Size: ArticleSize * l.sc.s, LineHeight: lh * l.sc.s, Ink: Ink, On: White, Align: AlignLeft, Role: RoleBody})
}

// Article text size and leading at the base screen, and the box pages are
// cut for.
const (
	ArticleSize    = 28.0
	articleLeading = 1.5
)

// articleBox is the article text area at the base size.
func articleBox() box {
	page := box{margin, bodyTop, BaseW - 2*margin, barTop - gap - bodyTop}
	return box{page.x + 12, page.y + 6, page.w - 24, page.h - 12}
}

// Paginator cuts article bodies into pages that fill the article screen:
// give it to flow.Config.Paginate.
func Paginator(m Measurer) func(body string) []string {
	b := articleBox()
	lh := math.Round(ArticleSize * articleLeading)
	per := int(b.h / lh)
	return func(body string) []string {
		lines := Wrap(strings.TrimSpace(body), b.w, ArticleSize, m)
		var pages []string
		for len(lines) > 0 {
			n := min(per, len(lines))
			pages = append(pages, strings.Join(lines[:n], "\n"))
			lines = lines[n:]
		}
		return pages
	}
}

func (l *builder) faces(body box, faces []flow.Button) {
	cells := body.splitX(len(faces), gap)
	for i, f := range faces {
		c := cells[i]
		st := styleOf(f)
		l.rect(c, st.Fill, st.Border, 3, 14)
		l.f.Targets = append(l.f.Targets, Target{ID: f.ID, Label: f.Label, Rect: l.sc.rect(c)})
		d := math.Min(c.w-30, c.h-80)
		l.icon(box{c.x + (c.w-d)/2, c.y + 18, d, d}, f.Icon, st.Ink)
		l.text(box{c.x + 6, c.y + 26 + d, c.w - 12, c.h - 32 - d}, f.Label, 34, MinMainText, st.Ink, st.Fill, AlignCenter, RoleMain)
	}
}

func (l *builder) reasons(body box, v flow.View) {
	side := body.cols(0, 170)
	d := 140.0
	l.icon(box{side.x + (side.w-d)/2, side.y + 10, d, d}, v.Face, Ink)
	chips := box{side.right() + gap, body.y, body.w - side.w - gap, body.h}
	rows := (len(v.Chips) + 1) / 2
	rowH := math.Min((chips.h-gap*float64(rows-1))/float64(rows), 110)
	for i, c := range v.Chips {
		cell := chips.rows(float64(i/2)*(rowH+gap), rowH).splitX(2, gap)[i%2]
		l.button(cell, c, 34)
	}
}

func (l *builder) thanks(body box, v flow.View) {
	body = l.notice(body, v.Notice, 26)
	d := math.Min(170, body.h-70)
	l.icon(box{body.x + (body.w-d)/2, body.y + 4, d, d}, v.Face, Ink)
	l.text(box{body.x, body.y + d + 10, body.w, body.h - d - 10}, v.Prompt, 36, MinMainText, Ink, Background, AlignCenter, RoleMain)
}

func (l *builder) idle(id *flow.Idle) {
	l.f.Targets = nil // only the prompt's button is live
	l.f.Items = append(l.f.Items, Item{Kind: KindRect, Rect: l.sc.rect(full), Fill: Scrim})
	// The scrim covers the letterbox too.
	l.f.Items[len(l.f.Items)-1].Rect = rectWH(0, 0, l.f.W, l.f.H)
	panel := full.centred(540, 330)
	l.rect(panel, White, Header, 4, 18)
	l.text(panel.rows(24, 64), id.Question, 48, MinMainText, Ink, White, AlignCenter, RoleMain)
	l.text(panel.rows(94, 40), id.Countdown, 28, MinBodyText, Ink, White, AlignCenter, RoleBody)
	l.button(box{panel.x + (panel.w-320)/2, panel.y + 160, 320, 120}, id.Stay, 46)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

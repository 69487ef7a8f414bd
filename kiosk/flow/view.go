package flow

import (
	"fmt"
	"strings"
)

// Screen names a screen; the layout and the kiosk's state dump use it.
type Screen string

// The screens.
const (
	ScreenHome           Screen = "home"
	ScreenTicketCategory Screen = "ticket/category"
	ScreenTicketIssued   Screen = "ticket/issued"
	ScreenBookingService Screen = "booking/service"
	ScreenBookingAdviser Screen = "booking/adviser"
	ScreenBookingDay     Screen = "booking/day"
	ScreenBookingSlot    Screen = "booking/slot"
	ScreenBookingPhone   Screen = "booking/phone"
	ScreenBookingConfirm Screen = "booking/confirm"
	ScreenBookingResult  Screen = "booking/result"
	ScreenEducationList  Screen = "education/list"
	ScreenEducationRead  Screen = "education/article"
	ScreenRatingScore    Screen = "rating/score"
	ScreenRatingReasons  Screen = "rating/reasons"
	ScreenRatingThanks   Screen = "rating/thanks"
	ScreenMyCode         Screen = "mybooking/code"   // 我的预约: the code on a large keypad
	ScreenMyPhone        Screen = "mybooking/phone"  // the phone number
	ScreenMyShow         Screen = "mybooking/show"   // the booking found, with 改约 / 取消预约
	ScreenMyCancel       Screen = "mybooking/cancel" // 确定要取消吗？
	ScreenMyDay          Screen = "mybooking/day"    // 改约: another day
	ScreenMySlot         Screen = "mybooking/slot"   // 改约: another time
	ScreenMyMove         Screen = "mybooking/move"   // 改约: confirm the new time
	ScreenMyDone         Screen = "mybooking/done"   // cancelled or moved
	ScreenVideoCall      Screen = "video/call"       // 视频通话中…
)

// Tap targets. Buttons in a View carry these IDs; Tap takes them.
const (
	TargetBack      = "nav.back"        // 返回
	TargetHome      = "nav.home"        // 首页
	TargetTicket    = "home.ticket"     // home: 取号
	TargetBooking   = "home.booking"    // home: 预约视频咨询
	TargetEducation = "home.education"  // home: 法治宣传
	TargetRating    = "home.rating"     // home: 服务评价
	TargetPrev      = "page.prev"       // 上一页
	TargetNext      = "page.next"       // 下一页
	TargetStay      = "idle.stay"       // 还在用 (idle prompt)
	TargetKeyDelete = "key.del"         // keypad: 删除 (last digit)
	TargetKeyClear  = "key.clear"       // keypad: 清空
	TargetPhoneOK   = "phone.ok"        // keypad: 下一步
	TargetConfirm   = "booking.confirm" // 确认预约
	TargetSubmit    = "rating.submit"   // 提交评价
	TargetSpeak     = "article.speak"   // 朗读 / 停止朗读
	TargetDone      = "act.done"        // 完成 (back to home)
	TargetRetry     = "act.retry"       // 再试一次
	TargetOtherDay  = "act.otherday"    // 换一天
	TargetMyBooking = "booking.mine"    // booking service screen: 我的预约 (查看、取消、改约)
	TargetCodeOK    = "code.ok"         // code keypad: 下一步
	TargetCancelBk  = "mine.cancel"     // 取消预约
	TargetCancelYes = "mine.cancel.yes" // 确定取消
	TargetMove      = "mine.move"       // 改约
	TargetMoveOK    = "mine.move.ok"    // 确认改约
	TargetVideo     = "video.start"     // 开始视频咨询 (home band, lookup result)
	TargetVideoEnd  = "video.end"       // 结束视频 (while the call runs)
	TargetVideoRate = "video.rate"      // 去评价 (home band after a call)
	TargetDismiss   = "home.dismiss"    // 知道了 / 不用了 (home band)

	targetChoicePrefix = "choice."
	targetKeyPrefix    = "key."
	targetFacePrefix   = "face."
	targetReasonPrefix = "reason."
)

// ChoiceTarget is the target of the i-th choice of a list (0-based, over
// the whole list, not the page).
func ChoiceTarget(i int) string { return fmt.Sprintf("%s%d", targetChoicePrefix, i) }

// KeyTarget is the keypad key for digit d.
func KeyTarget(d int) string { return fmt.Sprintf("%s%d", targetKeyPrefix, d) }

// CharKeyTarget is the booking-code keypad key for character c (2-9, A-Z
// without I and O).
func CharKeyTarget(c rune) string { return targetKeyPrefix + string(c) }

// FaceTarget is the rating face for score (1..4).
func FaceTarget(score int) string { return fmt.Sprintf("%s%d", targetFacePrefix, score) }

// ReasonTarget is the i-th reason chip.
func ReasonTarget(i int) string { return fmt.Sprintf("%s%d", targetReasonPrefix, i) }

// Icon is a simple picture drawn next to a label, for those who read little.
type Icon string

// Icons.
const (
	IconNone      Icon = ""
	IconTicket    Icon = "ticket"
	IconVideo     Icon = "video"
	IconBook      Icon = "book"
	IconRate      Icon = "rate"
	IconFace4     Icon = "face4" // 非常满意
	IconFace3     Icon = "face3" // 满意
	IconFace2     Icon = "face2" // 一般
	IconFace1     Icon = "face1" // 不满意
	IconSpeaker   Icon = "speaker"
	IconBackArrow Icon = "back"
	IconHouse     Icon = "house"
)

// FaceIcon is the face icon for a score 1..4.
func FaceIcon(score int) Icon { return Icon(fmt.Sprintf("face%d", score)) }

// Tone is a button's role, which the palette turns into colours.
type Tone string

// Tones.
const (
	ToneChoice    Tone = "choice"  // one of a list
	TonePrimary   Tone = "primary" // the step's main action
	ToneNav       Tone = "nav"     // 返回, 首页, paging
	ToneKey       Tone = "key"     // keypad digit
	ToneChip      Tone = "chip"    // toggle chip
	ToneFace      Tone = "face"    // rating face
	ToneTicket    Tone = "tile.ticket"
	ToneBooking   Tone = "tile.booking"
	ToneEducation Tone = "tile.education"
	ToneRating    Tone = "tile.rating"
)

// Button is something to tap.
type Button struct {
	ID       string
	Label    string
	Sub      string // a second, smaller line, e.g. 本村法律顾问 or 已约满
	Icon     Icon
	Tone     Tone
	Selected bool
	Disabled bool
}

// Field is a label and its value, e.g. 时间：11月28日 上午9:00.
type Field struct {
	Label string
	Value string
}

// NoticeKind says how serious a notice is.
type NoticeKind string

// Notice kinds.
const (
	NoticeInfo  NoticeKind = "info"
	NoticeWarn  NoticeKind = "warn"
	NoticeError NoticeKind = "error"
)

// Notice is a message in a coloured box, e.g. a printer fault.
type Notice struct {
	Kind NoticeKind
	Text string
}

// Pager says which page of a list or article is shown.
type Pager struct {
	Page  int // 1-based
	Pages int
}

// Label is the page indicator, e.g. 第1页，共3页.
func (p Pager) Label() string { return fmt.Sprintf("第%d页，共%d页", p.Page, p.Pages) }

// TicketCard is an issued ticket, shown large.
type TicketCard struct {
	Number   string // A003
	Category string // 法律咨询
	Ahead    string // 前面还有 3 人
	Wait     string // 大约等 15 分钟
	Time     string // 取号时间 11月27日 09:32
}

// Keypad is the phone-number entry (3 columns) or the booking-code entry
// (8 columns: 2-9 and the letters, then 删除 and 清空).
type Keypad struct {
	Display string   // what is typed so far, grouped: 138 1234 5678, or K 7 M _ _ _
	Count   int      // characters typed
	Keys    []Button // 1..9, 删除, 0, 清空; or the code's 32 characters, 删除, 清空
	Hint    string   // 已输入3位，共11位
	Columns int      // 3 (phone) or 8 (booking code); 0 means 3
}

// BigCode is a booking code shown large.
type BigCode struct {
	Label string // 预约号
	Code  string
}

// ArticlePage is one page of an article.
type ArticlePage struct {
	Title string
	Text  string // this page's text; the layout wraps it
}

// Idle is the "还在使用吗？" prompt over the current screen.
type Idle struct {
	Question  string // 还在使用吗？
	Countdown string // 15秒后回到首页
	Stay      Button
}

// View is everything a screen shows. Drawing reads it and nothing else.
type View struct {
	Screen Screen
	Title  string
	Nav    bool   // 返回 and 首页 are shown (every step but home)
	Prompt string // what to do on this step

	Tiles []Button // home's big buttons
	Info  []Field  // home: contact point, hotline, adviser on duty

	Choices []Button
	Columns int    // how many columns the choices are laid out in
	Pager   *Pager // paging of choices or of an article

	Ticket  *TicketCard
	Keypad  *Keypad
	Fields  []Field // a summary (booking confirmation, result)
	Code    *BigCode
	Article *ArticlePage
	Faces   []Button
	Chips   []Button
	Face    Icon // the face chosen (reasons, thanks)

	Actions []Button // the step's main buttons, e.g. 确认预约, 完成
	Notice  *Notice
	Busy    string // non-empty while waiting for a service, e.g. 正在取号，请稍候
	Call    string // 请 A003 号到 1 号窗口, when a ticket is being called
	Idle    *Idle
}

// Buttons are every tappable button of v that is live now: with the idle
// prompt shown, only its button.
func (v View) Buttons() []Button {
	if v.Idle != nil {
		return []Button{v.Idle.Stay}
	}
	var out []Button
	if v.Nav {
		out = append(out, navBack(), navHome())
	}
	out = append(out, v.Tiles...)
	out = append(out, v.Choices...)
	if v.Pager != nil && v.Pager.Pages > 1 {
		out = append(out, pagePrev(v.Pager.Page > 1), pageNext(v.Pager.Page < v.Pager.Pages))
	}
	if v.Keypad != nil {
		out = append(out, v.Keypad.Keys...)
	}
	out = append(out, v.Faces...)
	out = append(out, v.Chips...)
	out = append(out, v.Actions...)
	return out
}

// Find returns the live button whose label (or ID) is s.
func (v View) Find(s string) (Button, bool) {
	for _, b := range v.Buttons() {
		if b.Label == s || b.ID == s {
			return b, true
		}
	}
	return Button{}, false
}

// Text is every string of v that a villager reads, joined by newlines (for
// tests and the state dump).
func (v View) Text() string {
	var s []string
	add := func(xs ...string) {
		for _, x := range xs {
			if x != "" {
				s = append(s, x)
			}
		}
	}
	add(v.Title, v.Prompt, v.Busy, v.Call)
	for _, f := range append(append([]Field(nil), v.Info...), v.Fields...) {
		add(f.Label + f.Value)
	}
	if t := v.Ticket; t != nil {
		add(t.Number, t.Category, t.Ahead, t.Wait, t.Time)
	}
	if k := v.Keypad; k != nil {
		add(k.Display)
	}
	if c := v.Code; c != nil {
		add(c.Label, c.Code)
	}
	if a := v.Article; a != nil {
		add(a.Title, a.Text)
	}
	if v.Pager != nil {
		add(v.Pager.Label())
	}
	if v.Notice != nil {
		add(v.Notice.Text)
	}
	for _, b := range v.Buttons() {
		add(b.Label, b.Sub)
	}
	if v.Idle != nil {
		add(v.Idle.Question, v.Idle.Countdown)
	}
	return strings.Join(s, "\n")
}

func navBack() Button {
	return Button{ID: TargetBack, Label: "返回", Icon: IconBackArrow, Tone: ToneNav}
}
func navHome() Button { return Button{ID: TargetHome, Label: "首页", Icon: IconHouse, Tone: ToneNav} }
func pagePrev(ok bool) Button {
	return Button{ID: TargetPrev, Label: "上一页", Tone: ToneNav, Disabled: !ok}
}
func pageNext(ok bool) Button {
	return Button{ID: TargetNext, Label: "下一页", Tone: ToneNav, Disabled: !ok}
}

// NavButtons are the 返回 and 首页 buttons every step but home shows.
func NavButtons() (back, home Button) { return navBack(), navHome() }

// PageButtons are the 上一页 and 下一页 buttons for a pager.
func PageButtons(p Pager) (prev, next Button) {
	return pagePrev(p.Page > 1), pageNext(p.Page < p.Pages)
}

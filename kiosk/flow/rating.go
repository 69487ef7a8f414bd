package flow

import (
	"context"
	"time"
)

// Scores and their words, best first as they appear on screen.
var scoreWords = map[int]string{4: "非常满意", 3: "满意", 2: "一般", 1: "不满意"}

// ScoreWord is the word for a score: 4 非常满意 … 1 不满意.
func ScoreWord(score int) string { return scoreWords[score] }

// Reason chips offered after a good and after a poor score.
var (
	GoodReasons = []string{"态度好", "讲得清楚", "等得不久", "解决了问题"}
	PoorReasons = []string{"等得太久", "没听明白", "态度不好", "问题没解决"}
)

type ratingStep int

const (
	rateScore ratingStep = iota
	rateReasons
	rateThanks
)

// rating: four faces → optional reason chips → thanks, then home.
type rating struct {
	ticketID, bookingCode string

	step     ratingStep
	score    int
	chosen   map[string]bool
	sending  bool
	failed   bool
	thanksAt time.Time
}

func newRating(ticketID, bookingCode string) *rating {
	return &rating{ticketID: ticketID, bookingCode: bookingCode, chosen: map[string]bool{}}
}

func (r *rating) reasons() []string {
	if r.score >= 3 {
		return GoodReasons
	}
	return PoorReasons
}

func (r *rating) view(a *App) View {
	v := View{Title: "服务评价"}
	switch {
	case r.sending:
		v.Screen = ScreenRatingReasons
		v.Busy = "正在提交，请稍候"
	case r.step == rateScore:
		v.Screen = ScreenRatingScore
		v.Prompt = "您对今天的服务满意吗？请点一个脸"
		if r.ticketID != "" || r.bookingCode != "" {
			v.Prompt = "刚才的服务，您满意吗？请点一个脸"
		}
		for _, s := range []int{4, 3, 2, 1} {
			v.Faces = append(v.Faces, Button{ID: FaceTarget(s), Label: scoreWords[s], Icon: FaceIcon(s), Tone: ToneFace})
		}
	case r.step == rateReasons:
		v.Screen = ScreenRatingReasons
		v.Face = FaceIcon(r.score)
		v.Prompt = "您选了“" + scoreWords[r.score] + "”。可以再点原因（不点也行）"
		for i, s := range r.reasons() {
			v.Chips = append(v.Chips, Button{ID: ReasonTarget(i), Label: s, Tone: ToneChip, Selected: r.chosen[s]})
		}
		for i := range v.Chips {
			if v.Chips[i].Selected {
				v.Chips[i].Sub = "已选"
			}
		}
		v.Actions = []Button{{ID: TargetSubmit, Label: "提交评价", Tone: TonePrimary}}
	default:
		v.Screen = ScreenRatingThanks
		v.Title = "谢谢您的评价！"
		v.Face = FaceIcon(r.score)
		v.Prompt = "我们会把服务做得更好"
		if r.failed {
			v.Notice = &Notice{Kind: NoticeWarn, Text: "评价没有存上，请告诉工作人员。"}
		}
		v.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
	}
	return v
}

func (r *rating) tap(a *App, id string) {
	if r.sending {
		return
	}
	switch r.step {
	case rateScore:
		for s := 1; s <= 4; s++ {
			if id == FaceTarget(s) {
				r.score, r.step = s, rateReasons
				r.chosen = map[string]bool{}
			}
		}
	case rateReasons:
		for i, s := range r.reasons() {
			if id == ReasonTarget(i) {
				r.chosen[s] = !r.chosen[s]
			}
		}
		if id == TargetSubmit {
			r.submit(a)
		}
	}
}

func (r *rating) submit(a *App) {
	rt := Rating{Score: r.score, TicketID: r.ticketID, BookingCode: r.bookingCode}
	for _, s := range r.reasons() {
		if r.chosen[s] {
			rt.Reasons = append(rt.Reasons, s)
		}
	}
	r.sending = true
	sink := a.svc.Ratings
	a.call(r, func(ctx context.Context) func() {
		err := sink.Rate(ctx, rt)
		return func() {
			r.sending, r.failed = false, err != nil
			r.step, r.thanksAt = rateThanks, a.cfg.Now()
		}
	})
}

func (r *rating) back(*App) bool {
	switch {
	case r.sending:
		return true
	case r.step == rateReasons:
		r.step = rateScore
		return true
	}
	return false // from the faces, and after thanks: home
}

func (r *rating) tick(a *App, now time.Time) {
	if r.step == rateThanks && !now.Before(r.thanksAt.Add(a.cfg.ThanksHold)) {
		a.goHome()
	}
}

func (r *rating) wake(a *App) time.Time {
	if r.step == rateThanks {
		return r.thanksAt.Add(a.cfg.ThanksHold)
	}
	return time.Time{}
}

func (r *rating) leave() {}

package flow

import (
	"context"
	"time"
)

// videoCall is the screen while the external video client runs: 视频通话中…
// with 结束视频 (in case the client hangs behind the kiosk). It has no
// 返回/首页 while the call runs and never asks 还在使用吗？ (the villager
// touches the video client, not the kiosk). When the client exits the
// kiosk goes home and offers the rating of the consultation.
type videoCall struct {
	c       Consultation
	cancel  context.CancelFunc
	running bool
	failed  string
}

func (v *videoCall) view(a *App) View {
	out := View{Screen: ScreenVideoCall, Title: "视频通话中…", Prompt: "视频窗口关掉后，会自动回到首页"}
	out.Fields = []Field{
		{Label: "律师：", Value: v.c.AdviserName},
		{Label: "时间：", Value: ClockLabel(v.c.Slot.Start) + "到" + ClockLabel(v.c.Slot.End)},
	}
	if v.c.Service != "" {
		out.Fields = append([]Field{{Label: "咨询：", Value: v.c.Service}}, out.Fields...)
	}
	if v.running {
		out.Actions = []Button{{ID: TargetVideoEnd, Label: "结束视频", Tone: ToneChoice}}
		return out
	}
	out.Title = "视频没有打开"
	out.Prompt = "请找工作人员帮忙"
	out.Notice = &Notice{Kind: NoticeError, Text: v.failed}
	out.Actions = []Button{{ID: TargetDone, Label: "完成", Tone: TonePrimary}}
	return out
}

func (v *videoCall) tap(_ *App, id string) {
	if id == TargetVideoEnd && v.running && v.cancel != nil {
		v.cancel() // the client is stopped; its exit brings the kiosk home
	}
}

func (v *videoCall) back(*App) bool       { return v.running }
func (v *videoCall) tick(*App, time.Time) {}
func (v *videoCall) wake(*App) time.Time  { return time.Time{} }
func (v *videoCall) navless() bool        { return v.running }
func (v *videoCall) holdsIdle() bool      { return v.running }
func (v *videoCall) leave() {
	if v.cancel != nil {
		v.cancel()
	}
}

// startVideo runs the video client for c and shows 视频通话中… until it exits.
func (a *App) startVideo(c Consultation) {
	vs := a.svc.Video
	if vs == nil {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	vc := &videoCall{c: c, cancel: cancel, running: true}
	a.switchTo(vc)
	a.offer = nil
	a.callWith(vc, func() (context.Context, context.CancelFunc) { return ctx, cancel }, func(ctx context.Context) func() {
		err := vs.Call(ctx, c)
		return func() {
			vc.running = false
			if err != nil {
				vc.failed = UserMessage(err, "这台机器打不开视频")
				return
			}
			a.goHome()
			a.offer = &rateOffer{c: c, until: a.cfg.Now().Add(a.cfg.RateOfferHold)}
		}
	})
}

// rateOffer is 去评价 on the home screen after a consultation's call.
type rateOffer struct {
	c     Consultation
	until time.Time
}

// videoOpen says whether c's call can be started at now: from VideoEarly
// before its start to its end, with a meeting link and a video client.
func (a *App) videoOpen(c Consultation, now time.Time) bool {
	if a.svc.Video == nil || c.MeetingURL == "" || c.Slot.Start.IsZero() {
		return false
	}
	end := c.Slot.End
	if end.IsZero() {
		end = c.Slot.Start.Add(30 * time.Minute)
	}
	return !now.Before(c.Slot.Start.Add(-a.cfg.VideoEarly)) && now.Before(end)
}

// dueConsultation is the consultation whose call can start now, if any.
func (a *App) dueConsultation(now time.Time) (Consultation, bool) {
	if a.svc.Video == nil {
		return Consultation{}, false
	}
	for _, c := range a.svc.Video.Consultations() {
		if a.videoOpen(c, now) {
			return c, true
		}
	}
	return Consultation{}, false
}

// What the home screen's band shows, most urgent first.
type band int

const (
	bandNone    band = iota
	bandRate         // 视频咨询结束了 → 去评价
	bandVideo        // it is time: 开始视频咨询
	bandOutcome      // a late outcome: 知道了
)

func (a *App) band(now time.Time) band {
	switch {
	case a.offer != nil && now.Before(a.offer.until):
		return bandRate
	case a.svc.Video != nil:
		if _, ok := a.dueConsultation(now); ok {
			return bandVideo
		}
	}
	if len(a.outcomes) > 0 {
		return bandOutcome
	}
	return bandNone
}

// homeBand fills the home view's notice and actions.
func (a *App) homeBand(v *View, now time.Time) {
	switch a.band(now) {
	case bandRate:
		v.Notice = &Notice{Kind: NoticeInfo, Text: "视频咨询结束了。请说说您满不满意。"}
		v.Actions = []Button{{ID: TargetVideoRate, Label: "去评价", Tone: TonePrimary}}
		if a.videoOpen(a.offer.c, now) {
			v.Actions = append(v.Actions, Button{ID: TargetVideo, Label: "重新开始视频", Tone: ToneChoice})
		} else {
			v.Actions = append(v.Actions, Button{ID: TargetDismiss, Label: "不用了", Tone: ToneNav})
		}
	case bandVideo:
		c, _ := a.dueConsultation(now)
		v.Notice = &Notice{Kind: NoticeInfo, Text: "到时间了：" + c.AdviserName + " " + ClockLabel(c.Slot.Start) + "的视频咨询（预约码 " + c.Code + "）"}
		v.Actions = []Button{{ID: TargetVideo, Label: "开始视频咨询", Tone: TonePrimary}}
	case bandOutcome:
		v.Notice = outcomeNotice(a.outcomes[0])
		v.Actions = []Button{{ID: TargetDismiss, Label: "知道了", Tone: TonePrimary}}
	}
}

// outcomeNotice is the home screen's words for a late answer from the fleet.
func outcomeNotice(b Booking) *Notice {
	when := b.Slot.Start.Format("1月2日") + " " + ClockLabel(b.Slot.Start)
	if b.Status == BookingConfirmed {
		return &Notice{Kind: NoticeInfo, Text: "您的预约已确认：" + when + " " + b.AdviserName +
			"，预约码 " + b.Code + "，手机 " + MaskPhone(b.Phone)}
	}
	return &Notice{Kind: NoticeWarn, Text: "您的预约没有约上：" + when + " " + b.AdviserName +
		"的时间已被约走，工作人员会打电话给" + MaskPhone(b.Phone) + "。"}
}

func (a *App) tapBand(target string, now time.Time) {
	switch target {
	case TargetVideo:
		if b := a.band(now); b == bandRate {
			a.startVideo(a.offer.c)
		} else if c, ok := a.dueConsultation(now); ok {
			a.startVideo(c)
		}
	case TargetVideoRate:
		if a.offer != nil {
			code := a.offer.c.Code
			a.offer = nil
			a.StartRating("", code)
		}
	case TargetDismiss:
		switch a.band(now) {
		case bandRate:
			a.offer = nil
		case bandOutcome:
			a.outcomes, a.outcomeUntil = a.outcomes[1:], time.Time{}
		}
	}
}

// takeOutcomes moves the services' late outcomes into the kiosk's own
// queue; they are shown only on the home screen, one at a time.
func (a *App) takeOutcomes() {
	if a.svc.Updates == nil {
		return
	}
	for _, b := range a.svc.Updates.TakeOutcomes() {
		if b.Status == BookingConfirmed || b.Status == BookingTaken {
			a.outcomes = append(a.outcomes, b)
		}
	}
}

// homeTick keeps the home band's timers: an outcome stays NoticeHold from
// when it is first shown, the rating offer RateOfferHold.
func (a *App) homeTick(now time.Time) {
	if a.offer != nil && !now.Before(a.offer.until) {
		a.offer = nil
	}
	for a.band(now) == bandOutcome {
		if a.outcomeUntil.IsZero() {
			a.outcomeUntil = now.Add(a.cfg.NoticeHold)
			break
		}
		if now.Before(a.outcomeUntil) {
			break
		}
		a.outcomes, a.outcomeUntil = a.outcomes[1:], time.Time{}
	}
}

// homeWake is when the home screen next changes by itself: an outcome's or
// the rating offer's time is up, a consultation's window opens or closes.
func (a *App) homeWake(now time.Time) time.Time {
	var t time.Time
	at := func(w time.Time) {
		if w.After(now) && (t.IsZero() || w.Before(t)) {
			t = w
		}
	}
	if a.offer != nil {
		at(a.offer.until)
	}
	if !a.outcomeUntil.IsZero() {
		at(a.outcomeUntil)
	} else if a.band(now) == bandOutcome {
		at(now.Add(time.Second)) // Tick starts its timer
	}
	if a.svc.Video != nil {
		for _, c := range a.svc.Video.Consultations() {
			if c.MeetingURL == "" {
				continue
			}
			end := c.Slot.End
			if end.IsZero() {
				end = c.Slot.Start.Add(30 * time.Minute)
			}
			at(c.Slot.Start.Add(-a.cfg.VideoEarly))
			at(end)
		}
	}
	return t
}

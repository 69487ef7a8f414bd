package flow

import (
	"context"
	"time"
)

// education: the list of articles → one article in large, paged text, with
// 朗读 when a voice is installed.
type education struct {
	articles []Article
	page     page // the list
	open     int  // the article open, -1 for the list
	pages    []string
	at       int // the article page shown

	speaking bool
	stop     context.CancelFunc
}

func newEducation(a *App) *education {
	e := &education{page: page{perPage: 3}, open: -1}
	e.articles = a.svc.Content.Articles()
	return e
}

func (e *education) view(a *App) View {
	if e.open < 0 {
		v := View{Screen: ScreenEducationList, Title: "法治宣传", Prompt: "想看哪一篇？请点一下", Columns: 1}
		all := make([]Button, len(e.articles))
		for i, ar := range e.articles {
			all[i] = Button{Label: ar.Title, Icon: IconBook}
		}
		v.Choices, v.Pager = choices(e.page, all)
		if len(all) == 0 {
			v.Notice = &Notice{Kind: NoticeInfo, Text: "现在还没有文章。联网后会自动更新。"}
		}
		return v
	}
	ar := e.articles[e.open]
	v := View{Screen: ScreenEducationRead, Title: "法治宣传"}
	v.Article = &ArticlePage{Title: ar.Title, Text: e.pages[e.at]}
	v.Pager = &Pager{Page: e.at + 1, Pages: len(e.pages)}
	if a.svc.Speaker != nil {
		sp := Button{ID: TargetSpeak, Label: "朗读", Icon: IconSpeaker, Tone: TonePrimary}
		if e.speaking {
			sp.Label, sp.Selected = "停止朗读", true
		}
		v.Actions = []Button{sp}
	}
	return v
}

func (e *education) tap(a *App, id string) {
	if e.open < 0 {
		if e.page.turn(id, len(e.articles)) {
			return
		}
		if i, ok := choiceIndex(id); ok && i < len(e.articles) {
			e.open, e.at = i, 0
			e.pages = a.cfg.Paginate(e.articles[i].Body)
			if len(e.pages) == 0 {
				e.pages = []string{""}
			}
		}
		return
	}
	switch id {
	case TargetPrev:
		if e.at > 0 {
			e.silence()
			e.at--
		}
	case TargetNext:
		if e.at+1 < len(e.pages) {
			e.silence()
			e.at++
		}
	case TargetSpeak:
		if e.speaking {
			e.silence()
			return
		}
		e.speak(a)
	}
}

func (e *education) speak(a *App) {
	text := e.pages[e.at]
	if e.at == 0 {
		text = e.articles[e.open].Title + "。" + text
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.speaking, e.stop = true, cancel
	sp := a.svc.Speaker
	a.call(e, func(context.Context) func() {
		_ = sp.Speak(ctx, text) // a voice that fails is simply silent
		return func() {
			if ctx.Err() == nil {
				e.speaking = false
			}
			cancel()
		}
	})
}

func (e *education) silence() {
	if e.stop != nil {
		e.stop()
		e.stop = nil
	}
	e.speaking = false
}

func (e *education) back(*App) bool {
	if e.open >= 0 {
		e.silence()
		e.open = -1
		return true
	}
	return false
}

func (e *education) tick(*App, time.Time) {}
func (e *education) wake(*App) time.Time  { return time.Time{} }
func (e *education) leave()               { e.silence() }

package queue

import "html/template"

// The counter page: Simplified Chinese, large buttons (at least 56 px
// high), one column on a phone, several on a PC. No script: plain forms
// that post and come back (so it works on any phone browser), and a
// refresh every 15 s to keep the waiting lists fresh.
var counterTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"minutes": func(s int) int { return (s + 59) / 60 },
	"first": func(ts []APITicket, n int) []APITicket {
		if len(ts) > n {
			return ts[:n]
		}
		return ts
	},
}).Parse(`
{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>{{if eq . "柜台叫号"}}
<meta http-equiv="refresh" content="15">{{end}}
<style>
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:0;padding:12px;background:#f4f4f4;color:#111;font-size:20px;line-height:1.5}
h1{font-size:26px;margin:4px 0 12px}
h2{font-size:22px;margin:0 0 8px}
.card{background:#fff;border-radius:10px;padding:14px;margin:0 0 14px;box-shadow:0 1px 3px #0002}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:14px}
button,select,input{font:inherit;font-size:22px;border-radius:8px}
button{min-height:60px;min-width:60px;padding:8px 18px;border:0;background:#0b57d0;color:#fff;cursor:pointer;margin:4px 4px 4px 0}
button.wide{width:100%}
button.plain{background:#555}
button.warn{background:#b3261e}
button.ok{background:#146c2e}
select,input{min-height:56px;padding:4px 10px;border:2px solid #555;background:#fff}
.big{font-size:44px;font-weight:bold;letter-spacing:2px}
.msg{padding:12px;border-radius:8px;margin:0 0 14px;font-weight:bold}
.msg.good{background:#d7f5dd;color:#0d4a1f}
.msg.bad{background:#fde2e0;color:#8c1d18}
.muted{color:#444}
.nums{font-size:22px;word-break:break-all}
label{display:block;margin:10px 0 4px}
form.inline{display:inline}
</style></head><body>{{end}}

{{define "login"}}{{template "head" "柜台叫号 · 登录"}}
<div class="card" style="max-width:420px;margin:30px auto">
<h1>柜台叫号 · 登录</h1>
{{if .Error}}<div class="msg bad" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="pin">密码</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="current-password" required style="width:100%;box-sizing:border-box">
<label for="window">窗口号</label>
<input id="window" name="window" type="number" min="1" max="{{.MaxWindow}}" value="1" inputmode="numeric" required style="width:100%;box-sizing:border-box">
<p><button class="wide" type="submit">登录</button></p>
</form></div></body></html>{{end}}

{{define "page"}}{{template "head" "柜台叫号"}}
<h1>柜台叫号 · {{.S.Window}} 号窗口</h1>
{{if .Flash}}<div class="msg {{if .FlashOK}}good{{else}}bad{{end}}" role="status">{{.Flash}}</div>{{end}}
{{if not .S.DayConfirmed}}<div class="msg bad">本机时间尚未校准，号码照常连续发放。</div>{{end}}

<div class="card">
{{with .Mine}}
<h2>正在办理</h2>
<div class="big">{{.Ticket}}</div><div class="muted">{{.Name}} · {{.Text}}</div>
<form class="inline" method="post" action="/recall"><input type="hidden" name="csrf" value="{{$.S.CSRFToken}}"><input type="hidden" name="id" value="{{.ID}}"><button type="submit">重呼</button></form>
<form class="inline" method="post" action="/serve"><input type="hidden" name="csrf" value="{{$.S.CSRFToken}}"><input type="hidden" name="id" value="{{.ID}}"><button class="ok" type="submit">完成</button></form>
<form class="inline" method="post" action="/noshow"><input type="hidden" name="csrf" value="{{$.S.CSRFToken}}"><input type="hidden" name="id" value="{{.ID}}"><button class="warn" type="submit">过号</button></form>
<form method="post" action="/transfer"><input type="hidden" name="csrf" value="{{$.S.CSRFToken}}"><input type="hidden" name="id" value="{{.ID}}">
<label for="to">转到其他服务</label>
<select id="to" name="to">{{range $.Offered}}<option value="{{.Category}}">{{.Name}}（{{.Category}}）</option>{{end}}</select>
<button class="plain" type="submit">转到…</button></form>
{{else}}
<h2>本窗口暂无叫号</h2>
{{end}}
<form method="post" action="/call"><input type="hidden" name="csrf" value="{{.S.CSRFToken}}"><input type="hidden" name="category" value="">
<button class="wide" type="submit">叫下一位（全部，共 {{.Total}} 人等候）</button></form>
</div>

<div class="grid">
{{range .S.Queues}}
<div class="card">
<h2>{{.Name}}（{{.Category}}）</h2>
<div>等候 <b>{{len .Waiting}}</b> 人{{if .Waiting}}，约 {{minutes .WaitS}} 分钟{{end}}</div>
{{if .Waiting}}<div class="nums muted">{{range first .Waiting 12}}{{.Number}} {{end}}{{if gt (len .Waiting) 12}}…{{end}}</div>{{end}}
<form method="post" action="/call"><input type="hidden" name="csrf" value="{{$.S.CSRFToken}}"><input type="hidden" name="category" value="{{.Category}}">
<button class="wide" type="submit"{{if not .Waiting}} disabled{{end}}>叫下一位 · {{.Name}}</button></form>
</div>
{{end}}
</div>

{{if .Others}}<div class="card"><h2>其他窗口</h2>
{{range .Others}}<div>{{.Text}}（{{.Name}}）</div>{{end}}</div>{{end}}

<div class="card">
<form class="inline" method="post" action="/window"><input type="hidden" name="csrf" value="{{.S.CSRFToken}}">
<label for="w">更换窗口号</label>
<input id="w" name="window" type="number" min="1" max="{{.MaxWindow}}" value="{{.S.Window}}" inputmode="numeric" style="width:6em">
<button class="plain" type="submit">确定</button></form>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{{.S.CSRFToken}}"><button class="plain" type="submit">退出登录</button></form>
<p class="muted">营业日 {{.S.Day}}</p>
</div>
</body></html>{{end}}
`))

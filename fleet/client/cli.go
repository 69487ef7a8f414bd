package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"lawpoint/content"
	"lawpoint/fleet"
	"lawpoint/fleet/api"
)

// CLIUsage is lawpointctl's help.
const CLIUsage = `usage: lawpointctl [--url URL] [--token TOKEN] [--json] COMMAND ...

  login [--user NAME] [--ttl 720h]          sign in (password from LAWPOINT_PASSWORD or stdin); saves the token
  status                                    online/offline/converged/pending/failed counts
  device list [--region R] [--kind K] [--tag T]
  device show ID
  device enroll --id ID --kind led|kiosk --region 县/镇/村 [--model M] [--board bx-5e2/128x32/dual] [--contact-point C] [--tag T]...
  device board ID (bx-5e2/128x32/dual | --clear)
                                            the LED board the console previews messages for
  device command ID KIND [--args JSON] [--deadline 1h]
                                            KIND: ping reboot restart resync set_brightness identify screenshot
  content list
  content add --id ID (--text TEXT | --article-title T --article-body B | --image FILE.png)
              [--tag T]... [--programme P [--seconds 10]] [--fallback led|kiosk]
  schedule list
  schedule add   (--file SCHEDULE.json | --id ID --programme P [--priority N] [--region R]... [--tag T]...
                  [--kind K]... [--always] [--days mon,tue] [--window 08:00-12:00]... [--from YYYY-MM-DD] [--until YYYY-MM-DD])
  schedule check (same flags as add; stores nothing)
` + BookingUsage + `
The fleet URL and token come from the flags, then LAWPOINT_URL and
LAWPOINT_TOKEN, then ~/.config/lawpointctl/config.json (written by login).
`

// Config is what lawpointctl keeps between runs.
type Config struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// ConfigPath is where lawpointctl keeps its configuration.
func ConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = filepath.Join(os.Getenv("HOME"), ".config")
	}
	return filepath.Join(dir, "lawpointctl", "config.json")
}

func loadConfig(path string) Config {
	var c Config
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &c)
	}
	return c
}

func saveConfig(path string, c Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// CLI runs lawpointctl.
type CLI struct {
	Out, Err   io.Writer
	In         io.Reader
	Getenv     func(string) string
	ConfigFile string

	c    *Client
	json bool
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// Run runs one command line and returns the exit code.
func (x *CLI) Run(ctx context.Context, args []string) int {
	if x.Getenv == nil {
		x.Getenv = os.Getenv
	}
	if x.ConfigFile == "" {
		x.ConfigFile = ConfigPath()
	}
	cfg := loadConfig(x.ConfigFile)
	fs := flag.NewFlagSet("lawpointctl", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	fs.Usage = func() { fmt.Fprint(x.Err, CLIUsage) }
	urlF := fs.String("url", "", "fleet URL, e.g. http://127.0.0.1:8080")
	tokF := fs.String("token", "", "API token from login")
	fs.BoolVar(&x.json, "json", false, "print the API's JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	x.c = &Client{URL: first(*urlF, x.Getenv("LAWPOINT_URL"), cfg.URL, "http://127.0.0.1:8080"),
		Token: first(*tokF, x.Getenv("LAWPOINT_TOKEN"), cfg.Token)}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	var err error
	switch cmd := strings.Join(rest[:min(2, len(rest))], " "); {
	case rest[0] == "login":
		err = x.login(ctx, rest[1:])
	case rest[0] == "status":
		err = x.status(ctx)
	case cmd == "device list":
		err = x.deviceList(ctx, rest[2:])
	case cmd == "device show":
		err = x.deviceShow(ctx, rest[2:])
	case cmd == "device enroll", cmd == "device enrol":
		err = x.deviceEnroll(ctx, rest[2:])
	case cmd == "device board":
		err = x.deviceBoard(ctx, rest[2:])
	case cmd == "device command":
		err = x.deviceCommand(ctx, rest[2:])
	case cmd == "content list":
		err = x.contentList(ctx)
	case cmd == "content add":
		err = x.contentAdd(ctx, rest[2:])
	case cmd == "schedule list":
		err = x.scheduleList(ctx)
	case cmd == "schedule add":
		err = x.scheduleAdd(ctx, rest[2:], false)
	case cmd == "schedule check":
		err = x.scheduleAdd(ctx, rest[2:], true)
	default:
		var ok bool
		if ok, err = x.bookingCommand(ctx, cmd, rest); !ok {
			fmt.Fprintf(x.Err, "lawpointctl: unknown command %q\n%s", strings.Join(rest, " "), CLIUsage)
			return 2
		}
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		var ae *Error
		if errors.As(err, &ae) {
			if ae.Body.Message != "" {
				fmt.Fprintln(x.Err, "错误："+ae.Body.Message)
			}
			fmt.Fprintln(x.Err, "lawpointctl:", ae.Error())
			for _, p := range ae.Body.Problems {
				fmt.Fprintf(x.Err, "  %s: %s（%s）\n", p.Field, p.Error, p.Message)
			}
			if ae.Status == 401 {
				fmt.Fprintln(x.Err, "请先运行 lawpointctl login 登录 (run lawpointctl login first)")
			}
		} else {
			// A check made here before asking the fleet (a board, a
			// region) has its Chinese message too.
			var fe *fleet.FieldError
			if errors.As(err, &fe) && fe.Err.Zh != "" {
				fmt.Fprintln(x.Err, "错误："+fe.Err.Zh)
			}
			fmt.Fprintln(x.Err, "lawpointctl:", err)
		}
		return 1
	}
	return 0
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (x *CLI) print(v any, human func(w io.Writer)) {
	if x.json {
		enc := json.NewEncoder(x.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		return
	}
	tw := tabwriter.NewWriter(x.Out, 2, 4, 2, ' ', 0)
	human(tw)
	tw.Flush()
}

func (x *CLI) login(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	user := fs.String("user", "admin", "staff username")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token lasts (at most 2160h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pw := x.Getenv("LAWPOINT_PASSWORD")
	if pw == "" {
		fmt.Fprint(x.Err, "密码 (password): ")
		in := x.In
		if in == nil {
			in = os.Stdin
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read the password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	lr, err := x.c.Login(ctx, *user, pw, *ttl)
	if err != nil {
		return err
	}
	if err := saveConfig(x.ConfigFile, Config{URL: x.c.URL, Token: lr.Token}); err != nil {
		return fmt.Errorf("save the token to %s: %w", x.ConfigFile, err)
	}
	fmt.Fprintf(x.Out, "已登录 %s（%s），有效期至 %s；令牌已保存到 %s\n", lr.Username, x.c.URL, lr.Expires.Local().Format("2006-01-02 15:04"), x.ConfigFile)
	return nil
}

func (x *CLI) status(ctx context.Context) error {
	st, err := x.c.Status(ctx)
	if err != nil {
		return err
	}
	x.print(st, func(w io.Writer) {
		fmt.Fprintf(w, "设备总数 devices\t%d\n在线 online\t%d\n离线 offline\t%d\n已同步 converged\t%d\n同步中 pending\t%d\n失败 failed\t%d\n",
			st.Devices, st.Online, st.Offline, st.Converged, st.Pending, st.Failed)
		for code, n := range st.FailedReasons {
			fmt.Fprintf(w, "  失败原因 %s\t%d\n", code, n)
		}
	})
	return nil
}

func (x *CLI) deviceList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("device list", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	region := fs.String("region", "", "region path prefix")
	kind := fs.String("kind", "", "led or kiosk")
	tag := fs.String("tag", "", "tag")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ds, err := x.c.Devices(ctx, *region, *kind, *tag)
	if err != nil {
		return err
	}
	x.print(ds, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tKIND\tREGION\tONLINE\tLAST SEEN")
		for _, d := range ds {
			seen := "-"
			if d.LastSeen != nil {
				seen = d.LastSeen.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\n", d.ID, d.Kind, d.Region, d.Online, seen)
		}
	})
	return nil
}

func (x *CLI) deviceShow(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("device show needs one device ID")
	}
	d, err := x.c.Device(ctx, args[0])
	if err != nil {
		return err
	}
	x.print(d, func(w io.Writer) {
		fmt.Fprintf(w, "ID\t%s\nkind\t%s\nregion\t%s\ntags\t%s\nonline\t%v (session %d)\n", d.ID, d.Kind, d.Region, strings.Join(d.Tags, ","), d.Online, d.Session)
		if r := d.Rollout; r != nil {
			reason := ""
			if r.Reason != nil {
				reason = r.Reason.Code + ": " + r.Reason.Message
			}
			fmt.Fprintf(w, "rollout\t%s (desired v%d, reported v%d, manifest %d) %s\n", r.Status, r.Desired, r.Applied, r.Serial, reason)
		}
		fmt.Fprintf(w, "settings\tbrightness %d%%, volume %d%%, %s\n", d.Settings.Brightness, d.Settings.Volume, d.Settings.TimeZone)
		for _, c := range d.Commands {
			fmt.Fprintf(w, "command\t%s %s %s\n", c.ID, c.Kind, c.State)
		}
	})
	return nil
}

func (x *CLI) deviceBoard(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("give the device and its board, e.g. device board led-baxia bx-5e2/128x32/dual, or --clear (请给出设备编号和屏幕参数)")
	}
	var b fleet.Board
	if args[1] != "--clear" {
		var err error
		if b, err = fleet.ParseBoard(args[1]); err != nil {
			return err
		}
	}
	v, err := x.c.SetBoard(ctx, args[0], b)
	if err != nil {
		return err
	}
	x.print(v, func(w io.Writer) {
		if v.Board == nil {
			fmt.Fprintf(w, "已清除 %s 的屏幕参数登记\n", v.ID)
			return
		}
		fmt.Fprintf(w, "已登记 %s 的屏幕参数：%s\n", v.ID, v.Board)
	})
	return nil
}

func (x *CLI) deviceEnroll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("device enroll", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	var req api.CreateDeviceRequest
	var tags multi
	fs.StringVar(&req.ID, "id", "", "device ID (3-64 lowercase letters, digits, '-')")
	fs.StringVar(&req.Kind, "kind", "", "led or kiosk")
	fs.StringVar(&req.Region, "region", "", "region path, e.g. 仙游县/榜头镇/坝下村")
	fs.StringVar(&req.Model, "model", "", "hardware model")
	fs.StringVar(&req.ContactPoint, "contact-point", "", "the contact point it belongs to")
	board := fs.String("board", "", "LED boards: controller/WIDTHxHEIGHT[/single|dual], e.g. bx-5e2/128x32/dual")
	ttl := fs.Duration("token-ttl", 0, "how long the enrolment token lasts (default 168h)")
	fs.Var(&tags, "tag", "tag (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *board != "" {
		b, err := fleet.ParseBoard(*board)
		if err != nil {
			return fmt.Errorf("--board: %w", err)
		}
		req.Board = &b
	}
	req.Tags, req.TokenTTLHours = tags, int(*ttl/time.Hour)
	out, err := x.c.CreateDevice(ctx, req)
	if err != nil {
		return err
	}
	x.print(out, func(w io.Writer) {
		fmt.Fprintf(w, "已创建设备 %s（%s，%s）\n", out.Device.ID, out.Device.Kind, out.Device.Region)
		fmt.Fprintf(w, "注册码（只显示这一次，%s 前有效）：\n%s\n", out.Enrolment.Expires.Local().Format("2006-01-02 15:04"), out.Enrolment.Token)
	})
	return nil
}

func (x *CLI) deviceCommand(ctx context.Context, args []string) error {
	if len(args) < 2 {
		return errors.New("device command needs a device ID and a command kind")
	}
	fs := flag.NewFlagSet("device command", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	argsJSON := fs.String("args", "", `arguments as JSON, e.g. {"percent":30}`)
	deadline := fs.Duration("deadline", time.Hour, "how long the command may wait for the device")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	req := api.CommandRequest{Kind: args[1], DeadlineSeconds: int(*deadline / time.Second)}
	if *argsJSON != "" {
		req.Args = json.RawMessage(*argsJSON)
	}
	c, err := x.c.Command(ctx, args[0], req)
	if err != nil {
		return err
	}
	x.print(c, func(w io.Writer) {
		fmt.Fprintf(w, "指令 %s（%s）已%s，截止 %s\n", c.ID, c.Kind, map[bool]string{true: "发送", false: "排队，设备上线后发送"}[c.State == "sent"],
			c.Deadline.Local().Format("2006-01-02 15:04"))
	})
	return nil
}

func (x *CLI) contentList(ctx context.Context) error {
	cv, err := x.c.Content(ctx)
	if err != nil {
		return err
	}
	x.print(cv, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tKIND\tVERSION\tSIZE\tSUMMARY")
		for _, it := range cv.Items {
			sum := ""
			switch {
			case it.Text != nil:
				sum = it.Text.Body
			case it.Article != nil:
				sum = it.Article.Title
			case it.Image != nil:
				sum = fmt.Sprintf("%s %dx%d", it.Image.Format, it.Image.Width, it.Image.Height)
			}
			if r := []rune(sum); len(r) > 30 {
				sum = string(r[:30]) + "…"
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", it.ID, it.Kind, it.Version, it.Size, sum)
		}
		for _, p := range cv.Programmes {
			fmt.Fprintf(w, "programme %s\t%d entries\n", p.ID, len(p.Entries))
		}
	})
	return nil
}

func (x *CLI) contentAdd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("content add", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	id := fs.String("id", "", "item ID")
	text := fs.String("text", "", "an LED message")
	title := fs.String("article-title", "", "article title")
	body := fs.String("article-body", "", "article body")
	imageFile := fs.String("image", "", "a PNG or JPEG file")
	prog := fs.String("programme", "", "also put the item alone in this programme")
	secs := fs.Int("seconds", 10, "airtime in the programme")
	fallback := fs.String("fallback", "", "make the programme the fallback of this device kind")
	var tags multi
	fs.Var(&tags, "tag", "tag (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	it := content.Item{ID: *id, Tags: tags}
	switch {
	case *text != "":
		it.Kind, it.Text = content.KindText, &content.Text{Body: *text}
	case *title != "" || *body != "":
		it.Kind, it.Article = content.KindArticle, &content.Article{Title: *title, Body: *body}
	case *imageFile != "":
		data, err := os.ReadFile(*imageFile)
		if err != nil {
			return err
		}
		sum, err := x.c.Upload(ctx, data)
		if err != nil {
			return err
		}
		it.Kind, it.SHA256 = content.KindImage, sum
	default:
		return errors.New("content add needs --text, --article-title/--article-body or --image")
	}
	req := api.ContentRequest{Items: []content.Item{it}}
	if *prog != "" {
		req.Programmes = []content.Programme{{ID: *prog, Entries: []content.Entry{{ItemID: *id, Seconds: *secs}}}}
		if *fallback != "" {
			req.Fallbacks = map[string]string{*fallback: *prog}
		}
	}
	items, err := x.c.AddContent(ctx, req)
	if err != nil {
		return err
	}
	x.print(items, func(w io.Writer) {
		for _, it := range items {
			fmt.Fprintf(w, "已保存素材 %s 第%d版（%d 字节，sha256 %s）\n", it.ID, it.Version, it.Size, it.SHA256[:12])
		}
	})
	return nil
}

func (x *CLI) scheduleList(ctx context.Context) error {
	ss, err := x.c.Schedules(ctx)
	if err != nil {
		return err
	}
	x.print(ss, func(w io.Writer) {
		fmt.Fprintln(w, "ID\tPROGRAMME\tPRIORITY\tTARGET\tWHEN")
		for _, s := range ss {
			when := "always"
			if !s.Always {
				b, _ := json.Marshal(struct {
					From    content.Date     `json:"from,omitzero"`
					Until   content.Date     `json:"until,omitzero"`
					Days    content.Weekdays `json:"days,omitzero"`
					Windows []content.Window `json:"windows,omitempty"`
				}{s.DateFrom, s.DateUntil, s.Weekdays, s.Windows})
				when = string(b)
			}
			tb, _ := json.Marshal(s.Target)
			fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", s.ID, s.ProgrammeID, s.Priority, tb, when)
		}
	})
	return nil
}

func (x *CLI) scheduleAdd(ctx context.Context, args []string, checkOnly bool) error {
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(x.Err)
	file := fs.String("file", "", "schedule JSON (docs/CONTENT.md); - for stdin")
	var s content.Schedule
	var regions, tags, kinds, windows multi
	fs.StringVar(&s.ID, "id", "", "schedule ID")
	fs.StringVar(&s.ProgrammeID, "programme", "", "programme ID")
	fs.IntVar(&s.Priority, "priority", 0, "priority 0..1000 (highest wins)")
	fs.BoolVar(&s.Always, "always", false, "play whatever the date and time")
	fs.StringVar(&s.Zone, "zone", "", "IANA time zone (default Asia/Shanghai)")
	days := fs.String("days", "", "weekdays, e.g. mon,tue,sat")
	from := fs.String("from", "", "first date YYYY-MM-DD")
	until := fs.String("until", "", "last date YYYY-MM-DD")
	fs.Var(&regions, "region", "target region (repeatable)")
	fs.Var(&tags, "tag", "target tag (repeatable)")
	fs.Var(&kinds, "kind", "target device kind (repeatable)")
	fs.Var(&windows, "window", "daily window HH:MM-HH:MM (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file != "" {
		var data []byte
		var err error
		if *file == "-" {
			in := x.In
			if in == nil {
				in = os.Stdin
			}
			data, err = io.ReadAll(in)
		} else {
			data, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		if s, err = content.DecodeSchedule(data); err != nil {
			return err
		}
	} else {
		s.Target = content.Target{Regions: regions, Tags: tags, Kinds: kinds}
		if *days != "" {
			if err := json.Unmarshal([]byte(`["`+strings.ReplaceAll(*days, ",", `","`)+`"]`), &s.Weekdays); err != nil {
				return err
			}
		}
		for _, w := range windows {
			a, b, ok := strings.Cut(w, "-")
			if !ok {
				return fmt.Errorf("window %q is not HH:MM-HH:MM", w)
			}
			start, err1 := content.ParseClock(a)
			end, err2 := content.ParseClock(b)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("window %q is not HH:MM-HH:MM", w)
			}
			s.Windows = append(s.Windows, content.Window{Start: start, End: end, Overnight: end < start})
		}
		var err error
		if *from != "" {
			if s.DateFrom, err = content.ParseDate(*from); err != nil {
				return err
			}
		}
		if *until != "" {
			if s.DateUntil, err = content.ParseDate(*until); err != nil {
				return err
			}
		}
	}
	var (
		res api.CheckResponse
		err error
	)
	if checkOnly {
		res, err = x.c.CheckSchedule(ctx, s)
	} else {
		res, err = x.c.AddSchedule(ctx, s)
	}
	if err != nil {
		return err
	}
	x.print(res, func(w io.Writer) {
		switch {
		case res.Stored:
			fmt.Fprintf(w, "已保存排期 %s\n", s.ID)
		case res.DraftID != 0:
			fmt.Fprintf(w, "排期 %s 已提交为草稿 #%d，等待县级管理员审批后发布 (draft #%d awaits a county administrator)\n", s.ID, res.DraftID, res.DraftID)
		default:
			fmt.Fprintf(w, "排期 %s 检查完毕（未保存）\n", s.ID)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(w, "问题 %s: %s\n", p.Field, p.Message)
		}
		if len(res.Conflicts) == 0 {
			fmt.Fprintln(w, "没有冲突 (no conflicts)")
		}
		for _, c := range res.Conflicts {
			fmt.Fprintf(w, "冲突：%s\n", c.Message)
		}
	})
	return nil
}

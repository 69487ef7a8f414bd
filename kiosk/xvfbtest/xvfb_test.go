package xvfbtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lawpoint/kiosk/ui"
)

func need(t *testing.T) {
	t.Helper()
	for _, p := range []struct{ bin, pkg string }{{"Xvfb", "xvfb"}, {"xdotool", "xdotool"}, {"import", "imagemagick"}} {
		if _, err := exec.LookPath(p.bin); err != nil {
			t.Skipf("%s is not installed (apt-get install %s): the kiosk cannot be run under a virtual display", p.bin, p.pkg)
		}
	}
}

var builtBin string

// binary builds lawpoint-kiosk once per test run. LAWPOINT_KIOSK_BIN runs
// a binary built beforehand instead (comparing two versions).
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("LAWPOINT_KIOSK_BIN"); b != "" {
		return b
	}
	if builtBin != "" {
		return builtBin
	}
	dir, err := os.MkdirTemp("", "lawpoint-kiosk-bin")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "lawpoint-kiosk")
	out, err := exec.Command("go", "build", "-o", bin, "lawpoint/cmd/lawpoint-kiosk").CombinedOutput()
	if err != nil {
		t.Fatalf("building the kiosk: %v\n%s", err, out)
	}
	builtBin = bin
	return bin
}

// xvfb starts a virtual display of w x h on a free display number and
// returns its name and the server's process ID.
func xvfb(t *testing.T, w, h int) (string, int) {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	wr.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatal("Xvfb did not say which display it took")
		}
		return ":" + n, cmd.Process.Pid
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start within 20 s")
	}
	return "", 0
}

type run struct {
	t       *testing.T
	display string
	xpid    int // the X server
	state   string
	cmd     *exec.Cmd
	started time.Time
	window  string
	shots   string
	w, h    int
	log     string // the kiosk's stdout and stderr
	probe   string // the kiosk's --screenshot file, for aliveness
	lost    int    // clicks that produced no frame (each one a lost tap)
}

// startKiosk runs the kiosk on a fresh display of w x h.
func startKiosk(t *testing.T, w, h int, args ...string) *run {
	t.Helper()
	need(t)
	bin := binary(t)
	display, xpid := xvfb(t, w, h)
	data := t.TempDir()
	r := &run{t: t, display: display, xpid: xpid, state: filepath.Join(data, "state.json"), w: w, h: h, probe: filepath.Join(data, "probe.png")}
	r.shots = os.Getenv("LAWPOINT_SHOTS")
	if r.shots == "" {
		r.shots = t.TempDir()
	}
	os.MkdirAll(r.shots, 0o755)
	args = append([]string{"--data", data, "--size", fmt.Sprintf("%dx%d", w, h), "--state", r.state, "--screenshot", r.probe,
		"--point", "坝下村法律服务联系点", "--adviser", "林志明 法律顾问"}, args...)
	r.cmd = exec.Command(bin, args...)
	r.cmd.Env = append(os.Environ(), "DISPLAY="+display)
	r.log = filepath.Join(data, "kiosk.log")
	logf, _ := os.Create(r.log)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.started = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.lost > 0 {
			t.Logf("%d click(s) produced no frame: lost taps", r.lost)
		}
		r.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			r.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(data, "kiosk.log"))
			t.Logf("kiosk log:\n%s", log)
		}
	})
	r.waitFor(func(s ui.State) bool { return s.Screen == "home" }, "the home screen")
	for i := 0; i < 50 && r.window == ""; i++ {
		out, _ := r.x("xdotool", "search", "--name", "法律服务自助终端").Output()
		if f := strings.Fields(string(out)); len(f) > 0 {
			r.window = f[0]
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if r.window == "" {
		t.Fatal("the kiosk window cannot be found")
	}
	return r
}

// logged counts the lines of the kiosk's log that contain s.
func (r *run) logged(s string) int {
	data, _ := os.ReadFile(r.log)
	return strings.Count(string(data), s)
}

func (r *run) x(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "DISPLAY="+r.display)
	return c
}

func (r *run) read() (ui.State, error) {
	var s ui.State
	data, err := os.ReadFile(r.state)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

func (r *run) waitFor(ok func(ui.State) bool, what string) ui.State {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last ui.State
	for time.Now().Before(deadline) {
		if s, err := r.read(); err == nil {
			last = s
			if ok(s) {
				return s
			}
		}
		if r.cmd.ProcessState != nil {
			r.t.Fatalf("the kiosk exited waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("waiting for %s: the screen is %s: %q", what, last.Screen, last.Text)
	return last
}

// tap clicks the centre of the target whose label (or ID) is label, and
// waits until the screen shows something else.
func (r *run) tap(label string) ui.State {
	r.t.Helper()
	s, err := r.read()
	if err != nil {
		r.t.Fatal(err)
	}
	var tg *ui.StateTarget
	for i := range s.Targets {
		if (s.Targets[i].Label == label || s.Targets[i].ID == label) && !s.Targets[i].Disabled {
			tg = &s.Targets[i]
			break
		}
	}
	if tg == nil {
		r.t.Fatalf("on %s there is no %q to tap (targets %v)", s.Screen, label, s.Targets)
	}
	time.Sleep(450 * time.Millisecond) // past the double-tap guard, as a person would be
	x, y := tg.X+tg.W/2, tg.Y+tg.H/2
	// A finger rests on the glass for a moment: press, 80 ms, release. No
	// click may be lost (TestTapsArrive measures that at 50 ms). Should one
	// produce no frame anyway, the test checks that the kiosk still draws
	// (a screenshot request), reports the lost tap, and clicks once more;
	// a second lost tap in a run fails it.
	for try := 0; ; try++ {
		if out, err := r.x("xdotool", "mousemove", "--window", r.window, fmt.Sprint(x), fmt.Sprint(y),
			"mousedown", "1", "sleep", "0.08", "mouseup", "1").CombinedOutput(); err != nil {
			r.t.Fatalf("xdotool: %v: %s", err, out)
		}
		deadline := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(deadline) {
			if n, err := r.read(); err == nil && n.Frames > s.Frames {
				return r.waitFor(func(n ui.State) bool { return n.Frames > s.Frames && !n.Busy }, "the screen after tapping "+label)
			}
			time.Sleep(30 * time.Millisecond)
		}
		r.alive("after a click on " + label)
		r.lost++
		r.t.Logf("LOST TAP: tapping %q on %s: no frame followed the click (%d in this run)", label, s.Screen, r.lost)
		if r.lost > 1 || try > 0 {
			r.t.Fatalf("tapping %q on %s: %d lost taps in this run", label, s.Screen, r.lost)
		}
	}
}

// alive fails the test unless the kiosk still produces frames: SIGUSR1
// asks for a screenshot, which takes a frame (ebiten.ScheduleFrame).
func (r *run) alive(when string) {
	r.t.Helper()
	before, _ := os.Stat(r.probe)
	r.cmd.Process.Signal(syscall.SIGUSR1)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if fi, err := os.Stat(r.probe); err == nil && (before == nil || !fi.ModTime().Equal(before.ModTime())) {
			return
		}
	}
	r.cmd.Process.Signal(syscall.SIGQUIT) // goroutine dump into the kiosk log
	time.Sleep(500 * time.Millisecond)
	r.t.Fatalf("%s: the kiosk stopped producing frames (no screenshot within 5 s); its goroutines are in the log below", when)
}

// shot saves the whole virtual screen as name.png and returns it.
func (r *run) shot(name string) image.Image {
	r.t.Helper()
	path := filepath.Join(r.shots, fmt.Sprintf("%s-%dx%d.png", name, r.w, r.h))
	var img, prev image.Image
	// The frame reaches the X server a moment after the state file is
	// written: take pictures until two in a row agree and show something.
	for i := 0; i < 20; i++ {
		time.Sleep(150 * time.Millisecond)
		if out, err := r.x("import", "-window", "root", path).CombinedOutput(); err != nil {
			r.t.Fatalf("import: %v: %s", err, out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			r.t.Fatal(err)
		}
		img, err = png.Decode(strings.NewReader(string(data)))
		if err != nil {
			r.t.Fatalf("%s: %v", path, err)
		}
		if prev != nil && blank(img) == "" && differ(prev, img) == 0 {
			break
		}
		prev = img
	}
	r.t.Logf("screenshot %s", path)
	if why := blank(img); why != "" {
		r.t.Errorf("%s looks blank: %s", name, why)
	}
	return img
}

func blank(img image.Image) string {
	count := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bb, _ := img.At(x, y).RGBA()
			count[[3]uint32{r >> 8, g >> 8, bb >> 8}]++
		}
	}
	top := 0
	for _, n := range count {
		top = max(top, n)
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if len(count) < 8 || top > total*95/100 {
		return fmt.Sprintf("%d colours, the commonest covers %d%%", len(count), top*100/max(total, 1))
	}
	return ""
}

// differ is the share of pixels that differ between two pictures.
func differ(a, b image.Image) float64 {
	n, d := 0, 0
	bb := a.Bounds().Intersect(b.Bounds())
	for y := bb.Min.Y; y < bb.Max.Y; y += 2 {
		for x := bb.Min.X; x < bb.Max.X; x += 2 {
			n++
			if a.At(x, y) != b.At(x, y) {
				d++
			}
		}
	}
	return float64(d) / float64(max(n, 1))
}

func TestTicketBookingRatingByClicks(t *testing.T) {
	for _, sz := range [][2]int{{800, 480}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			r := startKiosk(t, sz[0], sz[1])
			shots := map[string]image.Image{}
			shots["home"] = r.shot("home")
			if s, _ := r.read(); s.Width != sz[0] || s.Height != sz[1] || !strings.Contains(s.Text, "12348") {
				t.Errorf("home state: %dx%d %q", s.Width, s.Height, s.Text)
			}

			// Take a ticket.
			r.tap("取号")
			shots["ticket-category"] = r.shot("ticket-category")
			s := r.tap("法律咨询")
			if s.Screen != "ticket/issued" || s.Ticket != "A001" {
				t.Fatalf("after taking a ticket: %s %q", s.Screen, s.Ticket)
			}
			shots["ticket"] = r.shot("ticket")
			r.tap("首页")

			// Book a slot.
			r.tap("预约视频咨询")
			r.tap("法律咨询")
			s = r.tap("林志明 法律顾问")
			day := ""
			for _, tg := range s.Targets {
				if strings.HasPrefix(tg.ID, "choice.") && !tg.Disabled {
					day = tg.ID
					break
				}
			}
			if day == "" {
				t.Fatalf("no day can be booked: %v", s.Targets)
			}
			s = r.tap(day)
			if s.Screen != "booking/slot" {
				t.Fatalf("after choosing a day: %s", s.Screen)
			}
			shots["booking-slot"] = r.shot("booking-slot")
			r.tap("choice.0")
			for _, d := range "13812345678" {
				r.tap(string(d))
			}
			s, _ = r.read()
			if !strings.Contains(s.Text, "138 1234 5678") {
				t.Errorf("the keypad shows %q", s.Text)
			}
			shots["booking-keypad"] = r.shot("booking-keypad")
			s = r.tap("下一步")
			if !strings.Contains(s.Text, "138****5678") || strings.Contains(s.Text, "13812345678") {
				t.Errorf("the confirmation does not mask the phone: %q", s.Text)
			}
			shots["booking-confirm"] = r.shot("booking-confirm")
			s = r.tap("确认预约")
			if s.Screen != "booking/result" || s.BookingCode == "" || !strings.Contains(s.Text, "待确认") {
				t.Fatalf("booking result: %s code %q: %q", s.Screen, s.BookingCode, s.Text)
			}
			shots["booking-result"] = r.shot("booking-result")
			r.tap("首页")

			// Rate.
			r.tap("服务评价")
			shots["rating"] = r.shot("rating")
			r.tap("满意")
			shots["rating-reasons"] = r.shot("rating-reasons")
			r.tap("态度好")
			s = r.tap("提交评价")
			if s.Screen != "rating/thanks" || !strings.Contains(s.Text, "谢谢您的评价") {
				t.Fatalf("after rating: %s %q", s.Screen, s.Text)
			}
			shots["thanks"] = r.shot("thanks")

			// Legal education.
			r.tap("首页")
			r.tap("法治宣传")
			r.tap("谨防电信网络诈骗")
			shots["article"] = r.shot("article")

			names := make([]string, 0, len(shots))
			for n := range shots {
				names = append(names, n)
			}
			for i, a := range names {
				for _, b := range names[i+1:] {
					if d := differ(shots[a], shots[b]); d < 0.02 {
						t.Errorf("%s and %s look the same (%.1f%% of pixels differ)", a, b, d*100)
					}
				}
			}
		})
	}
}

func TestIdlePromptUnderXvfb(t *testing.T) {
	r := startKiosk(t, 800, 480, "--idle-warn", "2s", "--idle-reset", "4s")
	r.tap("取号")
	s := r.waitFor(func(s ui.State) bool { return s.Idle }, "the idle prompt")
	if !strings.Contains(s.Text, "还在使用吗？") || len(s.Targets) != 1 || s.Targets[0].Label != "还在用" {
		t.Errorf("idle prompt: %q targets %v", s.Text, s.Targets)
	}
	r.shot("idle")
	r.waitFor(func(s ui.State) bool { return s.Screen == "home" }, "home after the idle reset")
}

// TestIdlePromptAfterGoingIdle lets the kiosk go back to frames on input
// only (LAWPOINT_KIOSK_ACTIVE_HOLD=1s) on a screen other than home: the idle
// prompt must still come (the waker schedules it), take a tap, come again,
// and the reset must still take the kiosk home, after which it goes idle.
func TestIdlePromptAfterGoingIdle(t *testing.T) {
	t.Setenv("LAWPOINT_KIOSK_ACTIVE_HOLD", "1s")
	r := startKiosk(t, 800, 480, "--idle-warn", "4s", "--idle-reset", "7s")
	r.tap("取号")
	for deadline := time.Now().Add(10 * time.Second); r.inUse(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the kiosk did not go idle 1 s after the tap")
		}
	}
	if s, _ := r.read(); s.Screen != "ticket/category" || s.Idle {
		t.Fatalf("gone idle on %s (prompt %v), want ticket/category without the prompt", s.Screen, s.Idle)
	}
	s := r.waitFor(func(s ui.State) bool { return s.Idle }, "the idle prompt after the kiosk went idle")
	if !strings.Contains(s.Text, "还在使用吗？") || s.Screen != "ticket/category" {
		t.Errorf("idle prompt on %s: %q", s.Screen, s.Text)
	}
	s = r.tap("还在用")
	if s.Idle || s.Screen != "ticket/category" {
		t.Errorf("after 还在用: %s, prompt %v", s.Screen, s.Idle)
	}
	r.waitFor(func(s ui.State) bool { return s.Idle }, "the idle prompt again")
	r.waitFor(func(s ui.State) bool { return s.Screen == "home" && !s.Idle }, "home after the idle reset")
	for deadline := time.Now().Add(10 * time.Second); r.inUse(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the kiosk did not go idle after the reset")
		}
	}
	if n := r.logged("kiosk: idle"); n < 2 {
		t.Errorf("the kiosk went idle %d times, want at least 2 (after the tap, after the reset)", n)
	}
}

// TestIdleFigures measures, without asserting, what the kiosk costs: CPU
// (utime+stime from /proc/PID/stat) idle on the home screen over 60 s; in
// use (60 frames a second after a tap, docs/KIOSK.md "Lost taps") over 15 s
// on the home screen again; and idle once more after the kiosk has gone
// back to frames on input only, over 60 s. Beside the kiosk's, the X
// server's CPU; resident memory; start to first frame.
func TestIdleFigures(t *testing.T) {
	if os.Getenv("LAWPOINT_MEASURE") == "" {
		t.Skip("set LAWPOINT_MEASURE=1 to measure idle and in-use CPU (~5 min; figures, not assertions)")
	}
	for _, sz := range [][2]int{{800, 480}, {1280, 800}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			r := startKiosk(t, sz[0], sz[1])
			firstSeen := time.Since(r.started)
			s, _ := r.read()
			time.Sleep(3 * time.Second) // let start-up settle
			idle, xidle := r.cpu(60 * time.Second)
			rss, pss := memory(r.cmd.Process.Pid)
			t.Logf("idle CPU %.2f%% of one core over 60 s (Xvfb %.2f%%); RSS %.1f MB, PSS %.1f MB; first frame %d ms after New, state file seen %d ms after exec",
				idle, xidle, rss, pss, s.FirstFrameMS, firstSeen.Milliseconds())

			r.tap("取号")
			r.tap("首页") // in use from here until 20 s after this tap
			if !r.inUse() {
				t.Skip("the kiosk is not in use after a tap (an older binary?)")
			}
			time.Sleep(time.Second) // past the tap's repaint
			used, xused := r.cpu(15 * time.Second)
			for deadline := time.Now().Add(30 * time.Second); r.inUse(); time.Sleep(200 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the kiosk did not go idle")
				}
			}
			time.Sleep(time.Second)
			after, xafter := r.cpu(60 * time.Second)
			t.Logf("in use CPU %.2f%% of one core over 15 s (Xvfb %.2f%%), %s; idle again %.2f%% over 60 s (Xvfb %.2f%%)",
				used, xused, r.lastLogged("frames_per_s"), after, xafter)
		})
	}
}

// cpu is the share of one core the kiosk and the X server used over d.
func (r *run) cpu(d time.Duration) (kiosk, x float64) {
	r.t.Helper()
	pid := r.cmd.Process.Pid
	c0, err := cpuTicks(pid)
	if err != nil {
		r.t.Fatal(err)
	}
	x0, _ := cpuTicks(r.xpid)
	t0 := time.Now()
	time.Sleep(d)
	c1, _ := cpuTicks(pid)
	x1, _ := cpuTicks(r.xpid)
	el := time.Since(t0).Seconds()
	const hz = 100 // USER_HZ
	return float64(c1-c0) / hz / el * 100, float64(x1-x0) / hz / el * 100
}

// lastLogged is the last line of the kiosk's log that contains s, from s on.
func (r *run) lastLogged(s string) string {
	data, _ := os.ReadFile(r.log)
	l := string(data)
	i := strings.LastIndex(l, s)
	if i < 0 {
		return ""
	}
	l = l[i:]
	if j := strings.IndexByte(l, '\n'); j >= 0 {
		l = l[:j]
	}
	return l
}

func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(string(data[i+1:]))
	var u, s int64
	fmt.Sscan(f[11], &u) // utime: field 14 overall
	fmt.Sscan(f[12], &s) // stime: field 15
	return u + s, nil
}

func memory(pid int) (rssMB, pssMB float64) {
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			var kb float64
			if strings.HasPrefix(l, "VmRSS:") {
				fmt.Sscan(strings.TrimPrefix(l, "VmRSS:"), &kb)
				rssMB = kb / 1024
			}
		}
	}
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			var kb float64
			if strings.HasPrefix(l, "Pss:") {
				fmt.Sscan(strings.TrimPrefix(l, "Pss:"), &kb)
				pssMB = kb / 1024
			}
		}
	}
	return
}

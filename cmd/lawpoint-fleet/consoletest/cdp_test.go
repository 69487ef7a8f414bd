package consoletest

// A minimal Chrome DevTools Protocol client for Debian's headless Chromium:
// start the browser, take its page target and speak CDP over a websocket.

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const chromiumPath = "/usr/bin/chromium"

type cdpMsg struct {
	ID     int64           `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// browser is one headless Chromium and a CDP session to its page.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	ws      *websocket.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	next    int64
	pending map[int64]chan cdpMsg
	waiters map[string][]chan cdpMsg
	shots   string
	// requests are the page's requests, for failure messages.
	requests []string
	closed   chan struct{}
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless Chromium is not installed (%s missing): run `apt-get install chromium` to run the console's browser tests", chromiumPath)
	}
	// The profile folder is removed by hand once Chromium and its helper
	// processes are gone: t.TempDir's cleanup fails the test when a
	// helper still writes there for a moment after the kill.
	profile, err := os.MkdirTemp("", "lawpoint-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--lang=zh-CN", "--window-size=1280,1000", "--user-data-dir="+profile, "--remote-debugging-port=0", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // one group: the helpers stop with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var wsURL string
	select {
	case wsURL = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("chromium did not print its DevTools address within 60 s")
	}
	host := strings.TrimPrefix(wsURL, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + host + "/json/list")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		if err == nil {
			for _, tg := range targets {
				if tg.Type == "page" && tg.WS != "" {
					wsURL = tg.WS
					goto dial
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page target from chromium: %v %+v", err, targets)
		}
	}
dial:
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(64 << 20)
	b := &browser{t: t, cmd: cmd, ws: ws, pending: map[int64]chan cdpMsg{}, waiters: map[string][]chan cdpMsg{}, closed: make(chan struct{})}
	b.shots = os.Getenv("LAWPOINT_SCREENSHOTS")
	if b.shots == "" {
		b.shots = filepath.Join(os.TempDir(), "lawpoint-console-screenshots")
	}
	os.MkdirAll(b.shots, 0o755)
	go b.read()
	t.Cleanup(func() { ws.Close() })
	b.call("Page.enable", nil)
	b.call("Runtime.enable", nil)
	b.call("Network.enable", nil)
	return b
}

func (b *browser) read() {
	defer close(b.closed)
	for {
		var m cdpMsg
		if err := b.ws.ReadJSON(&m); err != nil {
			return
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.pending[m.ID]; ch != nil {
				delete(b.pending, m.ID)
				ch <- m
			}
		} else if m.Method == "Network.requestWillBeSent" {
			var r struct {
				Request struct{ Method, URL string } `json:"request"`
			}
			json.Unmarshal(m.Params, &r)
			b.requests = append(b.requests, r.Request.Method+" "+r.Request.URL)
		} else if ws := b.waiters[m.Method]; len(ws) > 0 {
			delete(b.waiters, m.Method)
			for _, ch := range ws {
				ch <- m
			}
		}
		b.mu.Unlock()
	}
}

// call sends one CDP command and returns its result.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	raw, _ := json.Marshal(params)
	if params == nil {
		raw = []byte("{}")
	}
	b.wmu.Lock()
	err := b.ws.WriteJSON(cdpMsg{ID: id, Method: method, Params: raw})
	b.wmu.Unlock()
	if err != nil {
		b.t.Fatalf("CDP %s: %v", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			b.t.Fatalf("CDP %s: %d %s", method, m.Error.Code, m.Error.Message)
		}
		return m.Result
	case <-b.closed:
		b.t.Fatalf("CDP %s: the browser connection closed", method)
	case <-time.After(60 * time.Second):
		b.t.Fatalf("CDP %s: no answer within 60 s", method)
	}
	return nil
}

// on returns a channel that receives the next event named method.
func (b *browser) on(method string) chan cdpMsg {
	ch := make(chan cdpMsg, 1)
	b.mu.Lock()
	b.waiters[method] = append(b.waiters[method], ch)
	b.mu.Unlock()
	return ch
}

func (b *browser) waitLoad(ch chan cdpMsg, what string) {
	b.t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s: the page did not load within 60 s", what)
	}
}

// navigate opens url and waits for its load event.
func (b *browser) navigate(url string) {
	b.t.Helper()
	ch := b.on("Page.loadEventFired")
	b.call("Page.navigate", map[string]any{"url": url})
	b.waitLoad(ch, url)
}

// eval runs a JavaScript expression (promises awaited) and returns its value.
func (b *browser) eval(expr string) any {
	b.t.Helper()
	raw := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		b.t.Fatal(err)
	}
	if r.Exception != nil {
		b.t.Fatalf("JavaScript %q: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	return r.Result.Value
}

func (b *browser) evalString(expr string) string {
	b.t.Helper()
	v := b.eval(expr)
	s, _ := v.(string)
	return s
}

// submit runs js (which clicks a button or submits a form) and waits for
// the next page to load.
func (b *browser) submit(js, what string) {
	b.t.Helper()
	ch := b.on("Page.loadEventFired")
	b.eval(js)
	b.waitLoad(ch, what)
}

// requestLog is the page's requests so far.
func (b *browser) requestLog() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.requests, "\n")
}

// waitRequest waits (at most within) until the page has asked for a URL
// containing part; it reports whether it did.
func (b *browser) waitRequest(part string, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(b.requestLog(), part) {
			return true
		}
	}
	return false
}

// text is the visible text of the page.
func (b *browser) text() string {
	b.t.Helper()
	return b.evalString("document.body ? document.body.innerText : ''")
}

func (b *browser) url() string {
	b.t.Helper()
	return b.evalString("location.href")
}

// waitJS waits until the expression is true.
func (b *browser) waitJS(expr string, within time.Duration, what string) {
	b.t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(200 * time.Millisecond) {
		if v, _ := b.eval(expr).(bool); v {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %v; the page shows:\n%s", what, within, b.text())
		}
	}
}

// screenshot saves the page as name.png and returns the path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	raw := b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	var r struct {
		Data string `json:"data"`
	}
	json.Unmarshal(raw, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil || len(png) < 1000 {
		b.t.Fatalf("screenshot %s: %d bytes, %v", name, len(png), err)
	}
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
	return path
}

// cookieHeader is the browser's cookies for the console as a Cookie header
// (the session cookie is HttpOnly, so it comes from CDP, not the page).
func (b *browser) cookieHeader(origin string) string {
	b.t.Helper()
	raw := b.call("Network.getCookies", map[string]any{"urls": []string{origin}})
	var r struct {
		Cookies []struct{ Name, Value string } `json:"cookies"`
	}
	json.Unmarshal(raw, &r)
	var parts []string
	for _, c := range r.Cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fill sets form fields (by CSS selector) as a person typing would, with
// input and change events.
func (b *browser) fill(fields map[string]string) {
	b.t.Helper()
	for sel, v := range fields {
		b.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) throw new Error("no field " + %s);
			el.value = %s; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true })()`,
			js(sel), js(sel), js(v)))
	}
}

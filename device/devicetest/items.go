package devicetest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"lawpoint/content"
)

// ItemServer serves item bytes at content.ItemPath like the fleet, with
// Range requests (http.ServeContent) and HTTP basic authentication.
type ItemServer struct {
	*httptest.Server
	User, Password string

	mu    sync.Mutex
	items map[string][]byte // path → bytes
	// CutAfter, when > 0, makes the next response for a path end after
	// that many bytes (the connection drops), once per path.
	cutAfter map[string]int
	// Stall, when set, makes responses hold after StallAfter bytes of
	// a body until the channel is closed; Stalled is signalled once when a
	// response holds.
	stallAfter int
	stall      chan struct{}
	stalled    chan struct{}
	stallOnce  sync.Once
	requests   []Request
}

// Request is one request the server saw.
type Request struct {
	Path  string
	Range string
}

// NewItemServer starts a server; the caller adds items with Add.
func NewItemServer(t testing.TB) *ItemServer {
	s := &ItemServer{User: "led-0001", Password: "pw-led-0001", items: map[string][]byte{}, cutAfter: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Add serves data as the bytes of it.
func (s *ItemServer) Add(it content.Item, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[content.ItemPath(it.ID, it.Version)] = data
}

// CutAfter makes the next download of it drop after n bytes.
func (s *ItemServer) CutAfter(it content.Item, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutAfter[content.ItemPath(it.ID, it.Version)] = n
}

// StallAfter makes the next response stop after n body bytes until release
// is closed; stalled is closed when it stops. Later responses run normally.
func (s *ItemServer) StallAfter(n int) (stalled <-chan struct{}, release chan<- struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallAfter, s.stall, s.stalled = n, make(chan struct{}), make(chan struct{})
	return s.stalled, s.stall
}

// Requests returns the requests so far.
func (s *ItemServer) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *ItemServer) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != s.User || p != s.Password {
		http.Error(w, "wrong credentials", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	data, ok := s.items[r.URL.Path]
	cut := s.cutAfter[r.URL.Path]
	delete(s.cutAfter, r.URL.Path)
	stallAfter, stall, stalled := s.stallAfter, s.stall, s.stalled
	s.stall = nil // a stall holds one response only
	s.requests = append(s.requests, Request{Path: r.URL.Path, Range: r.Header.Get("Range")})
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	var out http.ResponseWriter = w
	if cut > 0 || stall != nil {
		out = &limitWriter{ResponseWriter: w, cut: cut, stallAfter: stallAfter, stall: stall, onStall: func() {
			s.stallOnce.Do(func() { close(stalled) })
		}}
	}
	http.ServeContent(out, r, "", time.Time{}, bytes.NewReader(data))
	if lw, ok := out.(*limitWriter); ok && lw.cutDone {
		// Abort the connection so the client sees a short body.
		panic(http.ErrAbortHandler)
	}
}

type limitWriter struct {
	http.ResponseWriter
	cut, written int
	cutDone      bool
	stallAfter   int
	stall        chan struct{}
	onStall      func()
}

func (l *limitWriter) Write(b []byte) (int, error) {
	if l.stall != nil && l.written+len(b) > l.stallAfter {
		n := max(l.stallAfter-l.written, 0)
		l.ResponseWriter.Write(b[:n])
		l.ResponseWriter.(http.Flusher).Flush()
		l.written += n
		l.onStall()
		<-l.stall
		return n, http.ErrAbortHandler
	}
	if l.cut > 0 && l.written+len(b) > l.cut {
		n := l.cut - l.written
		l.ResponseWriter.Write(b[:n])
		l.ResponseWriter.(http.Flusher).Flush()
		l.written += n
		l.cutDone = true
		return n, http.ErrAbortHandler
	}
	l.written += len(b)
	return l.ResponseWriter.Write(b)
}

// RangedRequests returns the requests for path that asked for a range.
func (s *ItemServer) RangedRequests(it content.Item) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Path == content.ItemPath(it.ID, it.Version) && strings.HasPrefix(r.Range, "bytes=") {
			out = append(out, r.Range)
		}
	}
	return out
}

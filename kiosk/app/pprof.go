package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// ServePprof serves Go's profiles (heap, allocations, goroutines, CPU, under
// /debug/pprof/) on addr until ctx ends, for measuring the kiosk
// (`lawpoint-kiosk --pprof 127.0.0.1:6060`). The address must be a loopback
// one: a kiosk's profiles are not for its network. It returns the address
// listened on (addr may end in :0).
func ServePprof(ctx context.Context, addr string, log *slog.Logger) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("app: --pprof %q: want HOST:PORT such as 127.0.0.1:6060", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("app: --pprof %q: only a loopback address (127.0.0.1, [::1], localhost) is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("app: --pprof: %w", err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return "", fmt.Errorf("app: --pprof %q resolved to %s, which is not a loopback address", addr, ip)
	}
	srv := &http.Server{Handler: http.HandlerFunc(servePprof), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("pprof server stopped", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}

// servePprof answers /debug/pprof/ (the list), /debug/pprof/NAME?debug=N
// (heap, allocs, goroutine…; gc=1 collects first) and
// /debug/pprof/profile?seconds=N (CPU), as net/http/pprof does; that
// package is not imported because it adds its handlers to
// http.DefaultServeMux, which a later server might expose.
func servePprof(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/debug/pprof/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	debugLevel, _ := strconv.Atoi(q.Get("debug"))
	switch name {
	case "":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, p := range pprof.Profiles() {
			fmt.Fprintf(w, "%d\t%s\n", p.Count(), p.Name())
		}
		fmt.Fprintln(w, "-\tprofile?seconds=N (CPU)")
		return
	case "profile":
		sec, err := strconv.Atoi(q.Get("seconds"))
		if err != nil || sec <= 0 || sec > 300 {
			sec = 30
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		select {
		case <-time.After(time.Duration(sec) * time.Second):
		case <-r.Context().Done():
		}
		pprof.StopCPUProfile()
		return
	}
	p := pprof.Lookup(name)
	if p == nil {
		http.NotFound(w, r)
		return
	}
	if name == "heap" && q.Get("gc") == "1" {
		runtime.GC()
	}
	if debugLevel > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	p.WriteTo(w, debugLevel)
}

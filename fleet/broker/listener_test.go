package broker

import (
	"net"
	"testing"
)

// TestListenerStopsAcceptingBeforeClientsAreDropped: when the broker
// closes a listener, the port is closed before its clients are
// disconnected, so a dropped device retrying at once cannot get back in
// (where the shutting-down broker could only refuse it).
func TestListenerStopsAcceptingBeforeClientsAreDropped(t *testing.T) {
	l := &listener{id: "tcp", addr: "127.0.0.1:0"}
	if err := l.Init(nil); err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		l.Serve(func(_ string, c net.Conn) error { return c.Close() })
	}()
	addr := l.Address()
	var redial error
	calls := 0
	l.Close(func(id string) {
		calls++
		// A device dropped here retries at once.
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		redial = err
	})
	<-served
	if calls != 1 {
		t.Fatalf("clients closed %d times; want once", calls)
	}
	if redial == nil {
		t.Error("a device could connect again while the listener's clients were being disconnected")
	}
	l.Close(func(string) { calls++ })
	if calls != 1 {
		t.Error("a second Close disconnected the clients again")
	}
}

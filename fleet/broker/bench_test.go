package broker_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"

	"lawpoint/fleet"
	"lawpoint/fleet/broker"
)

// acceptAll lets every device in: the benchmark measures the broker.
type acceptAll struct{}

func (acceptAll) Authenticate(_ context.Context, user, _ string) (fleet.Principal, error) {
	return fleet.Principal{Username: user, Role: fleet.RoleDevice}, nil
}

func connectPacket(id string) []byte {
	str := func(s string) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(s)))
		return append(b, s...)
	}
	var body []byte
	body = append(body, str("MQTT")...)
	body = append(body, 4, 0xC2, 0, 120) // 3.1.1; username, password, clean session; keep-alive 120 s
	body = append(body, str(id)...)
	body = append(body, str(id)...)
	body = append(body, str("password")...)
	return append([]byte{0x10, byte(len(body))}, body...) // len < 128
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// BenchmarkIdleConnections reports the broker's memory per connected, idle
// device (heap and goroutine stacks, both ends in this process; the client
// end is a bare socket), tuned as lawpoint runs it and with mochi's
// defaults.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 2000
	for _, tc := range []struct {
		name string
		cfg  broker.Config
	}{
		{"tuned", broker.Config{}},
		{"mochi-defaults", broker.Config{WritesPending: 8192, BufferSize: 2048}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				cfg := tc.cfg
				cfg.Listeners = []net.Listener{ln}
				br, err := broker.New(acceptAll{}, cfg)
				if err != nil {
					b.Fatal(err)
				}
				if err := br.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				before := heap()
				conns := make([]net.Conn, 0, n)
				ack := make([]byte, 4)
				for i := range n {
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						b.Fatalf("connection %d: %v (raise ulimit -n)", i, err)
					}
					if _, err := c.Write(connectPacket(fmt.Sprintf("led-%05d", i))); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x20 || ack[3] != 0 {
						b.Fatalf("connection %d: CONNACK % x, %v", i, ack, err)
					}
					conns = append(conns, c)
				}
				after := heap()
				b.ReportMetric(float64(after-before)/n, "bytes/conn")
				for _, c := range conns {
					c.Close()
				}
				br.Close()
			}
		})
	}
}

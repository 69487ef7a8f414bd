package sim

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lawpoint/device/wire"
	"lawpoint/fleet"
	"lawpoint/fleet/broker"
)

type acceptAll struct{}

func (acceptAll) Authenticate(_ context.Context, user, _ string) (fleet.Principal, error) {
	return fleet.Principal{Username: user, Role: fleet.RoleDevice}, nil
}

func inUse() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// BenchmarkIdleClient is why the simulator has its own MQTT client: memory
// (heap + stacks) and goroutines per connected, subscribed, idle device,
// for a bare socket (the broker's share only: CONNECT, nothing read), the
// simulator's lean client (one reader goroutine, 512-byte buffer), and
// paho. Broker and clients share this process, so the client's own cost
// is the difference to "bare".
func BenchmarkIdleClient(b *testing.B) {
	const n = 1000
	for _, kind := range []string{"bare", "lean", "paho"} {
		b.Run(kind, func(b *testing.B) {
			for range b.N {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				br, err := broker.New(acceptAll{}, broker.Config{Listeners: []net.Listener{ln}})
				if err != nil {
					b.Fatal(err)
				}
				if err := br.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				addr := ln.Addr().String()
				mem0, g0 := inUse()
				var closers []func()
				for i := range n {
					id := fmt.Sprintf("led-%05d", i)
					filters := make([]string, len(readKinds))
					for j, k := range readKinds {
						filters[j] = wire.Topic(id, k)
					}
					switch kind {
					case "bare", "lean":
						c, err := net.Dial("tcp", addr)
						if err != nil {
							b.Fatal(err)
						}
						c.Write(connectPacket(connectOpts{ClientID: id, Username: id, Password: "x", KeepAlive: 60}))
						r := bufio.NewReaderSize(c, 512)
						if h, _, err := readPacket(r, 16); err != nil || h>>4 != pktConnack {
							b.Fatalf("CONNACK: %v", err)
						}
						if kind == "lean" {
							c.Write(subscribePacket(1, filters, 1))
							go func() {
								for {
									if _, _, err := readPacket(r, maxIncoming); err != nil {
										return
									}
								}
							}()
						}
						closers = append(closers, func() { c.Close() })
					case "paho":
						o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetUsername(id).SetPassword("x").
							SetCleanSession(false).SetKeepAlive(60 * time.Second).SetAutoReconnect(false)
						c := paho.NewClient(o)
						if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
							b.Fatalf("paho connect: %v", t.Error())
						}
						subs := map[string]byte{}
						for _, f := range filters {
							subs[f] = 1
						}
						if t := c.SubscribeMultiple(subs, func(paho.Client, paho.Message) {}); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
							b.Fatalf("paho subscribe: %v", t.Error())
						}
						closers = append(closers, func() { c.Disconnect(0) })
					}
				}
				time.Sleep(500 * time.Millisecond)
				mem1, g1 := inUse()
				b.ReportMetric(float64(mem1-mem0)/n, "bytes/device")
				b.ReportMetric(float64(g1-g0)/n, "goroutines/device")
				for _, c := range closers {
					c()
				}
				br.Close()
			}
		})
	}
}

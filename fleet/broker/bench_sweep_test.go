package broker_test

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/mochi-mqtt/server/v2/packets"

	"lawpoint/device/wire"
)

// BenchmarkRetainedSweep measures what mochi v2.7.9 does once a second
// whatever the broker is doing (Server.clearExpiredRetainedMessages,
// started by a ticker in mqtt.New that no option turns off): copy every
// retained message into a new map (packets.Packets.GetAll) and check its
// expiry. The fleet retains three messages per device (presence, desired,
// reported: PROTOCOL.md section 4), so one op here is one sweep of a
// 10,000-device county; the cost grows with the devices, not with the
// traffic.
func BenchmarkRetainedSweep(b *testing.B) {
	for _, devices := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) {
			retained := packets.NewPackets()
			payload := make([]byte, 28<<10)
			now := time.Now().Unix()
			for i := range devices {
				for _, k := range []wire.Kind{wire.KindPresence, wire.KindDesired, wire.KindReported} {
					topic := wire.Topic(fmt.Sprintf("sim-%05d", i), k)
					retained.Add(topic, packets.Packet{TopicName: topic, Payload: payload, Created: now,
						FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true}})
				}
			}
			const maxExpiry = 24 * 60 * 60 // mochi's default MaximumMessageExpiryInterval
			for b.Loop() {
				expired := 0
				for _, pk := range retained.GetAll() {
					if (pk.ProtocolVersion == 5 && pk.Expiry > 0 && pk.Expiry < now) || now-pk.Created > maxExpiry {
						expired++
					}
				}
				if expired != 0 {
					b.Fatal(expired)
				}
			}
			b.ReportMetric(float64(unsafe.Sizeof(packets.Packet{})), "B/packet")
		})
	}
}

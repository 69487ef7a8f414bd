package sim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A lean MQTT 3.1.1 client codec: just the packets a device sends and
// receives (CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH at QoS 0 and 1,
// PUBACK, PINGREQ, PINGRESP, DISCONNECT). A simulated device runs one
// goroutine (its reader) instead of paho's half a dozen; see doc.go for
// the measurement behind that choice.

// MQTT control packet types (the high nibble of the fixed header).
const (
	pktConnect    = 1
	pktConnack    = 2
	pktPublish    = 3
	pktPuback     = 4
	pktSubscribe  = 8
	pktSuback     = 9
	pktPingreq    = 12
	pktPingresp   = 13
	pktDisconnect = 14
)

// errProtocol marks a packet the broker should never send us.
var errProtocol = errors.New("mqtt: protocol violation")

func appendRemLen(b []byte, n int) []byte {
	for {
		c := byte(n % 128)
		n /= 128
		if n > 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// connectOpts is what a CONNECT carries.
type connectOpts struct {
	ClientID, Username, Password string
	KeepAlive                    uint16 // seconds
	CleanSession                 bool
	WillTopic                    string
	WillPayload                  []byte
	WillQoS                      byte
	WillRetain                   bool
}

func connectPacket(o connectOpts) []byte {
	var vb []byte
	vb = appendStr(vb, "MQTT")
	vb = append(vb, 4) // protocol level 3.1.1
	var flags byte
	if o.CleanSession {
		flags |= 0x02
	}
	if o.WillTopic != "" {
		flags |= 0x04 | o.WillQoS<<3
		if o.WillRetain {
			flags |= 0x20
		}
	}
	if o.Username != "" {
		flags |= 0x80
	}
	if o.Password != "" {
		flags |= 0x40
	}
	vb = append(vb, flags)
	vb = binary.BigEndian.AppendUint16(vb, o.KeepAlive)
	vb = appendStr(vb, o.ClientID)
	if o.WillTopic != "" {
		vb = appendStr(vb, o.WillTopic)
		vb = appendBytes(vb, o.WillPayload)
	}
	if o.Username != "" {
		vb = appendStr(vb, o.Username)
	}
	if o.Password != "" {
		vb = appendStr(vb, o.Password)
	}
	return frame(pktConnect<<4, vb)
}

func frame(header byte, body []byte) []byte {
	out := make([]byte, 0, len(body)+5)
	out = append(out, header)
	out = appendRemLen(out, len(body))
	return append(out, body...)
}

func subscribePacket(id uint16, filters []string, qos byte) []byte {
	var vb []byte
	vb = binary.BigEndian.AppendUint16(vb, id)
	for _, f := range filters {
		vb = appendStr(vb, f)
		vb = append(vb, qos)
	}
	return frame(pktSubscribe<<4|0x02, vb)
}

func publishPacket(topic string, id uint16, payload []byte, qos byte, retain bool) []byte {
	h := byte(pktPublish<<4) | qos<<1
	if retain {
		h |= 0x01
	}
	vb := make([]byte, 0, 2+len(topic)+2+len(payload))
	vb = appendStr(vb, topic)
	if qos > 0 {
		vb = binary.BigEndian.AppendUint16(vb, id)
	}
	vb = append(vb, payload...)
	return frame(h, vb)
}

func pubackPacket(id uint16) []byte {
	return []byte{pktPuback << 4, 2, byte(id >> 8), byte(id)}
}

var (
	pingreqPacket    = []byte{pktPingreq << 4, 0}
	disconnectPacket = []byte{pktDisconnect << 4, 0}
)

// readPacket reads one packet: its first header byte and its body. A body
// over max bytes is an error (the connection is then dropped).
func readPacket(r *bufio.Reader, max int) (byte, []byte, error) {
	h, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; ; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(c&0x7f) * mult
		if c&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, nil, fmt.Errorf("%w: remaining length over 4 bytes", errProtocol)
		}
		mult *= 128
	}
	if n > max {
		return 0, nil, fmt.Errorf("%w: packet of %d bytes over the %d-byte limit", errProtocol, n, max)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return h, body, nil
}

// publish is a received PUBLISH.
type publish struct {
	Topic   string
	ID      uint16
	QoS     byte
	Retain  bool
	Payload []byte
}

func parsePublish(h byte, body []byte) (publish, error) {
	p := publish{QoS: (h >> 1) & 3, Retain: h&1 == 1}
	if len(body) < 2 {
		return p, fmt.Errorf("%w: short PUBLISH", errProtocol)
	}
	tl := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if len(body) < tl {
		return p, fmt.Errorf("%w: PUBLISH topic runs past the packet", errProtocol)
	}
	p.Topic, body = string(body[:tl]), body[tl:]
	if p.QoS > 0 {
		if len(body) < 2 {
			return p, fmt.Errorf("%w: PUBLISH without packet ID", errProtocol)
		}
		p.ID, body = binary.BigEndian.Uint16(body), body[2:]
	}
	if p.QoS > 1 {
		return p, fmt.Errorf("%w: QoS %d PUBLISH (we subscribe at 1)", errProtocol, p.QoS)
	}
	p.Payload = body
	return p, nil
}

package bx

import (
	"errors"
	"io"
)

// ErrIdle is returned by Reader.Next when the underlying reader returned no
// bytes and no error (a serial port whose read timeout expired). Any frame in
// progress is kept; call Next again to go on.
var ErrIdle = errors.New("bx: no bytes available")

// DefaultMaxFrame bounds the escaped size of one frame the Reader will
// collect. A picture controller's dynamic area holds at most 300 KiB
// (manual), so a valid frame, even fully escaped, stays well below this.
const DefaultMaxFrame = 1 << 20

type readState uint8

const (
	hunting readState = iota // skipping noise, waiting for 0xA5
	inStart                  // inside the run of 0xA5
	inBody                   // collecting escaped bytes until 0x5A
)

// Reader finds frames in a byte stream that may carry noise, lost bytes and
// bad frames, as a controller (or a host reading replies) sees the line.
// Bytes before a 0xA5 are skipped; a 0xA5 inside a frame means the previous
// frame lost its end and is reported as truncated.
type Reader struct {
	src      io.Reader
	buf      []byte
	pos, end int
	state    readState
	body     []byte
	max      int
	noise    int64
	overflow bool
}

// NewReader returns a Reader of frames from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 4096), max: DefaultMaxFrame}
}

// SetMaxFrame changes the largest frame (escaped body bytes) accepted; a
// longer one is reported as ErrTooLong and skipped.
func (r *Reader) SetMaxFrame(n int) { r.max = n }

// Skipped is the number of noise bytes discarded outside frames so far.
func (r *Reader) Skipped() int64 { return r.noise }

// Next returns the next frame. A bad frame gives a *FrameError (check it
// with errors.Is against ErrBadCRC, ErrTruncated, ...) and reading goes on
// with the next call. Errors of the underlying reader are returned as they
// are; at io.EOF inside a frame the frame is reported truncated first.
func (r *Reader) Next() (Packet, error) {
	for {
		if r.pos == r.end {
			n, err := r.src.Read(r.buf)
			r.pos, r.end = 0, n
			if n == 0 {
				if err == nil {
					return Packet{}, ErrIdle
				}
				if errors.Is(err, io.EOF) && r.state != hunting {
					r.reset()
					return Packet{}, frameErr(ErrTruncated, "stream ended inside a frame")
				}
				return Packet{}, err
			}
		}
		for r.pos < r.end {
			c := r.buf[r.pos]
			r.pos++
			switch r.state {
			case hunting:
				if c == 0xA5 {
					r.state = inStart
				} else {
					r.noise++
				}
			case inStart:
				switch c {
				case 0xA5:
				case 0x5A:
					r.reset()
					return Packet{}, frameErr(ErrTruncated, "frame start followed directly by frame end")
				default:
					r.state = inBody
					r.body = append(r.body[:0], c)
				}
			case inBody:
				switch c {
				case 0x5A:
					over := r.overflow
					body := r.body
					r.reset()
					if over {
						return Packet{}, frameErr(ErrTooLong, "frame longer than %d bytes", r.max)
					}
					raw, err := unescape(body)
					if err != nil {
						return Packet{}, err
					}
					return parseRaw(raw)
				case 0xA5:
					n := len(r.body)
					r.reset()
					r.state = inStart
					return Packet{}, frameErr(ErrTruncated, "new frame start after %d bytes, frame end missing", n)
				default:
					if len(r.body) < r.max {
						r.body = append(r.body, c)
					} else {
						r.overflow = true
					}
				}
			}
		}
	}
}

func (r *Reader) reset() {
	r.state = hunting
	r.body = r.body[:0]
	r.overflow = false
}

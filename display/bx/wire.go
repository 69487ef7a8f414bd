package bx

import "time"

// BitsPerByte is what one byte costs on an 8N1 serial line: start bit, eight
// data bits, stop bit.
const BitsPerByte = 10

// WireTime is the least time n bytes take on a serial line at baud, 8N1:
// n x 10 bits / baud. Real transfers take longer (gaps, pacing, replies).
func WireTime(n int, baud int) time.Duration {
	if baud <= 0 || n <= 0 {
		return 0
	}
	return time.Duration(int64(n) * BitsPerByte * int64(time.Second) / int64(baud))
}

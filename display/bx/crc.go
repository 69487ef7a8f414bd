package bx

// crcTable is the byte-wise table of CRC-16/ARC: reflected polynomial 0x8005
// (0xA001 reflected), initial value 0, no final XOR.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC-16/ARC of b, the checksum both BX families put after
// header and data (sent low byte first). CRC16([]byte("123456789")) is 0xBB3D.
func CRC16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c>>8 ^ crcTable[byte(c)^x]
	}
	return c
}

// sum16 is the alternative "sum check" a font-card header can ask for
// (check mode 1): the byte sum, low 16 bits.
func sum16(b []byte) uint16 {
	var s uint16
	for _, x := range b {
		s += uint16(x)
	}
	return s
}

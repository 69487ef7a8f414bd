package escpos

// qrBytes[v-1] holds how many bytes (byte mode) a model 2 QR symbol of
// version v carries at levels L, M, Q and H (ISO/IEC 18004, versions 1-20;
// a receipt link never needs more).
var qrBytes = [...][4]int{
	{17, 14, 11, 7}, {32, 26, 20, 14}, {53, 42, 32, 24}, {78, 62, 46, 34},
	{106, 84, 60, 44}, {134, 106, 74, 58}, {154, 122, 86, 64}, {192, 152, 108, 84},
	{230, 180, 130, 98}, {271, 213, 151, 119}, {321, 251, 177, 137}, {367, 287, 203, 155},
	{425, 331, 241, 177}, {458, 362, 258, 194}, {520, 412, 292, 220}, {586, 450, 322, 250},
	{644, 504, 364, 280}, {718, 560, 394, 310}, {792, 624, 442, 338}, {858, 666, 482, 382},
}

// QRVersion is the smallest QR version (1-20) that holds n bytes at level,
// as a printer choosing the version automatically would pick it. ok is
// false beyond version 20 or for an unknown level.
func QRVersion(n int, level Level) (version int, ok bool) {
	i := int(level) - int(LevelL)
	if i < 0 || i > 3 {
		return 0, false
	}
	for v, caps := range qrBytes {
		if n <= caps[i] {
			return v + 1, true
		}
	}
	return 0, false
}

// QRWidth is the width in modules of the symbol for n bytes at level,
// including the four-module quiet zone on each side that a scanner needs.
func QRWidth(n int, level Level) (modules int, ok bool) {
	v, ok := QRVersion(n, level)
	if !ok {
		return 0, false
	}
	return 17 + 4*v + 8, true
}

// QRModule picks the largest module size, at most maxModule dots, at which
// the symbol for n bytes at level fits within dots (with its quiet zone).
// It returns 0 when even one-dot modules do not fit.
func QRModule(n int, level Level, dots, maxModule int) int {
	w, ok := QRWidth(n, level)
	if !ok {
		return 0
	}
	return min(dots/w, maxModule)
}

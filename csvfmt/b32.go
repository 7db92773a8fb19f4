package csvfmt

import "github.com/tokenctl/tokenctl/seed"

// b32val maps a canonical base32 character (A-Z, 2-7) to its value, 0xff
// otherwise.
var b32val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" {
		t[c] = byte(i)
	}
	return t
}()

// decodeBase32 is seed.DecodeBase32 with a fast path for the canonical
// spelling (upper case, no padding or separators) that vendor files use:
// one allocation, no intermediate copy. Anything else goes to
// seed.DecodeBase32, so both accept and refuse exactly the same texts
// (TestDecodeBase32MatchesSeed checks this).
func decodeBase32(s string) ([]byte, error) {
	n := len(s)
	switch n % 8 {
	case 1, 3, 6:
		return seed.DecodeBase32(s)
	}
	if n == 0 {
		return seed.DecodeBase32(s)
	}
	out := make([]byte, n*5/8)
	var acc uint64
	bits, o := 0, 0
	for i := 0; i < n; i++ {
		v := b32val[s[i]]
		if v == 0xff {
			seed.Zero(out)
			return seed.DecodeBase32(s)
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out[o] = byte(acc >> uint(bits))
			o++
		}
	}
	if acc&(1<<uint(bits)-1) != 0 {
		// Bits past the final byte: let seed say so.
		seed.Zero(out)
		return seed.DecodeBase32(s)
	}
	return out, nil
}

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

// decodeBase32Into is seed.DecodeBase32 with a fast path for the
// canonical spelling (upper case, no padding or separators) that vendor
// files use, writing into dst's memory when its capacity is enough.
// Anything else goes to seed.DecodeBase32, so both accept and refuse
// exactly the same texts (TestDecodeBase32MatchesSeed checks this).
func decodeBase32Into(dst, s []byte) ([]byte, error) {
	n := len(s)
	switch n % 8 {
	case 1, 3, 6:
		return seed.DecodeBase32(string(s))
	}
	if n == 0 {
		return seed.DecodeBase32(string(s))
	}
	var out []byte
	if cap(dst) >= n*5/8 {
		out = dst[:n*5/8]
	} else {
		out = make([]byte, n*5/8)
	}
	// Whole blocks of 8 characters make 5 bytes at once.
	o, i := 0, 0
	for ; i+8 <= n; i += 8 {
		v0, v1, v2, v3 := b32val[s[i]], b32val[s[i+1]], b32val[s[i+2]], b32val[s[i+3]]
		v4, v5, v6, v7 := b32val[s[i+4]], b32val[s[i+5]], b32val[s[i+6]], b32val[s[i+7]]
		if v0|v1|v2|v3|v4|v5|v6|v7 >= 32 {
			seed.Zero(out)
			return seed.DecodeBase32(string(s))
		}
		w := uint64(v0)<<35 | uint64(v1)<<30 | uint64(v2)<<25 | uint64(v3)<<20 |
			uint64(v4)<<15 | uint64(v5)<<10 | uint64(v6)<<5 | uint64(v7)
		out[o], out[o+1], out[o+2], out[o+3], out[o+4] = byte(w>>32), byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
		o += 5
	}
	var acc uint64
	bits := 0
	for ; i < n; i++ {
		v := b32val[s[i]]
		if v == 0xff {
			seed.Zero(out)
			return seed.DecodeBase32(string(s))
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
		return seed.DecodeBase32(string(s))
	}
	return out, nil
}

// decodeHexInto is seed.DecodeHex with a fast path for plain hex digits
// (no separators), writing into dst's memory when its capacity is enough.
// Anything else goes to seed.DecodeHex, so both accept and refuse exactly
// the same texts.
func decodeHexInto(dst, s []byte) ([]byte, error) {
	n := len(s)
	if n == 0 || n%2 != 0 {
		return seed.DecodeHex(string(s))
	}
	var out []byte
	if cap(dst) >= n/2 {
		out = dst[:n/2]
	} else {
		out = make([]byte, n/2)
	}
	for i := 0; i < n; i += 2 {
		hi, lo := hexval[s[i]], hexval[s[i+1]]
		if hi|lo == 0xff || hi > 15 || lo > 15 {
			seed.Zero(out)
			return seed.DecodeHex(string(s))
		}
		out[i/2] = hi<<4 | lo
	}
	return out, nil
}

var hexval = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()

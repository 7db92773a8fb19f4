package yubikey

import (
	"errors"
	"fmt"
)

// ModhexAlphabet maps nibbles 0..F to the keys a YubiKey types: letters
// that sit at the same place on most keyboard layouts.
const ModhexAlphabet = "cbdefghijklnrtuv"

// Modhex encodes b as modhex text.
func Modhex(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, ModhexAlphabet[c>>4], ModhexAlphabet[c&15])
	}
	return string(out)
}

// ErrModhex is modhex text that does not decode.
var ErrModhex = errors.New("not modhex")

func modhexNibble(c byte) (byte, bool) {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	for i := 0; i < 16; i++ {
		if ModhexAlphabet[i] == c {
			return byte(i), true
		}
	}
	return 0, false
}

// ParseModhex decodes modhex text (either case).
func ParseModhex(s string) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%w: odd length %d", ErrModhex, len(s))
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := modhexNibble(s[i])
		lo, ok2 := modhexNibble(s[i+1])
		if !ok1 || !ok2 {
			bad := i
			if ok1 {
				bad = i + 1
			}
			return nil, fmt.Errorf("%w: character %d is not one of %s", ErrModhex, bad+1, ModhexAlphabet)
		}
		out[i/2] = hi<<4 | lo
	}
	return out, nil
}

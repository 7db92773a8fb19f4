package yubikey

import (
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// ErrHOTPMismatch is a typed HOTP code that matches no counter in the window.
var ErrHOTPMismatch = errors.New("HOTP code does not match")

// CheckHOTP verifies what an OATH-HOTP slot typed (an optional token
// identifier followed by the code) against key, trying counters from
// counter to counter+window (at most seed.MaxWindow) in constant time. It
// returns the counter that matched.
func CheckHOTP(typed string, key []byte, counter uint64, digits, window int) (uint64, error) {
	if digits != 6 && digits != 8 {
		return 0, fmt.Errorf("HOTP digits %d: want 6 or 8", digits)
	}
	if len(typed) < digits {
		return 0, fmt.Errorf("%w: %d characters, want at least %d", ErrHOTPMismatch, len(typed), digits)
	}
	code := typed[len(typed)-digits:]
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, fmt.Errorf("%w: the last %d characters are not all digits", ErrHOTPMismatch, digits)
		}
	}
	off, err := seed.FindHOTP(key, seed.SHA1, digits, counter, code, window)
	if errors.Is(err, seed.ErrNoMatch) {
		return 0, ErrHOTPMismatch
	}
	if err != nil {
		return 0, err
	}
	return counter + uint64(off), nil
}

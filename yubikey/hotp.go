package yubikey

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// ErrHOTPMismatch is a typed HOTP code that matches no counter in the window.
var ErrHOTPMismatch = errors.New("HOTP code does not match")

// CheckHOTP verifies what an OATH-HOTP slot typed (an optional token
// identifier followed by the code) against key, trying counters from
// counter to counter+window. It returns the counter that matched.
func CheckHOTP(typed string, key []byte, counter uint64, digits, window int) (uint64, error) {
	if digits != 6 && digits != 8 {
		return 0, fmt.Errorf("HOTP digits %d: want 6 or 8", digits)
	}
	if len(typed) < digits {
		return 0, fmt.Errorf("%w: %d characters, want at least %d", ErrHOTPMismatch, len(typed), digits)
	}
	code := typed[len(typed)-digits:]
	for c := counter; c <= counter+uint64(window); c++ {
		want, err := seed.HOTPCode(key, c, seed.SHA1, digits)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return c, nil
		}
	}
	return 0, ErrHOTPMismatch
}

package seed

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"
)

// MaxWindow bounds the search of FindTOTP and FindHOTP: a wider search
// makes a chance match of a wrong code likely (about window/10^digits).
const MaxWindow = 10000

// ErrNoMatch is returned by FindTOTP and FindHOTP when the code matches no
// step or counter in the window.
var ErrNoMatch = errors.New("code matches no step in the window")

// checkCode validates the shape of a code a user typed.
func checkCode(code string, digits int) error {
	if digits == 0 {
		digits = 6
	}
	if len(code) != digits {
		return fmt.Errorf("code has %d characters, the token makes %d digits", len(code), digits)
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return fmt.Errorf("code: character %d is not a digit", i+1)
		}
	}
	return nil
}

// equalCode compares two codes in time independent of where they differ.
func equalCode(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// FindTOTP looks for code among the TOTP codes of secret from window steps
// before the step of at to window steps after it. It returns the offset
// of the matching step from at's step: -3 means the code belongs 3 steps
// earlier, i.e. the token's clock is 3 periods slow. When several steps
// match (a chance collision), the one nearest to at wins, the earlier one
// on a tie. Every step in the window is computed and compared in constant
// time, so the time taken does not tell where the match was. It returns
// ErrNoMatch when nothing matches.
func FindTOTP(secret []byte, h Hash, digits, period int, code string, at time.Time, window int) (int, error) {
	if err := checkCode(code, digits); err != nil {
		return 0, err
	}
	if window < 0 || window > MaxWindow {
		return 0, fmt.Errorf("window %d out of range 0..%d", window, MaxWindow)
	}
	if period <= 0 {
		period = 30
	}
	step := TimeStep(at, period)
	found, best := false, 0
	for off := -window; off <= window; off++ {
		if off < 0 && uint64(-off) > step {
			continue // before the epoch
		}
		c, err := HOTPCode(secret, step+uint64(int64(off)), h, digits)
		if err != nil {
			return 0, err
		}
		if equalCode(c, code) && (!found || abs(off) < abs(best)) {
			found, best = true, off
		}
	}
	if !found {
		return 0, ErrNoMatch
	}
	return best, nil
}

// FindHOTP looks for code among the HOTP codes of secret at counter,
// counter+1, ..., counter+lookahead, and returns the offset of the first
// match from counter (the token's counter is then counter+offset, and
// the next expected is one more). Every counter in the window is computed
// and compared in constant time. It returns ErrNoMatch when nothing
// matches.
func FindHOTP(secret []byte, h Hash, digits int, counter uint64, code string, lookahead int) (int, error) {
	if err := checkCode(code, digits); err != nil {
		return 0, err
	}
	if lookahead < 0 || lookahead > MaxWindow {
		return 0, fmt.Errorf("lookahead %d out of range 0..%d", lookahead, MaxWindow)
	}
	found, best := false, 0
	for off := 0; off <= lookahead; off++ {
		if counter+uint64(off) < counter {
			break // counter overflow
		}
		c, err := HOTPCode(secret, counter+uint64(off), h, digits)
		if err != nil {
			return 0, err
		}
		if equalCode(c, code) && !found {
			found, best = true, off
		}
	}
	if !found {
		return 0, ErrNoMatch
	}
	return best, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

package seed

import (
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

func (h Hash) otpAlgorithm() otp.Algorithm {
	switch h {
	case SHA256:
		return otp.AlgorithmSHA256
	case SHA512:
		return otp.AlgorithmSHA512
	}
	return otp.AlgorithmSHA1
}

// HOTPCode computes the RFC 4226 code for secret at counter.
func HOTPCode(secret []byte, counter uint64, h Hash, digits int) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("empty secret")
	}
	var d otp.Digits
	switch digits {
	case 0, 6:
		d = otp.DigitsSix
	case 8:
		d = otp.DigitsEight
	default:
		if digits < 1 || digits > 10 {
			return "", fmt.Errorf("digits %d out of range", digits)
		}
		d = otp.Digits(digits)
	}
	return hotp.GenerateCodeCustom(EncodeBase32(secret), counter, hotp.ValidateOpts{Digits: d, Algorithm: h.otpAlgorithm()})
}

// TimeStep is the RFC 6238 counter for t with the given period.
func TimeStep(t time.Time, period int) uint64 {
	if period <= 0 {
		period = 30
	}
	u := t.Unix()
	if u < 0 {
		return 0
	}
	return uint64(u) / uint64(period)
}

// TOTPCode computes the RFC 6238 code for secret at time t.
func TOTPCode(secret []byte, t time.Time, h Hash, digits, period int) (string, error) {
	return HOTPCode(secret, TimeStep(t, period), h, digits)
}

// Code returns the token's code: TOTP at time t, or HOTP at its counter.
func (t *Token) Code(at time.Time) (string, error) {
	switch t.Kind {
	case TOTP:
		return TOTPCode(t.Secret, at, t.Hash, t.EffectiveDigits(), t.EffectivePeriod())
	case HOTP:
		return HOTPCode(t.Secret, t.Counter, t.Hash, t.EffectiveDigits())
	}
	return "", fmt.Errorf("token %s: no OATH code for kind %s", t.Serial, t.Kind)
}

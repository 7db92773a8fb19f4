package convert

import (
	"fmt"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// FindYubicoOTP looks up, in a YubiKey log, the Yubico OTP credential otp
// (as a key types it) comes from: the log is read in format (as the
// commands take it, yubikey.LogFormat: yubico, traditional, duo, pskc...)
// with o (nil: none) for Yubico OTP, and the credential picked as
// yubikey.FindCredential does (the last one with the OTP's public ID, or
// in a log without public IDs the one whose key decrypts it). Every other
// token read is wiped; the caller wipes the one returned. The OTP is not
// verified.
func FindYubicoOTP(path, format string, o *Options, otp string) (*seed.Token, error) {
	opts := Options{}
	if o != nil {
		opts = *o
	}
	opts.Kind = seed.YubicoOTP
	toks, err := ReadAll(path, yubikey.LogFormat(format, seed.YubicoOTP), &opts)
	if err != nil {
		return nil, err
	}
	found := yubikey.FindCredential(toks, otp)
	for _, t := range toks {
		if t != found {
			t.Wipe()
		}
	}
	if found == nil {
		pub := otp
		if len(otp) >= 32 {
			pub = otp[:len(otp)-32]
		}
		return nil, fmt.Errorf("no Yubico OTP credential in %s verifies public ID %s", path, strings.ToLower(pub))
	}
	return found, nil
}

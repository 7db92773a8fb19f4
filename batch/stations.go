package batch

import (
	"fmt"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/fido"
	"github.com/tokenctl/tokenctl/yubikey"
)

// UsageError is a station asked for in a way that cannot work (tokenctl
// exits 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageError says that the request, not a device, is at fault.
func (e *UsageError) UsageError() bool { return true }

// NewYubiKeyStation makes the station that YubiKeys are presented to:
// over transport "hid" (each key newly plugged into USB) or "ccid" (laid
// on the PC/SC reader named, or the only one); "" chooses PC/SC when a
// reader is named, else USB HID where this build has it. release frees
// what the station holds. A slot other than 1 or 2 is a *UsageError.
func NewYubiKeyStation(env device.Env, transport, reader string, slot yubikey.Slot) (s Station, release func(), err error) {
	if slot != 1 && slot != 2 {
		return nil, nil, &UsageError{fmt.Errorf("--slot %d: want 1 or 2", slot)}
	}
	switch transport {
	case "":
		transport = "ccid"
		if reader == "" && hid.Supported() {
			transport = "hid"
		}
	case "hid", "ccid":
	default:
		return nil, nil, &UsageError{fmt.Errorf("--transport %q: want hid or ccid", transport)}
	}
	if transport == "hid" {
		if !hid.Supported() {
			return nil, nil, &UsageError{fmt.Errorf("USB HID is not available in this build: use --transport ccid")}
		}
		return &YubiKeyHIDStation{Slot: slot, List: env.USB}, func() {}, nil
	}
	pc, name, err := env.Reader(reader)
	if err != nil {
		return nil, nil, err
	}
	return &YubiKeyCCIDStation{PCSC: pc, Reader: name, Slot: slot}, func() { pc.Release() }, nil
}

// NewToken2Station makes the station Token2 programmable tokens are laid
// on: the PC/SC reader named (or the only one), each token's display
// timeout set to display. release frees the reader.
func NewToken2Station(env device.Env, reader string, display token2.Display) (s Station, release func(), err error) {
	pc, name, err := env.Reader(reader)
	if err != nil {
		return nil, nil, err
	}
	return &Token2Station{PCSC: pc, Reader: name, Display: display}, func() { pc.Release() }, nil
}

// NewFIDOStation makes the station Token2 FIDO2 keys are laid on: the
// PC/SC reader named (or the only one); serial gives each key's printed
// serial (KeySerials), opts the button options set on every key. release
// frees the reader.
func NewFIDOStation(env device.Env, reader string, serial Serials, opts fido.Options) (s Station, release func(), err error) {
	pc, name, err := env.Reader(reader)
	if err != nil {
		return nil, nil, err
	}
	return &FIDOStation{PCSC: pc, Reader: name, Serial: serial, Options: opts}, func() { pc.Release() }, nil
}

// NewYubiKeyRecipe is the recipe of a YubiKey batch asked for by name:
// mode "yubico-otp" (also "yubico", "otp"; randomPublicID for a random
// public ID) or "hotp" (also "oath-hotp"; digits 6 or 8); accessCode locks
// each slot with its own random access code. A mode or digits that cannot
// be is a *UsageError naming its flag.
func NewYubiKeyRecipe(mode string, digits int, randomPublicID, accessCode bool) (YubiKeyRecipe, error) {
	r := YubiKeyRecipe{AccessCode: accessCode}
	switch mode {
	case "yubico-otp", "yubico", "otp":
		r.Kind, r.RandomPublicID = seed.YubicoOTP, randomPublicID
	case "hotp", "oath-hotp":
		if digits != 6 && digits != 8 {
			return r, &UsageError{fmt.Errorf("--digits %d: want 6 or 8", digits)}
		}
		r.Kind, r.Digits = seed.HOTP, digits
	default:
		return r, &UsageError{fmt.Errorf("--mode %q: want yubico-otp or hotp", mode)}
	}
	return r, nil
}

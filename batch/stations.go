package batch

import (
	"fmt"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
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
// what the station holds.
func NewYubiKeyStation(env device.Env, transport, reader string, slot yubikey.Slot) (s Station, release func(), err error) {
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

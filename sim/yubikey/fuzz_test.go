package yubikey_test

import (
	"testing"

	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// FuzzTransmit: the emulator answers any APDU with a status word and never
// panics.
func FuzzTransmit(f *testing.F) {
	f.Add(yubikey.SelectAPDU())
	f.Add([]byte{0x00, 0x01, 0x10, 0x00, 0x00})
	f.Add(yubikey.ConfigAPDU(1, make([]byte, 58)))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		k := yksim.New(yksim.Options{})
		k.Transmit(yubikey.SelectAPDU())
		if r := k.Transmit(cmd); len(r) < 2 {
			t.Fatalf("answer %x without status word", r)
		}
	})
}

// FuzzHIDReports: any sequence of feature reports leaves the emulator
// answering.
func FuzzHIDReports(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0x10, 0x6b, 0x5b, 0, 0, 0, 0x89})
	f.Fuzz(func(t *testing.T, b []byte) {
		k := yksim.New(yksim.Options{})
		d := k.HID()
		for len(b) >= 8 {
			r := append([]byte{0}, b[:8]...)
			b = b[8:]
			if _, err := d.SendFeatureReport(r); err != nil {
				t.Fatal(err)
			}
			var g [9]byte
			if _, err := d.GetFeatureReport(g[:]); err != nil {
				t.Fatal(err)
			}
		}
	})
}

package batch

import (
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
)

func TestNewYubiKeyStation(t *testing.T) {
	noPCSC := errors.New("no PC/SC here")
	env := device.Env{PCSC: func() (*nfc.Context, error) { return nil, noPCSC }}
	var ue *UsageError
	if _, _, err := NewYubiKeyStation(env, "bluetooth", "", 1); !errors.As(err, &ue) {
		t.Fatalf("unknown transport: %v", err)
	}
	// A reader named: PC/SC, whatever USB offers.
	if _, _, err := NewYubiKeyStation(env, "", "ACR122", 1); !errors.Is(err, noPCSC) {
		t.Fatalf("reader named: %v", err)
	}
	s, release, err := NewYubiKeyStation(env, "", "", 2)
	if !hid.Supported() {
		if !errors.Is(err, noPCSC) {
			t.Fatalf("no HID in this build: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if h, ok := s.(*YubiKeyHIDStation); !ok || h.Slot != 2 {
		t.Fatalf("default without a reader: %T %+v", s, s)
	}
}

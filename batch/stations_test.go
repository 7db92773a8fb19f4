package batch

import (
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2/fido"
)

func TestNewYubiKeyStation(t *testing.T) {
	noPCSC := errors.New("no PC/SC here")
	env := device.Env{PCSC: func() (*nfc.Context, error) { return nil, noPCSC }}
	var ue *UsageError
	if _, _, err := NewYubiKeyStation(env, "bluetooth", "", 1); !errors.As(err, &ue) {
		t.Fatalf("unknown transport: %v", err)
	}
	// The slot is checked before anything is opened.
	if _, _, err := NewYubiKeyStation(env, "", "ACR122", 3); !errors.As(err, &ue) || err.Error() != "--slot 3: want 1 or 2" {
		t.Fatalf("slot 3: %v", err)
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

func TestNewToken2AndFIDOStation(t *testing.T) {
	noPCSC := errors.New("no PC/SC here")
	env := device.Env{PCSC: func() (*nfc.Context, error) { return nil, noPCSC }}
	if _, _, err := NewToken2Station(env, "ACR122", 60); !errors.Is(err, noPCSC) {
		t.Fatalf("token2: %v", err)
	}
	if _, _, err := NewFIDOStation(env, "", nil, fido.Options{}); !errors.Is(err, noPCSC) {
		t.Fatalf("fido: %v", err)
	}
}

func TestNewYubiKeyRecipe(t *testing.T) {
	for _, c := range []struct {
		mode   string
		digits int
		want   YubiKeyRecipe
		err    string
	}{
		{"yubico-otp", 9, YubiKeyRecipe{Kind: seed.YubicoOTP, RandomPublicID: true, AccessCode: true}, ""},
		{"otp", 6, YubiKeyRecipe{Kind: seed.YubicoOTP, RandomPublicID: true, AccessCode: true}, ""},
		{"oath-hotp", 8, YubiKeyRecipe{Kind: seed.HOTP, Digits: 8, AccessCode: true}, ""},
		{"hotp", 7, YubiKeyRecipe{}, "--digits 7: want 6 or 8"},
		{"totp", 6, YubiKeyRecipe{}, `--mode "totp": want yubico-otp or hotp`},
	} {
		r, err := NewYubiKeyRecipe(c.mode, c.digits, true, true)
		var ue *UsageError
		switch {
		case c.err != "" && (!errors.As(err, &ue) || err.Error() != c.err):
			t.Errorf("%s %d: error %v, want usage error %q", c.mode, c.digits, err, c.err)
		case c.err == "" && (err != nil || r != c.want):
			t.Errorf("%s %d: %+v %v, want %+v", c.mode, c.digits, r, err, c.want)
		}
	}
}

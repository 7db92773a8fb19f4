package yubikey

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestVerifyOTP: yubico-c's known answer (use counter 19, session counter
// 17) verifies; a wrong private ID or a changed character does not.
func TestVerifyOTP(t *testing.T) {
	key, _ := hex.DecodeString("ecde18dbe76fbd0c33330f1c354871db")
	pid, _ := hex.DecodeString("8792ebfe26cc")
	tok := &seed.Token{Serial: "1234567", Secret: key, PrivateID: pid}
	const otp = "dteffujehknhfjbrjnlnldnhcujvddbikngjrtgh"
	v, err := VerifyOTP(otp, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.PublicID != "dteffuje" || v.UseCounter != 19 || v.SessionCounter != 17 || v.Counter() != 19<<8|17 {
		t.Errorf("verification %+v", v)
	}
	if got, want := v.String(), "OTP valid: dteffuje (YubiKey 1234567), use counter 19, session counter 17"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	tok.Serial = ""
	if v, _ := VerifyOTP(otp, tok); v.String() != "OTP valid: dteffuje, use counter 19, session counter 17" {
		t.Errorf("without a serial: %q", v)
	}
	if _, err := VerifyOTP(otp[:len(otp)-1]+"i", tok); !errors.Is(err, ErrOTPCRC) || !strings.HasPrefix(err.Error(), "OTP does not verify: ") {
		t.Errorf("changed OTP: %v", err)
	}
	tok.PrivateID = []byte{1, 2, 3, 4, 5, 6}
	if _, err := VerifyOTP(otp, tok); !errors.Is(err, ErrOTPPrivateID) {
		t.Errorf("wrong private ID: %v", err)
	}
}

func TestAccessCodeHexAndSlotError(t *testing.T) {
	b, err := AccessCodeHex.Decode("0102030405a6")
	if err != nil || hex.EncodeToString(b) != "0102030405a6" {
		t.Errorf("decode: %x %v", b, err)
	}
	for _, s := range []string{"01020304050", "0102030405a6a7", "zz0203040506"} {
		if _, err := AccessCodeHex.Decode(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
	_, err = ParseSlot("3")
	var u interface{ UsageError() bool }
	if !errors.As(err, &u) || !u.UsageError() || err.Error() != `slot "3": a YubiKey has slots 1 and 2` {
		t.Errorf("slot 3: %v", err)
	}
}

package yubikey

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestAccessCodeRedacted: an access code printed with any verb shows no
// byte of it; Hex gives it to the code that must write it out.
func TestAccessCodeRedacted(t *testing.T) {
	code, err := ParseAccessCode("a1b2c3d4e5f6")
	if err != nil {
		t.Fatal(err)
	}
	type holder struct{ Code AccessCode }
	for _, s := range []string{
		fmt.Sprint(code), fmt.Sprintf("%v %s %x %X %q %#v %+v", code, code, code, code, code, code, code),
		fmt.Sprintf("%v %+v %#v", holder{code}, holder{code}, holder{code}), fmt.Sprintf("%d", code),
	} {
		if strings.Contains(strings.ToLower(s), "a1b2") || strings.Contains(s, "161") {
			t.Errorf("access code shown: %s", s)
		}
	}
	if code.Hex() != "a1b2c3d4e5f6" {
		t.Fatalf("Hex = %s", code.Hex())
	}
	if _, err := ParseAccessCode("a1b2c3"); err == nil || strings.Contains(err.Error(), "a1b2") {
		t.Fatalf("short code: %v", err)
	}
}

func TestParseSlotAndSerial(t *testing.T) {
	if s, err := ParseSlot("2"); err != nil || s != Slot2 {
		t.Fatal(s, err)
	}
	for _, bad := range []string{"0", "3", "", "1 "} {
		if _, err := ParseSlot(bad); err == nil {
			t.Errorf("slot %q accepted", bad)
		}
	}
	if s, err := ParseSerial("4294967295"); err != nil || s.String() != "4294967295" {
		t.Fatal(s, err)
	}
	if _, err := ParseSerial("4294967296"); err == nil {
		t.Error("a serial over 32 bits accepted")
	}
}

// TestFindCredential: the last credential logged for a public ID wins; a
// log without public IDs (Duo's) is searched by decrypting.
func TestFindCredential(t *testing.T) {
	pub := []byte{0xFF, 0, 0, 0, 0, 1}
	mk := func(id []byte, key, pid byte) *seed.Token {
		return &seed.Token{Kind: seed.YubicoOTP, PublicID: id, Secret: bytes.Repeat([]byte{key}, 16), PrivateID: bytes.Repeat([]byte{pid}, 6)}
	}
	old, cur := mk(pub, 1, 2), mk(pub, 3, 4)
	otp, err := EncodeOTP(pub, cur.Secret, cur.PrivateID, 1, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := FindCredential([]*seed.Token{old, cur}, otp); got != cur {
		t.Fatal("the last line for the public ID does not win")
	}
	duo := mk(nil, 3, 4)
	if got := FindCredential([]*seed.Token{mk(nil, 9, 9), duo}, otp); got != duo {
		t.Fatal("a Duo line is not found by decrypting")
	}
	other := mk([]byte{0xFF, 0, 0, 0, 0, 2}, 3, 4)
	if FindCredential([]*seed.Token{other}, otp) != nil || FindCredential([]*seed.Token{cur}, "short") != nil {
		t.Fatal("a credential of another public ID was returned")
	}
}

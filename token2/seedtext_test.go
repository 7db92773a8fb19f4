package token2

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeSeed: base32 or hex, told apart or named; ambiguous text and
// seeds a token cannot take are refused without echoing the text.
func TestDecodeSeed(t *testing.T) {
	b, err := DecodeSeed("JBSWY3DPEHPK3PXP", "") // "Hello!\xde\xad\xbe\xef"
	if err != nil || string(b) != "Hello!\xde\xad\xbe\xef" {
		t.Fatalf("base32: %x %v", b, err)
	}
	if b, err = DecodeSeed("3132333435363738393031323334353637383930", ""); err != nil || string(b) != "12345678901234567890" {
		t.Fatalf("hex: %q %v", b, err)
	}
	both := "ABCDEF234567ABCDEF234567ABCDEF23"
	if _, err = DecodeSeed(both, ""); err == nil || !strings.Contains(err.Error(), "both hex and base32") {
		t.Fatalf("ambiguous: %v", err)
	}
	if b, err = DecodeSeed(both, "hex"); err != nil || len(b) != 16 {
		t.Fatalf("ambiguous as hex: %x %v", b, err)
	}
	var se *SettingsError
	if _, err = DecodeSeed(both, "base64"); !errors.As(err, &se) || se.Setting != "encoding" {
		t.Fatalf("base64: %v", err)
	}
	for _, bad := range []string{"JBSWY3DP" /* 5 bytes */, "not a seed!", strings.Repeat("00", 64)} {
		if _, err := DecodeSeed(bad, ""); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

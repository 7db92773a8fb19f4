package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The known-answer OTP of Yubico's yubico-c (ykparse): public ID
// dteffuje, AES key ecde18db..., private ID 8792ebfe26cc.
const (
	kaOTP  = "dteffujehknhfjbrjnlnldnhcujvddbikngjrtgh"
	kaLine = "1234567,dteffuje,8792ebfe26cc,ecde18dbe76fbd0c33330f1c354871db,000000000000,2026-12-05T12:00:00,\n"
)

// TestFindYubicoOTP: the credential is the last one in the log with the
// OTP's public ID, read in the format the commands name ("okta" is the
// Yubico format); an OTP no line has is an error naming its public ID.
func TestFindYubicoOTP(t *testing.T) {
	log := filepath.Join(t.TempDir(), "okta.csv")
	older := "7654321,dteffuje,010203040506,00112233445566778899aabbccddeeff,000000000000,2026-12-01T12:00:00,\n"
	other := "1111111,vvcccccccccb,0a0b0c0d0e0f,ffeeddccbbaa99887766554433221100,000000000000,2026-12-05T12:00:00,\n"
	if err := os.WriteFile(log, []byte(older+other+kaLine), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yubico", "okta", "Yubico"} {
		tok, err := FindYubicoOTP(log, format, nil, kaOTP)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if tok.Serial != "1234567" || len(tok.Secret) != 16 || tok.Secret[0] != 0xec {
			t.Errorf("%s: found %s (key %x...), want the last dteffuje line", format, tok.Serial, tok.Secret[:1])
		}
		tok.Wipe()
	}
	_, err := FindYubicoOTP(log, "yubico", nil, "vvccccccccccHKNHFJBRJNLNLDNHCUJVDDBIKNGJRTGH")
	if err == nil || err.Error() != "no Yubico OTP credential in "+log+" verifies public ID vvcccccccccc" {
		t.Errorf("unknown public ID: %v", err)
	}
	if _, err := FindYubicoOTP(log, "no-such-format", nil, kaOTP); err == nil {
		t.Error("unknown format read")
	}
}

// TestFindYubicoOTPBrokenLog: a log line that does not parse fails the
// lookup, naming the line and field but not the key.
func TestFindYubicoOTPBrokenLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "okta.csv")
	broken := strings.Replace(kaLine, "1234567,dteffuje", "1234568,dteffujf", 1)
	broken = strings.Replace(broken, "4871db", "4871zz", 1)
	if err := os.WriteFile(log, []byte(kaLine+broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := FindYubicoOTP(log, "yubico", nil, kaOTP)
	if err == nil || !strings.Contains(err.Error(), ":2:") || strings.Contains(err.Error(), "ecde18db") {
		t.Errorf("broken log: %v", err)
	}
}

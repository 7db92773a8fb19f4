package seed

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// rfcVectors is testdata/rfc-otp.json: RFC 4226 Appendix D and RFC 6238
// Appendix B.
type rfcVectors struct {
	HOTP struct {
		SecretHex string   `json:"secret_hex"`
		Codes     []string `json:"codes_by_counter"`
	} `json:"hotp_sha1_6digits"`
	TOTP []struct {
		Unix      int64  `json:"unix"`
		Hash      string `json:"hash"`
		SecretHex string `json:"secret_hex"`
		Digits    int    `json:"digits"`
		Period    int    `json:"period"`
		Code      string `json:"code"`
	} `json:"totp"`
}

func loadRFC(t testing.TB) rfcVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc-otp.json")
	if err != nil {
		t.Fatal(err)
	}
	var v rfcVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.HOTP.Codes) != 10 || len(v.TOTP) != 18 {
		t.Fatalf("testdata/rfc-otp.json: %d HOTP and %d TOTP vectors, want 10 and 18", len(v.HOTP.Codes), len(v.TOTP))
	}
	return v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRFC4226(t *testing.T) {
	v := loadRFC(t)
	secret := mustHex(t, v.HOTP.SecretHex)
	for i, want := range v.HOTP.Codes {
		got, err := HOTPCode(secret, uint64(i), SHA1, 6)
		if err != nil || got != want {
			t.Errorf("HOTP counter %d = %q, %v; want %q", i, got, err, want)
		}
		tok := &Token{Kind: HOTP, Secret: secret, Counter: uint64(i)}
		if got, err := tok.Code(time.Time{}); err != nil || got != want {
			t.Errorf("Token.Code counter %d = %q, %v; want %q", i, got, err, want)
		}
	}
}

func TestRFC6238(t *testing.T) {
	v := loadRFC(t)
	for _, c := range v.TOTP {
		h, err := ParseHash(c.Hash)
		if err != nil {
			t.Fatal(err)
		}
		secret := mustHex(t, c.SecretHex)
		at := time.Unix(c.Unix, 0)
		got, err := TOTPCode(secret, at, h, c.Digits, c.Period)
		if err != nil || got != c.Code {
			t.Errorf("TOTP %s at %d = %q, %v; want %q", c.Hash, c.Unix, got, err, c.Code)
		}
		tok := &Token{Kind: TOTP, Hash: h, Digits: c.Digits, Period: c.Period, Secret: secret}
		if got, err := tok.Code(at); err != nil || got != c.Code {
			t.Errorf("Token.Code %s at %d = %q, %v; want %q", c.Hash, c.Unix, got, err, c.Code)
		}
		// The drift finder finds the vector at offset 0, and 2 steps off
		// when asked 2 steps later.
		if off, err := FindTOTP(secret, h, c.Digits, c.Period, c.Code, at, 3); err != nil || off != 0 {
			t.Errorf("FindTOTP %s at %d = %d, %v; want 0", c.Hash, c.Unix, off, err)
		}
		later := at.Add(2 * time.Duration(c.Period) * time.Second)
		if off, err := FindTOTP(secret, h, c.Digits, c.Period, c.Code, later, 3); err != nil || off != -2 {
			t.Errorf("FindTOTP %s 2 steps after %d = %d, %v; want -2", c.Hash, c.Unix, off, err)
		}
	}
}

func TestCodeErrors(t *testing.T) {
	if _, err := HOTPCode(nil, 0, SHA1, 6); err == nil {
		t.Error("empty secret accepted")
	}
	for _, d := range []int{-1, 11, 100} {
		if _, err := HOTPCode(rfcSecret, 0, SHA1, d); err == nil {
			t.Errorf("digits %d accepted", d)
		}
	}
	tok := &Token{Serial: "YK1", Kind: YubicoOTP, Secret: rfcSecret}
	_, err := tok.Code(time.Now())
	if err == nil || !strings.Contains(err.Error(), "YK1") {
		t.Errorf("Yubico OTP Code: %v", err)
	}
	// 7 digits works (RFC 4226 allows 6 to 8 and more).
	if c, err := HOTPCode(rfcSecret, 0, SHA1, 7); err != nil || len(c) != 7 {
		t.Errorf("7 digits: %q, %v", c, err)
	}
}

func TestTimeStep(t *testing.T) {
	for _, c := range []struct {
		unix   int64
		period int
		want   uint64
	}{
		{0, 30, 0}, {29, 30, 0}, {30, 30, 1}, {59, 60, 0}, {60, 60, 1},
		{1111111109, 30, 37037036}, {-5, 30, 0}, {90, 0, 3},
	} {
		if got := TimeStep(time.Unix(c.unix, 0), c.period); got != c.want {
			t.Errorf("TimeStep(%d, %d) = %d, want %d", c.unix, c.period, got, c.want)
		}
	}
}

func TestTokenStringHidesSecret(t *testing.T) {
	tok := Token{Serial: "S1", Kind: TOTP, Secret: []byte("very-secret-bytes!!!")}
	for _, s := range []string{tok.String(), tok.GoString()} {
		if strings.Contains(s, "very-secret") || strings.Contains(s, EncodeHex(tok.Secret)) {
			t.Errorf("String shows the secret: %q", s)
		}
	}
}

func BenchmarkHOTPCode(b *testing.B) {
	for b.Loop() {
		if _, err := HOTPCode(rfcSecret, 12345, SHA1, 6); err != nil {
			b.Fatal(err)
		}
	}
}

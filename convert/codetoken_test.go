package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// TestTokenSpec: a secret with its parameters, or a serial in a seed file
// with only the parameters given applied; what does not apply is a usage
// error naming the flag.
func TestTokenSpec(t *testing.T) {
	given := func(flags ...string) func(string) bool {
		return func(f string) bool {
			for _, g := range flags {
				if g == f {
					return true
				}
			}
			return false
		}
	}
	dir := t.TempDir()
	seeds := filepath.Join(dir, "duo.csv")
	// RFC 4226's secret, hex, as a Duo line: serial,secret,counter.
	if err := os.WriteFile(seeds, []byte("H1,3132333435363738393031323334353637383930,0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := func() TokenSpec {
		return TokenSpec{SecretFile: "-", Stdin: strings.NewReader("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"), Encoding: "base32", Hash: "sha1", Digits: 8, Period: 30, Time: "59"}
	}
	file := func() TokenSpec {
		return TokenSpec{Seeds: seeds, From: "duo-hotp", Serial: "H1", Encoding: "base32", Hash: "sha1", Digits: 6, Period: 30}
	}
	tok, at, err := func() (*seed.Token, time.Time, error) { s := secret(); return s.Token() }()
	if err != nil || at.Unix() != 59 || tok.Kind != seed.TOTP || tok.Digits != 8 {
		t.Fatalf("secret: %v %v %+v", err, at, tok)
	}
	if code, _ := tok.Code(at); code != "94287082" {
		t.Errorf("RFC 6238 at 59 s: %s", code)
	}
	s := file()
	s.Counter = "9"
	if tok, _, err = s.Token(); err != nil || tok.Kind != seed.HOTP || tok.Counter != 9 {
		t.Fatalf("file: %v %+v", err, tok)
	}
	if code, _ := tok.Code(time.Time{}); code != "520489" {
		t.Errorf("RFC 4226 at 9: %s", code)
	}
	for _, c := range []struct {
		spec TokenSpec
		edit func(*TokenSpec)
		want string
	}{
		{secret(), func(s *TokenSpec) { s.Time = "yesterday" }, "--time "},
		{secret(), func(s *TokenSpec) { s.Seeds = seeds }, "give either --secret-file/--secret-env or --serial"},
		{secret(), func(s *TokenSpec) { s.SecretFile = "" }, "no token given"},
		{secret(), func(s *TokenSpec) { s.Counter = "1" }, "--counter (HOTP) and --time (TOTP) exclude each other"},
		{secret(), func(s *TokenSpec) { s.Counter, s.Time = "-1", "" }, `--counter "-1": not a non-negative integer`},
		{secret(), func(s *TokenSpec) { s.Kind = "yubico" }, "--kind "},
		{secret(), func(s *TokenSpec) { s.Digits = 9 }, "--digits 9"},
		{secret(), func(s *TokenSpec) { s.Encoding = "rot13" }, "--encoding: "},
		{secret(), func(s *TokenSpec) { s.Given = given("from") }, "--from applies to --seeds"},
		{secret(), func(s *TokenSpec) { s.Kind = "hotp" }, "--kind hotp: give the counter"},
		{secret(), func(s *TokenSpec) { s.Kind, s.Counter, s.Time = "totp", "1", "" }, "--kind totp and --counter exclude each other"},
		{secret(), func(s *TokenSpec) { s.Counter, s.Time, s.Given = "1", "", given("period") }, "--period applies to TOTP"},
		{secret(), func(s *TokenSpec) { s.Hash = "md5" }, "--hash: "},
		{file(), func(s *TokenSpec) { s.Seeds = "" }, "--serial and --seeds go together"},
		{file(), func(s *TokenSpec) { s.Given = given("hash") }, "--hash applies to --secret-file/--secret-env"},
		{file(), func(s *TokenSpec) { s.Time = "59" }, "--time: serial H1 is an HOTP token"},
		{file(), func(s *TokenSpec) { s.Digits, s.Given = 5, given("digits") }, "--digits 5"},
	} {
		s := c.spec
		c.edit(&s)
		tok, _, err := s.Token()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v", c.want, err)
		}
		if tok != nil {
			t.Errorf("%s: a token with the error", c.want)
		}
	}
	// A digits value a format fills in need not be valid when not given.
	s = file()
	s.Digits = 5
	if _, _, err := s.Token(); err != nil {
		t.Errorf("--digits not given but checked: %v", err)
	}
	// The secret's decoding error names its source, never the secret.
	s = secret()
	s.Encoding, s.SecretFile, s.SecretEnv = "hex", "", "TOKENCTL_TEST_SPEC"
	t.Setenv("TOKENCTL_TEST_SPEC", "XYZ")
	if _, _, err := s.Token(); err == nil || !strings.HasPrefix(err.Error(), "$TOKENCTL_TEST_SPEC: ") || strings.Contains(err.Error(), "XYZ") {
		t.Errorf("bad hex: %v", err)
	}
}

// TestTokenSpecCodeAndCheck: the code of RFC 6238's token at 59 s, and a
// check of it 90 s later (three steps slow); the window's bounds and a
// malformed code are usage errors; no match is a report, not an error.
func TestTokenSpecCodeAndCheck(t *testing.T) {
	spec := func(at string) *TokenSpec {
		return &TokenSpec{SecretEnv: "TOKENCTL_TEST_RFC", Encoding: "base32", Hash: "sha1", Digits: 8, Period: 30, Time: at}
	}
	t.Setenv("TOKENCTL_TEST_RFC", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	r, err := spec("59").Code()
	if err != nil || r.Code != "94287082" || *r.Step != 1 {
		t.Fatalf("code: %v %+v", err, r)
	}
	c, err := spec("149").Check("9428 7082", nil)
	if err != nil || !c.Match || *c.OffsetSteps != -3 || c.Window != 10 {
		t.Fatalf("check: %v %+v", err, c)
	}
	two := 2
	if c, err = spec("149").Check("94287082", &two); err != nil || c.Match || c.Window != 2 {
		t.Fatalf("window 2: %v %+v", err, c)
	}
	big, neg := 10001, -1
	for _, x := range []struct {
		code   string
		window *int
		want   string
	}{
		{" - ", nil, "--code is required"},
		{"94287082", &big, "--window 10001: want 0..10000"},
		{"94287082", &neg, "--window -1: want 0..10000"},
		{"9428708", nil, "--code: "},
	} {
		var ue *UsageError
		if _, err := spec("149").Check(x.code, x.window); !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), x.want) {
			t.Errorf("%s: got %v", x.want, err)
		}
	}
}

package convert

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// problems runs Validate and returns every problem as text.
func validateProblems(t *testing.T, in []string, from, to string, o *Options) ([]string, error) {
	t.Helper()
	var got []string
	if o == nil {
		o = &Options{}
	}
	o.OnProblem = func(fe *seed.FieldError) { got = append(got, fe.Error()) }
	_, err := Validate(in, from, to, o)
	return got, err
}

// Entra allows up to five OATH hardware tokens or authenticator apps per
// user (Microsoft Learn, "Authentication methods in Microsoft Entra ID -
// OATH tokens"): two tokens for one user are fine, a sixth is refused;
// serials stay unique.
func TestEntraSeveralTokensPerUser(t *testing.T) {
	dir := t.TempDir()
	b32 := seed.EncodeBase32([]byte(rfcSecret))
	var b strings.Builder
	b.WriteString("upn,serial number,secret key,time interval,manufacturer,model\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "alice@x,%d,%s,30,T,M\n", 1000+i, b32)
	}
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(b.String()), 0o600)
	got, err := validateProblems(t, []string{in}, "entra", "entra", nil)
	if !errors.Is(err, ErrInvalid) || len(got) != 1 || !strings.HasPrefix(got[0], in+":7: upn: \"alice@x\" has 6 tokens") {
		t.Fatalf("%v %q", err, got)
	}
	// Five (two here) pass.
	two := strings.Join(strings.SplitAfter(b.String(), "\n")[:3], "")
	os.WriteFile(in, []byte(two), 0o600)
	if got, err := validateProblems(t, []string{in}, "entra", "entra", nil); err != nil || len(got) != 0 {
		t.Fatalf("two tokens for one user: %v %q", err, got)
	}
	out := filepath.Join(dir, "out.csv")
	if _, err := Run([]string{in}, "entra", "entra-graph", out, nil); err != nil {
		t.Fatal(err)
	}
	// The same serial twice is still refused.
	os.WriteFile(in, []byte(two+"bob@x,1001,"+b32+",30,T,M\n"), 0o600)
	if got, _ := validateProblems(t, []string{in}, "entra", "entra", nil); len(got) != 1 || !strings.Contains(got[0], `duplicate "1001"`) {
		t.Fatalf("%q", got)
	}
}

// Microsoft's own example file validates and converts (its secret's
// trailing bits dropped with a warning, as Entra drops them).
func TestMicrosoftEntraExample(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ms.csv")
	os.WriteFile(in, []byte("upn,serial number,secret key,time interval,manufacturer,model\nHelga@contoso.com,1234567,2234567abcdef2234567abcdef,60,Contoso,HardwareKey\n"), 0o600)
	got, err := validateProblems(t, []string{in}, "", "entra", nil)
	if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], "(warning)") {
		t.Fatalf("%v %q", err, got)
	}
	out := filepath.Join(dir, "duo.csv")
	if _, err := Run([]string{in}, "", "duo-totp", out, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "1234567,D6B7CEFBE0088642EB5BE77DF0044321,60\n" {
		t.Fatalf("%q", b)
	}
}

const driftPSKC = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
 <KeyPackage>
  <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>42</SerialNo><Model>T1</Model></DeviceInfo>
  <Key Id="42" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
   <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
   <Data>
    <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
    <TimeInterval><PlainValue>30</PlainValue></TimeInterval>
    <TimeDrift><PlainValue>-3</PlainValue></TimeDrift>
   </Data>
  </Key>
 </KeyPackage>
</KeyContainer>
`

// A PSKC TimeDrift is never dropped without a word: kept in PSKC, refused
// for Duo (which cannot resync TOTP drift), a warning for the others.
func TestTimeDriftNotDroppedSilently(t *testing.T) {
	in := filepath.Join(t.TempDir(), "d.pskc")
	os.WriteFile(in, []byte(driftPSKC), 0o600)
	for to, want := range map[string]string{
		"pskc":        "",
		"duo-totp":    "time drift: -3 steps: Duo (TOTP paste import) has no drift setting and cannot resync",
		"duo":         "time drift: -3 steps: Duo (paste import, any OATH type) has no drift setting",
		"entra":       "time drift: -3 steps: Microsoft Entra ID (CSV upload) has no drift setting; the token is imported without it",
		"privacyidea": "time drift: -3 steps: privacyIDEA (OATH CSV import) has no drift setting",
		"linotp":      "time drift: -3 steps: LinOTP (OATH CSV import) has no drift setting",
		"otpauth":     "time drift: -3 steps",
	} {
		got, err := validateProblems(t, []string{in}, "pskc", to, nil)
		switch {
		case want == "" && len(got) != 0:
			t.Errorf("%s: %q", to, got)
		case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
			t.Errorf("%s: %q", to, got)
		case strings.HasPrefix(to, "duo") && !errors.Is(err, ErrInvalid), !strings.HasPrefix(to, "duo") && err != nil:
			t.Errorf("%s: %v", to, err)
		}
	}
}

// No token whose text is not UTF-8 (an input read in the wrong encoding,
// a caller's bytes) reaches a writer: mojibake is refused, not written.
func TestNonUTF8TextRefused(t *testing.T) {
	for _, tok := range []*seed.Token{
		{Serial: "S\xe91", Kind: seed.TOTP, Secret: []byte(rfcSecret), Manufacturer: "M", Model: "X"},
		{Serial: "S1", User: "Jos\xe9", Kind: seed.TOTP, Secret: []byte(rfcSecret), Manufacturer: "M", Model: "X"},
		{Serial: "S1", Kind: seed.TOTP, Secret: []byte(rfcSecret), Manufacturer: "M\xfcller", Model: "X"},
	} {
		for _, to := range []string{"entra", "pskc", "privacyidea"} {
			probs, _ := Check(to, tok)
			if !hasError(probs) {
				t.Errorf("%s: %q accepted", to, tok.Serial+tok.User+tok.Manufacturer)
			}
		}
	}
	// Through the pipeline too (tokens from a caller are not checked by
	// a reader).
	bad := &seed.Token{Serial: "S1", User: "Jos\xe9", Kind: seed.TOTP, Secret: []byte(rfcSecret), Manufacturer: "M", Model: "X"}
	if _, err := WriteFile(filepath.Join(t.TempDir(), "o.csv"), "entra", []*seed.Token{bad}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("WriteFile: %v", err)
	}
	ok := &seed.Token{Serial: "Sé1", User: "José", Kind: seed.TOTP, Secret: []byte(rfcSecret), Manufacturer: "Müller", Model: "X"}
	if probs, _ := Check("entra", ok); hasError(probs) {
		t.Errorf("UTF-8 refused: %v", probs)
	}
}

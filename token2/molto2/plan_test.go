package molto2

import (
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestPlan: tokens fill consecutive profiles with their own settings,
// titled by the given title or each serial; one bad token refuses all.
func TestPlan(t *testing.T) {
	sec := []byte("0123456789abcdefghij")
	toks := []*seed.Token{
		{Serial: "A1", Kind: seed.TOTP, Hash: seed.SHA256, Digits: 8, Period: 60, Secret: sec},
		{Serial: "B2", Kind: seed.TOTP, Secret: sec}, // 6 digits, 30 s by default
	}
	b, err := Plan(toks, 10, "", false, 60)
	if err != nil {
		t.Fatal(err)
	}
	want := []Burn{
		{Profile: 10, Secret: sec, Title: "A1", Config: Config{Display: 60, Hash: seed.SHA256, Digits: 8, Period: 60}},
		{Profile: 11, Secret: sec, Title: "B2", Config: Config{Display: 60, Hash: seed.SHA1, Digits: 6, Period: 30}},
	}
	for i := range want {
		if b[i].Profile != want[i].Profile || b[i].Title != want[i].Title || b[i].Config != want[i].Config || string(b[i].Secret) != string(sec) || b[i].Replace {
			t.Errorf("burn %d: %+v, want %+v", i, b[i], want[i])
		}
	}
	if b, err = Plan(toks[1:], 0, "GitHub", true, 30); err != nil || b[0].Title != "GitHub" || !b[0].Replace {
		t.Fatalf("titled: %+v %v", b, err)
	}
	bad := []*seed.Token{toks[0], {Kind: seed.TOTP, Digits: 5, Secret: sec}}
	if _, err := Plan(bad, 0, "", false, 30); err == nil || !strings.Contains(err.Error(), "profile 1") {
		t.Fatalf("digits 5: %v", err)
	}
	if _, err := Plan(toks, MaxProfiles-1, "", false, 30); err == nil {
		t.Fatal("past the last profile: accepted")
	}
	if got := ProfileSerial("1234567", 3); got != "1234567-03" {
		t.Fatalf("ProfileSerial: %s", got)
	}
}

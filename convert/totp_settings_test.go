package convert

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestTOTPSettings: every readable format is classified (TOTPSettings, or
// the list below of formats recording neither), and for the writable ones
// a SHA-256 (or, where only SHA-1 is taken, SHA-1) 60 s token written and
// read back keeps its hash and step exactly when TOTPSettings says so.
func TestTOTPSettings(t *testing.T) {
	neither := map[string]bool{"hex": true, "serial-secret": true, "token2-ps": true, "duo-hotp": true, "duo-yubikey": true, "yubico": true, "yubico-traditional": true}
	dir := t.TempDir()
	for _, f := range Formats() {
		if f.Open == nil {
			continue
		}
		listed := f.TOTPSettings
		if listed == neither[f.Name] {
			t.Errorf("%s: set TOTPSettings, or add it to this test's list of formats recording neither", f.Name)
			continue
		}
		if f.Create == nil || !listed && f.Name != "hex" {
			continue
		}
		roundTrip := func(h seed.Hash, n int) (*seed.Token, bool) {
			tok := &seed.Token{Serial: "86596120001", Kind: seed.TOTP, Hash: h, Digits: 6, Period: 60, Manufacturer: "Token2", Model: "C302-i",
				Secret: bytes.Repeat([]byte{0x5A}, n)}
			if probs, _ := Check(f.Name, tok); len(probs) > 0 {
				for _, p := range probs {
					if !p.Warning {
						return nil, false
					}
				}
			}
			p := filepath.Join(dir, f.Name+h.String())
			if _, err := WriteFile(p, f.Name, []*seed.Token{tok}, &Options{}); err != nil {
				t.Fatalf("%s: write: %v", f.Name, err)
			}
			back, err := ReadAll(p, f.Name, &Options{Kind: seed.TOTP})
			if err != nil || len(back) != 1 {
				t.Fatalf("%s: read back: %v", f.Name, err)
			}
			return back[0], true
		}
		got256, ok256 := roundTrip(seed.SHA256, 32)
		got1, ok1 := roundTrip(seed.SHA1, 20)
		if !ok1 {
			t.Errorf("%s refuses a SHA-1/60 s TOTP token", f.Name)
			continue
		}
		hash := ok256 && got256.Hash == seed.SHA256 || !ok256 // SHA-256 kept, or SHA-1 only
		period := got1.Period == 60
		if hash != listed || period != listed {
			t.Errorf("%s: round trip keeps hash %v, period %v; TOTPSettings says %v", f.Name, hash, period, listed)
		}
	}
}

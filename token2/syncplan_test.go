package token2

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func usageOf(err error) bool {
	var u interface{ UsageError() bool }
	return errors.As(err, &u) && u.UsageError()
}

// TestSyncPlanCheck: what a sync request lacks is refused as a usage
// error before any token is reached; a seed file's missing settings only
// once its format is known.
func TestSyncPlanCheck(t *testing.T) {
	for _, c := range []struct {
		plan SyncPlan
		want string // "" accepted
	}{
		{SyncPlan{}, "give --hash and --period"},
		{SyncPlan{HashGiven: true}, "give --hash and --period"},
		{SyncPlan{Params: Params{Period: 30}}, "give --hash and --period"},
		{SyncPlan{HashGiven: true, Params: Params{Period: 30}}, ""},
		{SyncPlan{HashGiven: true, Params: Params{Period: 30}, SecretGiven: true}, "go with --reburn"},
		{SyncPlan{HashGiven: true, Params: Params{Period: 30}, Reburn: true}, "--reburn needs the seed"},
		{SyncPlan{HashGiven: true, Params: Params{Period: 30}, Reburn: true, SecretGiven: true}, ""},
		{SyncPlan{Seeds: "f"}, ""}, // format not known yet
		{SyncPlan{Seeds: "f", SeedsFormat: "entra", Records: true}, ""},
		{SyncPlan{Seeds: "f", SeedsFormat: "hex"}, "a hex file, which does not record a token's hash and time step: give --hash and --period (nothing was sent"},
		{SyncPlan{Seeds: "f", SeedsFormat: "hex", HashGiven: true}, "give --period ("},
		{SyncPlan{Seeds: "f", SeedsFormat: "hex", Params: Params{Period: 60}}, "give --hash ("},
		{SyncPlan{Seeds: "f", SeedsFormat: "hex", HashGiven: true, Params: Params{Period: 60}, Reburn: true}, ""},
	} {
		err := c.plan.Check()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.plan, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !usageOf(err) {
			t.Errorf("%+v: %v, want usage error %q", c.plan, err, c.want)
		}
	}
}

// TestSyncPlanForToken: settings and re-burn seed for a token, from the
// flags or from the seed file's record, with every refusal saying that
// nothing was written.
func TestSyncPlanForToken(t *testing.T) {
	p1, _ := Lookup("86596120077") // unrestricted
	secret := []byte("0123456789abcdefghij")
	rec := func(h seed.Hash, period int) func(string) (*seed.Token, error) {
		return func(serial string) (*seed.Token, error) {
			if serial != "86596120077" {
				return nil, errors.New("asked for " + serial)
			}
			return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: h, Period: period, Secret: append([]byte(nil), secret...)}, nil
		}
	}
	info := &Info{Serial: "86596120077", Model: p1, Known: true}
	file := SyncPlan{Seeds: "s.csv", SeedsFormat: "duo-totp", Records: true}

	p, s, err := file.ForToken(info, rec(seed.SHA256, 60))
	if err != nil || p.Hash != seed.SHA256 || p.Period != 60 || s != nil {
		t.Fatalf("from file: %+v %x %v", p, s, err)
	}
	reburn := file
	reburn.Reburn = true
	if p, s, err = reburn.ForToken(info, rec(seed.SHA1, 30)); err != nil || !bytes.Equal(s, secret) || p.Period != 30 {
		t.Fatalf("reburn from file: %+v %x %v", p, s, err)
	}
	// a file recording no settings: the flags' are kept
	flags := SyncPlan{Seeds: "s.txt", SeedsFormat: "token2-ps", HashGiven: true, Params: Params{Hash: seed.SHA256, Period: 60}}
	if p, _, err = flags.ForToken(info, rec(seed.SHA1, 30)); err != nil || p.Hash != seed.SHA256 || p.Period != 60 {
		t.Fatalf("flags: %+v %v", p, err)
	}
	// a given seed wins over the file's
	given := SyncPlan{Seeds: "s.csv", SeedsFormat: "duo-totp", Records: true, Reburn: true, SecretGiven: true, Secret: []byte("given-seed-of-20-byt")}
	if _, s, err = given.ForToken(info, rec(seed.SHA1, 30)); err != nil || string(s) != "given-seed-of-20-byt" {
		t.Fatalf("given seed: %q %v", s, err)
	}

	hashGiven := file
	hashGiven.HashGiven, hashGiven.Params = true, Params{Hash: seed.SHA1, Period: 30}
	for _, c := range []struct {
		plan SyncPlan
		find func(string) (*seed.Token, error)
		want string
	}{
		{hashGiven, rec(seed.SHA256, 30), "--hash sha1 but s.csv lists serial 86596120077 as sha256; nothing was written"},
		{hashGiven, rec(seed.SHA1, 60), "--period 30 but s.csv lists serial 86596120077 with 60 s; nothing was written"},
		{file, rec(seed.SHA512, 30), "as sha512, which Token2 tokens cannot do (SHA-1 or SHA-256); nothing was written"},
		{file, rec(seed.SHA1, 45), "with a 45 s step, which Token2 tokens cannot do (30 or 60 s); nothing was written"},
		{file, func(string) (*seed.Token, error) {
			return &seed.Token{Kind: seed.HOTP, Secret: secret}, nil
		}, "serial 86596120077 is a hotp token, not TOTP; nothing was written"},
	} {
		if _, _, err := c.plan.ForToken(info, c.find); err == nil || !strings.Contains(err.Error(), c.want) || usageOf(err) {
			t.Errorf("%v, want data error %q", err, c.want)
		}
	}

	// a restricted model without --reburn: refused before the file is read
	p2, _ := Lookup("86596220077")
	if !p2.Restricted {
		t.Fatalf("%s is not restricted", p2.Name)
	}
	r := &Info{Serial: "86596220077", Model: p2, Known: true}
	_, _, err = file.ForToken(r, func(string) (*seed.Token, error) { t.Fatal("file read"); return nil, nil })
	if err == nil || !strings.Contains(err.Error(), "restricted model: a time sync erases its seed, so nothing was written") || usageOf(err) {
		t.Fatalf("restricted: %v", err)
	}
	// the file's error, saying that nothing was written
	_, _, err = file.ForToken(info, func(string) (*seed.Token, error) { return nil, errors.New("s.csv lists no 86596120077") })
	if err == nil || err.Error() != "s.csv lists no 86596120077; nothing was written" {
		t.Fatalf("find error: %v", err)
	}
	// re-burn with a record that has no seed
	_, _, err = reburn.ForToken(info, func(string) (*seed.Token, error) { return &seed.Token{Kind: seed.TOTP, Period: 30}, nil })
	if err == nil || !strings.Contains(err.Error(), "--reburn: no seed for serial 86596120077") || !usageOf(err) {
		t.Fatalf("no seed: %v", err)
	}
}

// TestCredential: a burn's credential is TOTP-6 with the burn's hash and
// step; credentials a token cannot hold are refused.
func TestCredential(t *testing.T) {
	sec := []byte("0123456789abcdefghij")
	tok := Credential("86596120077", "OTPC-P1-i", Params{Hash: seed.SHA256, Period: 60}, sec)
	if tok.Kind != seed.TOTP || tok.Digits != 6 || tok.Hash != seed.SHA256 || tok.Period != 60 || tok.Manufacturer != "Token2" || tok.Model != "OTPC-P1-i" || CheckCredential(tok) != nil {
		t.Fatalf("%+v", tok)
	}
	if err := CheckCredential(&seed.Token{Kind: seed.HOTP, Secret: sec}); err == nil || !strings.Contains(err.Error(), "holds TOTP, not hotp") {
		t.Fatalf("HOTP: %v", err)
	}
	if err := CheckCredential(&seed.Token{Kind: seed.TOTP, Secret: sec[:9]}); err == nil {
		t.Fatal("9-byte seed accepted")
	}
}

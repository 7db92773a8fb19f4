package fido

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestProgramCredential: Program writes the credential's seed and digits
// and the options; credentials the button cannot hold are refused with
// nothing sent; an options failure says the key holds the new seed.
func TestProgramCredential(t *testing.T) {
	dev := newApplet(t)
	s := NewSession(dev)
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdefghij")
	tok := Credential("T2F2-0001", 8, secret)
	if tok.Kind != seed.HOTP || tok.Hash != seed.SHA1 || tok.Counter != 0 || tok.Model != "FIDO2" {
		t.Fatalf("credential %+v", tok)
	}
	if err := s.Program(tok, Options{LongPress: true}); err != nil {
		t.Fatal(err)
	}
	if dev.digits != 8 || !bytes.Equal(dev.seed, secret) || len(dev.opts) == 0 {
		t.Fatalf("key holds %d digits, seed %q, options %v", dev.digits, dev.seed, dev.opts)
	}
	n := len(dev.cmds)
	for _, bad := range []*seed.Token{
		Credential("K", 7, secret),
		Credential("K", 6, make([]byte, MaxSeed+1)),
		Credential("K", 6, nil),
		{Kind: seed.TOTP, Hash: seed.SHA1, Secret: secret},
		{Kind: seed.HOTP, Hash: seed.SHA256, Secret: secret},
		{Kind: seed.HOTP, Hash: seed.SHA1, Counter: 5, Secret: secret},
	} {
		if err := s.Program(bad, Options{}); err == nil || !strings.Contains(err.Error(), "FIDO2 key's button") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if len(dev.cmds) != n {
		t.Fatalf("%d commands sent for refused credentials", len(dev.cmds)-n)
	}
	// an applet that refuses the options after taking the seed
	opts := &refuseOptions{dev}
	if err := NewSession(opts).Program(Credential("T2F2-0002", 6, secret), Options{NoEnter: true}); err == nil ||
		!strings.Contains(err.Error(), "key T2F2-0002 holds its new seed, but its options were not all set") {
		t.Fatalf("options refused: %v", err)
	}
}

type refuseOptions struct{ *applet }

func (r *refuseOptions) Transmit(cmd []byte) ([]byte, error) {
	if cmd[1] == 0xC5 && cmd[2] == 0x02 {
		return []byte{0x6A, 0x80}, nil
	}
	return r.applet.Transmit(cmd)
}

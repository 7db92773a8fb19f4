package fido

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
)

// applet is the OTP applet as the reference describes it, for the tests:
// its own P-256 key, the sealed button HOTP opened with it, the options,
// and every command it received.
type applet struct {
	priv     *ecdh.PrivateKey
	selected bool
	digits   int
	seed     []byte
	opts     map[byte]byte
	cmds     [][]byte
}

func newApplet(t *testing.T) *applet {
	k, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return &applet{priv: k, opts: map[byte]byte{}}
}

func (a *applet) Transmit(cmd []byte) ([]byte, error) {
	a.cmds = append(a.cmds, append([]byte(nil), cmd...))
	sw := func(s uint16, data ...byte) []byte { return append(data, byte(s>>8), byte(s)) }
	if Forbidden(cmd) {
		panic("the bricking command reached the key")
	}
	switch {
	case cmd[1] == 0xA4:
		if !bytes.Equal(cmd[5:], AID) {
			return sw(0x6A82), nil
		}
		a.selected = true
		return sw(0x9000), nil
	case !a.selected:
		return sw(0x6D00), nil
	case cmd[1] == 0xC5 && cmd[2] == 0x01:
		return sw(0x9000, a.priv.PublicKey().Bytes()[1:]...), nil
	case cmd[1] == 0xC5 && cmd[2] == 0x00:
		plain, err := Open(a.priv, cmd[5:5+int(cmd[4])], IVButton)
		if err != nil || len(plain) < 2 || int(plain[1]) != len(plain)-2 {
			return sw(0x6A80), nil
		}
		a.digits, a.seed = int(plain[0]), plain[2:]
		return sw(0x9000), nil
	case cmd[1] == 0xC5 && cmd[2] == 0x02:
		a.opts[cmd[3]] = cmd[5]
		return sw(0x9000), nil
	}
	return sw(0x6D00), nil
}

// fixed is a random source that repeats b.
type fixed struct{ b []byte }

func (f fixed) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.b[i%len(f.b)]
	}
	return len(p), nil
}

// TestSealKnownEphemeral: with the ephemeral key fixed through the random
// source, Seal is deterministic, its first 64 bytes are that key's public
// point, and the device's private key opens exactly the plaintext; another
// IV does not open it.
func TestSealKnownEphemeral(t *testing.T) {
	dev := newApplet(t)
	scalar := bytes.Repeat([]byte{0x07}, 32)
	plain := append([]byte{8, 20}, []byte("12345678901234567890")...)
	b1, err := Seal(fixed{scalar}, dev.priv.PublicKey(), plain, IVButton)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := Seal(fixed{scalar}, dev.priv.PublicKey(), plain, IVButton)
	eph, _ := ecdh.P256().NewPrivateKey(scalar)
	if !bytes.Equal(b1, b2) || !bytes.Equal(b1[:64], eph.PublicKey().Bytes()[1:]) || len(b1) != 64+32 {
		t.Fatalf("blob % X", b1)
	}
	got, err := Open(dev.priv, b1, IVButton)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("opened % X, %v", got, err)
	}
	if got, err := Open(dev.priv, b1, IVStored); err == nil && bytes.Equal(got, plain) {
		t.Fatal("opened under the other IV")
	}
	if hex.EncodeToString(IVStored) != "9dd8918e34f3ccab08cb7518f71938f1" {
		t.Fatal("stored-entry IV")
	}
}

// TestButtonHOTP: a 20-byte seed sealed into the (emulated) key gives it
// exactly the seed and digits, and the code it would type at counter 0 is
// the Duo line's (seed, counter 0).
func TestButtonHOTP(t *testing.T) {
	dev := newApplet(t)
	s := NewSession(dev)
	secret := []byte("0123456789abcdefghij")
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetButtonHOTP(8, secret); err != nil {
		t.Fatal(err)
	}
	if dev.digits != 8 || !bytes.Equal(dev.seed, secret) {
		t.Fatalf("key holds %d digits, seed % X", dev.digits, dev.seed)
	}
	want, _ := seed.HOTPCode(secret, 0, seed.SHA1, 8)
	got, _ := seed.HOTPCode(dev.seed, 0, seed.SHA1, dev.digits)
	if got != want {
		t.Fatalf("code %s, want %s", got, want)
	}
	for _, bad := range [][]byte{nil, make([]byte, 65)} {
		if err := s.SetButtonHOTP(6, bad); err == nil {
			t.Errorf("a %d-byte seed accepted", len(bad))
		}
	}
	if err := s.SetButtonHOTP(7, secret); err == nil {
		t.Error("7 digits accepted")
	}
	if err := s.DeleteButtonHOTP(); err != nil || dev.digits != 0 || len(dev.seed) != 0 {
		t.Fatalf("delete: %v", err)
	}
}

// recorder keeps what reached the transport.
type recorder struct{ cmds [][]byte }

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	r.cmds = append(r.cmds, cmd)
	return []byte{0x90, 0x00}, nil
}

// TestBrickingMaskNeverSent: whatever a caller does, 80 C5 02 01 with mask
// 07 never reaches the transport: every option combination the API can
// ask for, and the command itself (in any class, with any mask having all
// three interface bits, or with no mask) handed to the session's
// transmitter, the Guard and the HID framing.
func TestBrickingMaskNeverSent(t *testing.T) {
	rec := &recorder{}
	s := NewSession(rec)
	for i := 0; i < 8; i++ {
		if err := s.SetOptions(Options{NoEnter: i&1 != 0, LongPress: i&2 != 0, Keypad: i&4 != 0}); err != nil {
			t.Fatal(err)
		}
	}
	hid := NewHIDTransmitter(&fakeHID{t: t, dev: rec})
	for _, cmd := range [][]byte{
		{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07}, {0x84, 0xC5, 0x02, 0x01, 0x01, 0x07}, {0x00, 0xC5, 0x02, 0x01, 0x01, 0xFF},
		{0x80, 0xC5, 0x02, 0x01, 0x01, 0x0F}, {0x80, 0xC5, 0x02, 0x01}, {0x80, 0xC5, 0x02, 0x01, 0x00},
	} {
		for name, tr := range map[string]apdu.Transmitter{"session": s.t, "guard": Guard{rec}, "hid": hid} {
			if _, err := tr.Transmit(cmd); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s: % X: %v", name, cmd, err)
			}
		}
	}
	for _, c := range rec.cmds {
		if Forbidden(c) || (len(c) >= 4 && c[1] == 0xC5 && c[2] == 0x02 && c[3] == 0x01) {
			t.Fatalf("% X reached the transport", c)
		}
	}
	if len(rec.cmds) != 24 {
		t.Fatalf("%d option commands sent, want 24", len(rec.cmds))
	}
	// Allowed: the other interface masks are not this package's to send,
	// but the guard does not stop them.
	if !Forbidden([]byte{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07}) || Forbidden([]byte{0x80, 0xC5, 0x02, 0x01, 0x01, 0x03}) {
		t.Fatal("Forbidden")
	}
}

// TestFingerprint: the P-256 generator's fingerprint, computed apart
// (SHA-256 of 04‖X‖Y).
func TestFingerprint(t *testing.T) {
	one := make([]byte, 32)
	one[31] = 1
	k, err := ecdh.P256().NewPrivateKey(one)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Fingerprint(k.PublicKey()), "698bea63dc44a344663ff1429aea10842df27b6b991ef25866b2c6c02cdcc5be"; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}

package t2fido_test

import (
	"bytes"
	"crypto/ecdh"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/token2/fido"
)

var secret20 = []byte("12345678901234567890")

// direct hands APDUs to k in process.
func direct(k *t2fido.Key) apdu.Transmitter { return k.Transmitter() }

// fixed is a random source that repeats b.
type fixed struct{ b []byte }

func (f fixed) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.b[i%len(f.b)]
	}
	return len(p), nil
}

func mustKey(t testing.TB, b byte) *ecdh.PrivateKey {
	k, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func unhex(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Known answers computed independently with Python's cryptography 48
// (ec.derive_private_key, ECDH, SHA-256, AES-CBC with PKCS7): the key's
// scalar is 32×42, the ephemeral scalar 32×07.
const (
	katPub = "3ad3861a95621392516bb593ef05583ed2e5866f5cb6260a3017237fd89b90af" +
		"d0961c7e37075a6791a39c61f56295b02b6d26567b615e60aa41ee1c8e83388d"
	katEph = "1e18532fd4754c02f3041d9c75ceb33b83ffd81ac7ce4fe882ccb1c98bc5896e" +
		"a46c311c4e2ff40dd96a3653e6e45445d32dfe486eced75c7a90c6a18881c0a3"
	// digits 8, 20, "12345678901234567890" under the button IV (16×00).
	katButton8 = katEph + "096caa9704848264a80a32019195c8bde763756fadfc4a3625fa15dce4fd0833"
	// digits 6, 20, the same seed under the stored-entry IV.
	katStored6 = katEph + "17fb037b4fae33b313d22bcc2da3c8137b8df32ff719d9ab6c929fb8508f1dc0"
	// 00 00 (delete) under the button IV.
	katDelete = katEph + "711d14314a404876a04026a010959281"
)

// TestSealKnownAnswer: with the key's and the ephemeral scalars fixed, the
// session sends exactly the blob an independent implementation computes,
// and the emulator opens it to exactly the seed and digits; fido.Seal
// gives the same bytes under the stored-entry IV.
func TestSealKnownAnswer(t *testing.T) {
	k := t2fido.New(t2fido.Options{Key: mustKey(t, 0x42)})
	if got := hex.EncodeToString(k.PublicKey().Bytes()[1:]); got != katPub {
		t.Fatalf("public key %s", got)
	}
	s := fido.NewSession(direct(k))
	s.Rand = fixed{bytes.Repeat([]byte{0x07}, 32)}
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetButtonHOTP(8, secret20); err != nil {
		t.Fatal(err)
	}
	log := k.Log()
	want := append([]byte{0x80, 0xC5, 0x00, 0x00, 0x60}, unhex(t, katButton8)...)
	if last := log[len(log)-1]; !bytes.Equal(last, want) {
		t.Fatalf("sent % X\nwant % X", last, want)
	}
	if st := k.State(); st.Digits != 8 || !bytes.Equal(st.Seed, secret20) || st.ButtonWrites != 1 {
		t.Fatalf("key holds %d digits, %d-byte seed, %d writes", st.Digits, len(st.Seed), st.ButtonWrites)
	}
	blob, err := fido.Seal(fixed{bytes.Repeat([]byte{0x07}, 32)}, k.PublicKey(), append([]byte{6, 20}, secret20...), fido.IVStored)
	if err != nil || hex.EncodeToString(blob) != katStored6 {
		t.Fatalf("stored-entry seal %x, %v", blob, err)
	}
	if err := s.DeleteButtonHOTP(); err != nil {
		t.Fatal(err)
	}
	log = k.Log()
	if want := append([]byte{0x80, 0xC5, 0x00, 0x00, 0x50}, unhex(t, katDelete)...); !bytes.Equal(log[len(log)-1], want) {
		t.Fatalf("delete sent % X", log[len(log)-1])
	}
	if st := k.State(); st.Seed != nil || st.Digits != 0 {
		t.Fatal("delete left the button HOTP")
	}
}

// TestButtonCodes: the code the key types is seed.HOTPCode's at each
// counter (and the RFC 4226 vector for the RFC's seed), with or without
// Enter, on a long press only when asked.
func TestButtonCodes(t *testing.T) {
	k := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed([]byte("codes"))})
	if _, ok := k.Code(0); ok {
		t.Fatal("a key without button HOTP has a code")
	}
	if _, ok := k.Press(false); ok {
		t.Fatal("a key without button HOTP typed")
	}
	s := fido.NewSession(direct(k))
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetButtonHOTP(6, secret20); err != nil {
		t.Fatal(err)
	}
	// RFC 4226 appendix D: counters 0 and 1.
	if c, _ := k.Code(0); c != "755224" {
		t.Fatalf("code 0 %q", c)
	}
	if c, ok := k.Press(false); !ok || c != "755224\n" {
		t.Fatalf("press 0 %q", c)
	}
	if err := s.SetOptions(fido.Options{NoEnter: true, LongPress: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Press(false); ok {
		t.Fatal("short press typed on a long-press key")
	}
	if c, ok := k.Press(true); !ok || c != "287082" {
		t.Fatalf("press 1 %q", c)
	}
	if err := s.SetButtonHOTP(8, secret20); err != nil {
		t.Fatal(err)
	}
	st := k.State()
	want, _ := seed.HOTPCode(secret20, 0, seed.SHA1, 8)
	if c, _ := k.Code(0); c != want || st.Counter != 0 || st.Options != (fido.Options{NoEnter: true, LongPress: true}) {
		t.Fatalf("code %q want %q, state %+v", c, want, st)
	}
}

// seal makes the blob of plain for k (random ephemeral key).
func seal(t *testing.T, k *t2fido.Key, plain, iv []byte) []byte {
	b, err := fido.Seal(fixed{bytes.Repeat([]byte{0x09}, 32)}, k.PublicKey(), plain, iv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func button(blob []byte) []byte {
	return append([]byte{0x80, 0xC5, 0x00, 0x00, byte(len(blob))}, blob...)
}

func status(r []byte) uint16 {
	if len(r) < 2 {
		return 0
	}
	return uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
}

// TestRefusals: malformed commands and blobs get the reference's status
// words and leave the button HOTP as it was.
func TestRefusals(t *testing.T) {
	k := t2fido.New(t2fido.Options{Key: mustKey(t, 0x42)})
	sel := append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(fido.AID))}, fido.AID...)
	if sw := status(k.Transmit([]byte{0x80, 0xC5, 0x01, 0x00, 0x00})); sw != 0x6D00 {
		t.Errorf("unselected: %04X", sw)
	}
	if sw := status(k.Transmit(sel)); sw != 0x9000 {
		t.Fatalf("select %04X", sw)
	}
	good := seal(t, k, append([]byte{8, 20}, secret20...), fido.IVButton)
	if sw := status(k.Transmit(button(good))); sw != 0x9000 {
		t.Fatalf("good blob %04X", sw)
	}
	other := t2fido.New(t2fido.Options{Key: mustKey(t, 0x43)})
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	notPoint := bytes.Clone(good)
	notPoint[63] ^= 1
	for name, c := range map[string]struct {
		cmd []byte
		sw  uint16
	}{
		"Lc short":           {button(good)[:len(good)+4], 0x6700},
		"Lc long":            {append(button(good), 0x00, 0x00), 0x6700},
		"no body":            {[]byte{0x80, 0xC5, 0x00, 0x00}, 0x6700},
		"Lc 0":               {[]byte{0x80, 0xC5, 0x00, 0x00, 0x00}, 0x6700},
		"blob too short":     {button(good[:64]), 0x6A80},
		"blob not blocks":    {button(good[:64+31]), 0x6A80},
		"not a point":        {button(notPoint), 0x6A80},
		"other key's blob":   {button(seal(t, other, append([]byte{8, 20}, secret20...), fido.IVButton)), 0x6A80},
		"stored IV":          {button(seal(t, k, append([]byte{8, 20}, secret20...), fido.IVStored)), 0x6A80},
		"bad padding":        {button(flipped), 0x6A80},
		"7 digits":           {button(seal(t, k, append([]byte{7, 20}, secret20...), fido.IVButton)), 0x6A80},
		"length byte":        {button(seal(t, k, append([]byte{8, 19}, secret20...), fido.IVButton)), 0x6A80},
		"empty seed":         {button(seal(t, k, []byte{8, 0}, fido.IVButton)), 0x6A80},
		"65-byte seed":       {button(seal(t, k, append([]byte{8, 65}, make([]byte, 65)...), fido.IVButton)), 0x6A80},
		"option 02":          {[]byte{0x80, 0xC5, 0x02, 0x02, 0x01, 0x02}, 0x6A80},
		"option two bytes":   {[]byte{0x80, 0xC5, 0x02, 0x04, 0x02, 0x01, 0x00}, 0x6700},
		"option P2":          {[]byte{0x80, 0xC5, 0x02, 0x03, 0x01, 0x01}, 0x6A86},
		"mask missing":       {[]byte{0x80, 0xC5, 0x02, 0x01}, 0x6700},
		"public key with Lc": {[]byte{0x80, 0xC5, 0x01, 0x00, 0x01, 0x00}, 0x6700},
		"P1":                 {[]byte{0x80, 0xC5, 0x03, 0x00}, 0x6A86},
		"INS":                {[]byte{0x80, 0xC6, 0x00, 0x00}, 0x6D00},
		"CLA":                {[]byte{0x84, 0xC5, 0x00, 0x00}, 0x6E00},
		"short":              {[]byte{0x80, 0xC5}, 0x6700},
	} {
		if sw := status(k.Transmit(c.cmd)); sw != c.sw {
			t.Errorf("%s: %04X, want %04X", name, sw, c.sw)
		}
	}
	if st := k.State(); st.Digits != 8 || !bytes.Equal(st.Seed, secret20) || st.ButtonWrites != 1 || st.Options != (fido.Options{}) || st.Bricked {
		t.Fatalf("refused commands changed the key: %+v", st)
	}
	if sw := status(k.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0xF0, 0x00})); sw != 0x6A82 {
		t.Errorf("other AID: %04X", sw)
	}
	if sw := status(k.Transmit(button(good))); sw != 0x6D00 {
		t.Errorf("after selecting another AID: %04X", sw)
	}
	k.Transmit(sel)
	k.Reset()
	if st := k.State(); st.Selected || st.Resets != 1 {
		t.Errorf("reset: %+v", st)
	}
}

// TestBrick: the forbidden command, sent raw (no session sends it), is
// answered and bricks the key: every later command goes unanswered, over
// APDUs and HID alike, the key types nothing, and Forbidden names it.
// Other masks are stored. This is what the no-forbidden-APDU assertions of
// the other tests would catch.
func TestBrick(t *testing.T) {
	k := t2fido.New(t2fido.Options{})
	s := fido.NewSession(direct(k))
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetButtonHOTP(6, secret20); err != nil {
		t.Fatal(err)
	}
	if sw := status(k.Transmit([]byte{0x80, 0xC5, 0x02, 0x01, 0x01, 0x03})); sw != 0x9000 || k.State().Interfaces != 3 || k.Bricked() {
		t.Fatalf("mask 03: %04X", sw)
	}
	if len(k.Forbidden()) != 0 {
		t.Fatal("mask 03 taken for the forbidden command")
	}
	bad := []byte{0x80, 0xC5, 0x02, 0x01, 0x01, 0x07}
	if sw := status(k.Transmit(bad)); sw != 0x9000 || !k.Bricked() {
		t.Fatalf("forbidden: %04X, bricked %v", sw, k.Bricked())
	}
	if f := k.Forbidden(); len(f) != 1 || !bytes.Equal(f[0], bad) {
		t.Fatalf("Forbidden() = % X", f)
	}
	if err := s.Select(); err == nil {
		t.Fatal("a bricked key answered")
	}
	if _, ok := k.Press(false); ok {
		t.Fatal("a bricked key typed")
	}
	h := k.HID(t2fido.HIDOptions{})
	if _, err := fido.NewSession(fido.NewHIDTransmitter(h)).PublicKey(); !errors.Is(err, t2fido.ErrGone) {
		t.Fatalf("HID on a bricked key: %v", err)
	}
}

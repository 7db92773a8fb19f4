package molto2_test

import (
	"bytes"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
	simm2 "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

func raw(d *simm2.Device, cmd []byte) ([]byte, apdu.StatusWord) {
	data, sw, _ := apdu.Split(d.Transmit(cmd))
	return data, sw
}

// auth authenticates d with the default key by hand.
func auth(t *testing.T, d *simm2.Device) {
	t.Helper()
	ch, sw := raw(d, []byte{0x80, 0x4B, 0x08, 0x00, 0x00})
	if sw != 0x9000 || len(ch) != 8 {
		t.Fatalf("challenge: %s", sw)
	}
	r, _ := token2.AuthResponse(molto2.SM4Key(molto2.DefaultCustomerKey), ch)
	if _, sw := raw(d, append([]byte{0x80, 0xCE, 0, 0, 0x10}, r...)); sw != 0x9000 {
		t.Fatalf("authenticate: %s", sw)
	}
}

func TestPublicBlockFraming(t *testing.T) {
	d := simm2.New(simm2.Options{Profiles: 50})
	data, sw := raw(d, molto2.PublicCommand(3))
	if sw != 0x9000 || len(data) != molto2.PublicLen || !bytes.Equal(data[:4], []byte{0x95, 0x1F, 0x70, 0x1D}) {
		t.Fatalf("%s % X", sw, data)
	}
	p, err := molto2.ParsePublic(3, data)
	if err != nil || p.InUse || p.Digits != 6 || p.Period != 30 || !p.HashKnown {
		t.Fatalf("%+v %v", p, err)
	}
	// With an Le byte: 6F FB, as the reference says.
	if _, sw := raw(d, append(molto2.PublicCommand(3), 0x00)); sw != molto2.SWLeRefused {
		t.Fatalf("with Le: %s", sw)
	}
	// Past the model's count: 6B 00.
	if _, sw := raw(d, molto2.PublicCommand(50)); sw != 0x6B00 {
		t.Fatalf("profile 50 of 50: %s", sw)
	}
	// Device info is the 5-byte 80 41 00 00 00.
	data, sw = raw(d, []byte{0x80, 0x41, 0x00, 0x00, 0x00})
	if sw != 0x9000 {
		t.Fatal(sw)
	}
	if i, err := token2.ParseInfo(data); err != nil || i.Serial != simm2.DefaultSerial {
		t.Fatalf("%+v %v", i, err)
	}
}

func TestSecureCommandChecks(t *testing.T) {
	d := simm2.New(simm2.Options{})
	key := molto2.SM4Key(molto2.DefaultCustomerKey)
	enc, _ := molto2.TitleBody(key, "title")
	good, _ := token2.SecureCommand(key, molto2.InsWriteTitle, 0, 4, enc)
	if _, sw := raw(d, good); sw != 0x6982 {
		t.Fatalf("unauthenticated: %s", sw)
	}
	auth(t, d)
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	if _, sw := raw(d, bad); sw != 0x6983 {
		t.Fatalf("wrong MAC: %s", sw)
	}
	if _, sw := raw(d, good); sw != 0x6982 {
		t.Fatalf("a wrong MAC left the authentication: %s", sw)
	}
	auth(t, d)
	// A 13-byte title, encrypted and MACed right, is bad data.
	long, _ := token2.EncryptECB(key, token2.Pad([]byte("thirteen-byte")))
	c, _ := token2.SecureCommand(key, molto2.InsWriteTitle, 0, 4, long)
	if _, sw := raw(d, c); sw != 0x6A80 {
		t.Fatalf("13-byte title: %s", sw)
	}
	if _, sw := raw(d, good); sw != 0x9000 || d.State().Profiles[4].Title != "title" {
		t.Fatalf("good title: %s", sw)
	}
	// A seed not 80-padded (zero-padded but not all zero) is bad data.
	plain := make([]byte, 32)
	copy(plain, "12345678901234567890")
	e2, _ := token2.EncryptECB(key, plain)
	c, _ = token2.SecureCommand(key, molto2.InsWriteSeed, 1, 4, e2)
	if _, sw := raw(d, c); sw != 0x6A80 || d.State().Profiles[4].InUse() {
		t.Fatalf("unpadded seed: %s", sw)
	}
	// A configuration with 5 digits is bad data.
	tlv := []byte{0x81, 0x14, 0x1F, 0x01, 0x01, 0x0F, 0x04, 0x66, 0, 0, 0, 0x86, 0x09, 0x0A, 0x01, 0x01, 0x0B, 0x01, 0x05, 0x0D, 0x01, 0x1E}
	c, _ = token2.SecureCommand(key, molto2.InsWriteConfig, 1, 4, tlv)
	if _, sw := raw(d, c); sw != 0x6A80 {
		t.Fatalf("5 digits: %s", sw)
	}
}

func TestButtonWaitAbandoned(t *testing.T) {
	d := simm2.New(simm2.Options{})
	auth(t, d)
	key := molto2.SM4Key(molto2.DefaultCustomerKey)
	body, _ := molto2.KeyChangeBody(key, []byte("new"))
	c, _ := token2.SecureCommand(key, molto2.InsSetKey, 0, 0, body)
	if _, sw := raw(d, c); sw != molto2.SWWaitButton || d.State().Waiting != "key" {
		t.Fatalf("%s", sw)
	}
	if _, sw := raw(d, c); sw != molto2.SWWaitButton {
		t.Fatalf("asked again: %s", sw)
	}
	// Another command abandons the wait: a press then does nothing.
	raw(d, molto2.PublicCommand(0))
	if d.Press() || !bytes.Equal(d.State().SM4Key, key) {
		t.Fatal("an abandoned key change happened")
	}
	// A card reset abandons a factory reset.
	reset := []byte{0x80, 0x56, 0x00, 0x00, 0x00}
	if _, sw := raw(d, reset); sw != molto2.SWWaitButton {
		t.Fatal(sw)
	}
	d.Reset()
	if d.Press() || d.State().Waiting != "" {
		t.Fatal("an abandoned reset is still waiting")
	}
	// Pressed: the next identical APDU reports 90 00 once.
	raw(d, reset)
	if !d.Press() {
		t.Fatal("press")
	}
	if _, sw := raw(d, reset); sw != 0x9000 {
		t.Fatalf("after the press: %s", sw)
	}
	if _, sw := raw(d, reset); sw != molto2.SWWaitButton {
		t.Fatalf("a new reset: %s", sw)
	}
}

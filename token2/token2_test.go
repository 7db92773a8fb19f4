package token2

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm4"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
)

type vectors struct {
	SingleProfile struct {
		Auth struct {
			APDU      string `json:"apdu"`
			Challenge string `json:"challenge"`
		} `json:"auth"`
		DeviceKey   string `json:"device_key"`
		WriteConfig []struct {
			APDU    string `json:"apdu"`
			Display int    `json:"display"`
			HMAC    int    `json:"hmac"`
			Step    int    `json:"step"`
			TLV     string `json:"tlv"`
			UTC     int64  `json:"utc"`
		} `json:"write_config"`
		WriteSeed []struct {
			APDU string `json:"apdu"`
			Seed string `json:"seed"`
		} `json:"write_seed"`
	} `json:"single_profile"`
	SM4KAT struct {
		Ciphertext string `json:"ciphertext"`
		Key        string `json:"key"`
		Plaintext  string `json:"plaintext"`
	} `json:"sm4_kat"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/token2.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.SingleProfile.WriteConfig) != 3 || len(v.SingleProfile.WriteSeed) != 4 {
		t.Fatalf("vector file changed shape: %d configs, %d seeds", len(v.SingleProfile.WriteConfig), len(v.SingleProfile.WriteSeed))
	}
	return &v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSM4KAT(t *testing.T) {
	v := loadVectors(t)
	ct, err := EncryptECB(unhex(t, v.SM4KAT.Key), unhex(t, v.SM4KAT.Plaintext))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ToUpper(hex.EncodeToString(ct)); got != v.SM4KAT.Ciphertext {
		t.Fatalf("SM4 KAT: %s, want %s", got, v.SM4KAT.Ciphertext)
	}
	pt, err := DecryptECB(unhex(t, v.SM4KAT.Key), ct)
	if err != nil || !bytes.Equal(pt, unhex(t, v.SM4KAT.Plaintext)) {
		t.Fatalf("SM4 decrypt: %X, %v", pt, err)
	}
}

func TestDeviceKeyVector(t *testing.T) {
	v := loadVectors(t)
	if !bytes.Equal(DeviceKey, unhex(t, v.SingleProfile.DeviceKey)) {
		t.Fatal("device key differs from the vector file")
	}
}

func TestAuthVector(t *testing.T) {
	v := loadVectors(t)
	r, err := AuthResponse(DeviceKey, unhex(t, v.SingleProfile.Auth.Challenge))
	if err != nil {
		t.Fatal(err)
	}
	got := append([]byte{0x80, 0xCE, 0x00, 0x00, 0x10}, r...)
	if !bytes.Equal(got, unhex(t, v.SingleProfile.Auth.APDU)) {
		t.Fatalf("auth APDU %X, want %s", got, v.SingleProfile.Auth.APDU)
	}
}

func TestWriteConfigVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.SingleProfile.WriteConfig {
		h := seed.SHA1
		if c.HMAC == 2 {
			h = seed.SHA256
		}
		d := []Display{15, 30, 60, 120}[c.Display]
		cfg := Config{Display: d, Time: time.Unix(c.UTC, 0), Hash: h, Period: c.Step}
		tlv, err := cfg.TLV()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ToUpper(hex.EncodeToString(tlv)); got != c.TLV {
			t.Errorf("TLV %s, want %s", got, c.TLV)
		}
		cmd, err := SecureCommand(DeviceKey, InsWriteConfig, 0, 0, tlv)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ToUpper(hex.EncodeToString(cmd)); got != c.APDU {
			t.Errorf("config APDU %s, want %s", got, c.APDU)
		}
		// The token's side: MAC check and parse give the config back.
		body, ok, err := OpenSecureCommand(DeviceKey, unhex(t, c.APDU))
		if err != nil || !ok {
			t.Fatalf("OpenSecureCommand: ok=%v err=%v", ok, err)
		}
		back, err := ParseConfigTLV(body)
		if err != nil {
			t.Fatal(err)
		}
		if back.Display != d || back.Hash != h || back.Period != c.Step || back.Time.Unix() != c.UTC {
			t.Errorf("parsed back %+v", back)
		}
	}
}

func TestWriteSeedVectors(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.SingleProfile.WriteSeed {
		s := unhex(t, c.Seed)
		enc, err := EncryptSeed(DeviceKey, s)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := SecureCommand(DeviceKey, InsWriteSeed, 0x01, 0x00, enc)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ToUpper(hex.EncodeToString(cmd)); got != c.APDU {
			t.Errorf("seed %s: APDU %s, want %s", c.Seed, got, c.APDU)
		}
		body, ok, err := OpenSecureCommand(DeviceKey, unhex(t, c.APDU))
		if err != nil || !ok {
			t.Fatalf("MAC check: ok=%v err=%v", ok, err)
		}
		dec, err := DecryptSeed(DeviceKey, body)
		if err != nil || !bytes.Equal(dec, s) {
			t.Errorf("decrypt back: %X, %v", dec, err)
		}
	}
}

func TestMACRejectsTampering(t *testing.T) {
	cmd, _ := SecureCommand(DeviceKey, InsWriteConfig, 0, 0, make([]byte, 19))
	for i := 5; i < len(cmd); i++ {
		bad := append([]byte(nil), cmd...)
		bad[i] ^= 0x01
		if _, ok, _ := OpenSecureCommand(DeviceKey, bad); ok {
			t.Fatalf("flipping byte %d kept the MAC valid", i)
		}
	}
}

func TestPadding(t *testing.T) {
	for n := 0; n <= 64; n++ {
		b := bytes.Repeat([]byte{0xAA}, n)
		p := Pad(b)
		if len(p)%16 != 0 || len(p) <= n || len(p)-n > 16 || p[n] != 0x80 {
			t.Fatalf("Pad(%d bytes) = %d bytes", n, len(p))
		}
		u, err := Unpad(p)
		if err != nil || !bytes.Equal(u, b) {
			t.Fatalf("Unpad(Pad(%d)): %v", n, err)
		}
	}
	if len(Pad(make([]byte, 16))) != 32 || len(Pad(make([]byte, 32))) != 48 {
		t.Fatal("aligned seeds must get a whole extra block")
	}
	for _, bad := range [][]byte{nil, make([]byte, 16), append(make([]byte, 15), 0x81), append(append([]byte{0x80}, make([]byte, 16)...), make([]byte, 15)...)} {
		if _, err := Unpad(bad); err == nil {
			t.Errorf("Unpad(%X) accepted", bad)
		}
	}
}

func TestSeedLengthLimits(t *testing.T) {
	for _, n := range []int{0, 9, 64, 100} {
		if _, err := EncryptSeed(DeviceKey, make([]byte, n)); err == nil {
			t.Errorf("%d-byte seed accepted", n)
		}
	}
	for _, n := range []int{10, 16, 20, 32, 48, 63} {
		enc, err := EncryptSeed(DeviceKey, make([]byte, n))
		if err != nil {
			t.Errorf("%d-byte seed: %v", n, err)
		}
		if want := (n/16 + 1) * 16; len(enc) != want {
			t.Errorf("%d-byte seed: %d bytes of ciphertext, want %d", n, len(enc), want)
		}
	}
}

func TestModelMap(t *testing.T) {
	cases := map[string]string{
		"86596120001":  "OTPC-P1-i",
		"86596220001":  "OTPC-P2-i",
		"86596210001":  "OTPC-P2-i-NB",
		"86596000001":  "miniOTP-2-i",
		"86596010001":  "miniOTP-3-i",
		"86596090001":  "miniOTP-3-i-NB",
		"86596100001":  "C301-i",
		"86596320001":  "C302-i",
		"865961200019": "OTPC-P1-i",
	}
	for serial, name := range cases {
		m, err := Lookup(serial)
		if err != nil || m.Name != name {
			t.Errorf("Lookup(%s) = %v, %v; want %s", serial, m.Name, err, name)
		}
	}
	restricted := map[string]bool{"OTPC-P1-i": false, "OTPC-P2-i": true, "OTPC-P2-i-NB": true, "miniOTP-2-i": false, "miniOTP-3-i": true, "miniOTP-3-i-NB": true, "C301-i": true, "C302-i": false}
	for _, m := range Models {
		if restricted[m.Name] != m.Restricted {
			t.Errorf("%s restricted=%v", m.Name, m.Restricted)
		}
	}
	for _, serial := range []string{"86592020001", "1234", "", "865961"} {
		if _, err := Lookup(serial); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("Lookup(%q) = %v, want ErrUnknownModel", serial, err)
		}
	}
}

func TestLongestPrefixWins(t *testing.T) {
	saved := Models
	defer func() { Models = saved }()
	Models = append([]Model{{"86596", "short", false}}, saved...)
	m, err := Lookup("86596220001")
	if err != nil || m.Name != "OTPC-P2-i" {
		t.Fatalf("got %v %v", m.Name, err)
	}
	m, _ = Lookup("86596990001")
	if m.Name != "short" {
		t.Fatalf("got %v", m.Name)
	}
}

func TestParseInfo(t *testing.T) {
	data := append([]byte{0x01, 0x02, 0x03, 11}, "86596220042"...)
	data = append(data, 0xAA, 0xBB, 0x65, 0x53, 0xF1, 0x00)
	info, err := ParseInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Serial != "86596220042" || !info.Known || info.Model.Name != "OTPC-P2-i" || info.Clock.Unix() != 1700000000 {
		t.Fatalf("%+v", info)
	}
	for i := 0; i < len(data); i++ {
		if _, err := ParseInfo(data[:i]); err == nil {
			t.Errorf("truncated to %d bytes accepted", i)
		}
	}
	bad := append([]byte(nil), data...)
	bad[6] = 'x'
	if _, err := ParseInfo(bad); err == nil {
		t.Error("non-digit serial accepted")
	}
}

// script is a transmitter that answers from a list and records commands.
type script struct {
	cmds  [][]byte
	resps map[byte][]byte // by INS
}

func (s *script) Transmit(cmd []byte) ([]byte, error) {
	s.cmds = append(s.cmds, append([]byte(nil), cmd...))
	if r, ok := s.resps[cmd[1]]; ok {
		return r, nil
	}
	return []byte{0x90, 0x00}, nil
}

func infoResp(serial string) []byte {
	r := append([]byte{0, 0, 0, byte(len(serial))}, serial...)
	return append(r, 0, 0, 0x65, 0x53, 0xF1, 0x00, 0x90, 0x00)
}

// TestBurnSequence checks every byte of the five APDUs of a burn: get
// info and get challenge as reference §1 gives them, then authenticate,
// write configuration and write seed as the known-answer vectors give
// them for the same challenge, settings and seed.
func TestBurnSequence(t *testing.T) {
	v := loadVectors(t)
	sp := v.SingleProfile
	vc := sp.WriteConfig[1] // display 120 s, SHA-256, 60 s
	vs := sp.WriteSeed[0]   // 20 bytes
	if vc.HMAC != 2 || vc.Step != 60 || vc.Display != 3 {
		t.Fatalf("vector file changed: write_config[1] is %+v", vc)
	}
	sc := &script{resps: map[byte][]byte{
		InsGetInfo:      infoResp("86596120001"),
		InsGetChallenge: append(unhex(t, sp.Auth.Challenge), 0x90, 0x00),
	}}
	secret := unhex(t, vs.Seed)
	when := time.Unix(vc.UTC, 0)
	info, err := NewSession(sc).Burn(secret, Params{Hash: seed.SHA256, Period: 60, Display: 120, Time: when})
	if err != nil {
		t.Fatal(err)
	}
	if info.Serial != "86596120001" {
		t.Fatal(info.Serial)
	}
	want := []struct{ what, apdu string }{
		{"get info (reference §1)", "80410000020211"},
		{"get challenge (reference §1)", "804B08000100"},
		{"authenticate (vector auth)", sp.Auth.APDU},
		{"write configuration (vector write_config[1])", vc.APDU},
		{"write seed (vector write_seed[0])", vs.APDU},
	}
	if len(sc.cmds) != len(want) {
		t.Fatalf("%d APDUs, want %d", len(sc.cmds), len(want))
	}
	for i, w := range want {
		if got := strings.ToUpper(hex.EncodeToString(sc.cmds[i])); got != w.apdu {
			t.Errorf("APDU %d, %s: %s, want %s", i+1, w.what, got, w.apdu)
		}
	}
}

// refMAC is the MAC rule of reference §1 written out with the standard
// library's CBC mode: M = 80 INS P1 P2 Lc' body, padded 80 00.. only when
// not a multiple of 16, SM4-CBC with a zero IV, first 4 bytes of the last
// block.
func refMAC(t *testing.T, key []byte, ins, p1, p2 byte, body []byte) []byte {
	t.Helper()
	m := append([]byte{0x80, ins, p1, p2, byte(len(body))}, body...)
	if len(m)%16 != 0 {
		m = append(m, 0x80)
		m = append(m, make([]byte, (16-len(m)%16)%16)...)
	}
	b, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(m))
	cipher.NewCBCEncrypter(b, make([]byte, 16)).CryptBlocks(out, m)
	return out[len(out)-16 : len(out)-12]
}

// The MAC of a command whose M is already block-aligned (body of 11, 27,
// 43... bytes) is computed over M as is. No vector has such a length: the
// aligned cases are checked against the rule itself, and a 16-byte M
// against a single SM4 block, SM4 being checked by its KAT.
func TestMACBlockAligned(t *testing.T) {
	for _, n := range []int{11, 27, 43, 59} {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i*7 + n)
		}
		got, err := MAC(DeviceKey, InsWriteSeed, 0x01, 0x00, body)
		if err != nil {
			t.Fatal(err)
		}
		if want := refMAC(t, DeviceKey, InsWriteSeed, 0x01, 0x00, body); !bytes.Equal(got, want) {
			t.Errorf("%d-byte body (M of %d bytes, aligned): MAC %X, want %X", n, n+5, got, want)
		}
	}
	// M = 80 C5 01 00 0B + 11 bytes: exactly one block, so the MAC is the
	// first 4 bytes of SM4-ECB of M.
	body := []byte("hello token")
	m := append([]byte{0x80, InsWriteSeed, 0x01, 0x00, 0x0B}, body...)
	block, err := EncryptECB(DeviceKey, m)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := MAC(DeviceKey, InsWriteSeed, 0x01, 0x00, body)
	if !bytes.Equal(got, block[:4]) {
		t.Fatalf("one-block M: MAC %X, want %X (padding was added?)", got, block[:4])
	}
}

// Every body length from 0 to 60 bytes, aligned or not, follows the rule.
func TestMACRule(t *testing.T) {
	for n := 0; n <= 60; n++ {
		body := bytes.Repeat([]byte{byte(n)}, n)
		got, err := MAC(DeviceKey, InsWriteConfig, 0, 0, body)
		if err != nil {
			t.Fatal(err)
		}
		if want := refMAC(t, DeviceKey, InsWriteConfig, 0, 0, body); !bytes.Equal(got, want) {
			t.Errorf("%d-byte body: MAC %X, want %X", n, got, want)
		}
	}
}

func TestUnknownModelRefusedBeforeWrite(t *testing.T) {
	sc := &script{resps: map[byte][]byte{InsGetInfo: infoResp("86592020001")}}
	_, err := NewSession(sc).Burn(make([]byte, 20), Params{Hash: seed.SHA1, Period: 30})
	if !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("err %v", err)
	}
	if len(sc.cmds) != 1 {
		t.Fatalf("%d APDUs sent, want only get info", len(sc.cmds))
	}
}

func TestAuthFailureNotRetried(t *testing.T) {
	sc := &script{resps: map[byte][]byte{
		InsGetInfo:      infoResp("86596120001"),
		InsGetChallenge: {1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00},
		InsAuthenticate: {0x69, 0x83},
	}}
	s := NewSession(sc)
	_, err := s.Burn(make([]byte, 20), Params{Hash: seed.SHA1, Period: 30})
	if !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("err %v", err)
	}
	var se *apdu.StatusError
	if !errors.As(err, &se) || se.SW != apdu.SWAuthFailed {
		t.Fatalf("not a 69 83 StatusError: %v", err)
	}
	if !strings.Contains(err.Error(), "69 83") || !strings.Contains(err.Error(), "authentication failed or MAC wrong") {
		t.Errorf("message %q", err)
	}
	// A second write on the same session does not authenticate again.
	if err := s.WriteSeed(make([]byte, 20)); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("second attempt: %v", err)
	}
	n := 0
	for _, c := range sc.cmds {
		if c[1] == InsAuthenticate {
			n++
		}
	}
	if n != 1 || len(sc.cmds) != 3 {
		t.Fatalf("%d authenticate APDUs, %d in all; want 1 and 3", n, len(sc.cmds))
	}
}

func TestRestrictedSyncRefused(t *testing.T) {
	sc := &script{resps: map[byte][]byte{InsGetInfo: infoResp("86596220001")}}
	_, err := NewSession(sc).Sync(Params{Hash: seed.SHA1, Period: 30}, nil)
	if !errors.Is(err, ErrRestricted) || len(sc.cmds) != 1 {
		t.Fatalf("err %v after %d APDUs", err, len(sc.cmds))
	}
}

func TestSeedLostMessage(t *testing.T) {
	fail := errors.New("card gone")
	sc := &script{resps: map[byte][]byte{
		InsGetInfo:      infoResp("86596220001"),
		InsGetChallenge: {1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00},
	}}
	tr := apdu.TransmitFunc(func(cmd []byte) ([]byte, error) {
		if cmd[1] == InsWriteSeed {
			return nil, fail
		}
		return sc.Transmit(cmd)
	})
	secret := []byte("ABCDEFGHIJKLMNOPQRST")
	_, err := NewSession(tr).Burn(secret, Params{Hash: seed.SHA1, Period: 30})
	var we *WriteError
	if !errors.As(err, &we) || !we.SeedLost || !errors.Is(err, fail) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "may now hold no seed") {
		t.Fatalf("message %q", err)
	}
	for _, enc := range []string{string(secret), hex.EncodeToString(secret), seed.EncodeBase32(secret)} {
		if strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(enc)) {
			t.Fatal("secret in the error message")
		}
	}
}

func TestBadParamsSendNothing(t *testing.T) {
	for _, p := range []Params{{Hash: seed.SHA512, Period: 30}, {Hash: seed.SHA1, Period: 45}, {Hash: seed.SHA1, Period: 30, Display: 20}} {
		sc := &script{}
		if _, err := NewSession(sc).Burn(make([]byte, 20), p); err == nil || len(sc.cmds) != 0 {
			t.Errorf("%+v: err %v after %d APDUs", p, err, len(sc.cmds))
		}
	}
	sc := &script{}
	if _, err := NewSession(sc).Burn(make([]byte, 9), Params{Hash: seed.SHA1, Period: 30}); err == nil || len(sc.cmds) != 0 {
		t.Errorf("short seed: err %v after %d APDUs", err, len(sc.cmds))
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add(infoResp("86596120001"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseInfo(b) })
}

func FuzzParseConfigTLV(f *testing.F) {
	tlv, _ := Config{Time: time.Unix(1700000000, 0), Hash: seed.SHA1, Period: 30}.TLV()
	f.Add(tlv)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfigTLV(b)
		if err == nil {
			again, err := c.TLV()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("parse/encode mismatch: %X vs %X (%v)", again, b, err)
			}
		}
	})
}

func FuzzUnpad(f *testing.F) {
	f.Add(Pad([]byte("hello")))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := Unpad(append([]byte(nil), b...))
		if err == nil && !bytes.Equal(Pad(u), b) {
			t.Fatalf("Unpad/Pad mismatch on %X", b)
		}
	})
}

func TestBurnReusesInfo(t *testing.T) {
	sc := &script{resps: map[byte][]byte{
		InsGetInfo:      infoResp("86596120001"),
		InsGetChallenge: {1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00},
	}}
	s := NewSession(sc)
	if _, err := s.Info(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Burn(make([]byte, 20), Params{Hash: seed.SHA1, Period: 30}); err != nil {
		t.Fatal(err)
	}
	if len(sc.cmds) != 5 {
		t.Fatalf("%d APDUs, want 5", len(sc.cmds))
	}
}

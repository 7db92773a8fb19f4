package yubikey_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// vectorConfig is the configuration (hex) of the vector whose name starts
// with prefix.
func vectorConfig(t *testing.T, prefix string) string {
	t.Helper()
	for _, c := range loadVectors(t).Configs {
		if strings.HasPrefix(c.Name, prefix) {
			return c.Config
		}
	}
	t.Fatalf("no vector %q", prefix)
	return ""
}

// TestCredentialBuildYkmanDefaults: a credential with only its secrets
// builds ykman's configuration byte for byte; a Yubico OTP one for serial
// 12345678 gets ykman's public ID, ff 00 + the serial ("vvccccnrhbfu").
func TestCredentialBuildYkmanDefaults(t *testing.T) {
	otp := &yubikey.Credential{Mode: yubikey.ModeYubicoOTP, PrivateID: unhex(t, "010203040506"), Key: unhex(t, "000102030405060708090a0b0c0d0e0f")}
	cfg, tok, err := otp.Build(12345678)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(cfg.Bytes()), vectorConfig(t, "ykman defaults yubico-otp"); got != want {
		t.Errorf("yubico-otp config\n got %s\nwant %s", got, want)
	}
	if m := yubikey.Modhex(tok.PublicID); m != "vvccccnrhbfu" || tok.Serial != "12345678" || tok.Kind != seed.YubicoOTP {
		t.Errorf("token: public ID %s, serial %s, kind %v", m, tok.Serial, tok.Kind)
	}
	if !bytes.Equal(tok.PrivateID, otp.PrivateID) || !bytes.Equal(tok.Secret, otp.Key) || tok.Manufacturer != "Yubico" {
		t.Errorf("token secrets or manufacturer wrong: %+v", tok)
	}
	hotp := &yubikey.Credential{Mode: yubikey.ModeHOTP, Key: []byte("12345678901234567890")}
	cfg, tok, err = hotp.Build(12345678)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(cfg.Bytes()), vectorConfig(t, "ykman defaults oath-hotp"); got != want {
		t.Errorf("oath-hotp config\n got %s\nwant %s", got, want)
	}
	if tok.Kind != seed.HOTP || tok.Digits != 6 || tok.Hash != seed.SHA1 || tok.PublicID != nil {
		t.Errorf("HOTP token: %+v", tok)
	}
	// The token keeps its secrets when the credential is wiped.
	otp.Wipe()
	hotp.Wipe()
	if string(tok.Secret) != "12345678901234567890" {
		t.Error("wiping the credential wiped the token's secret")
	}
}

// TestCredentialFlagsAndLabels: the settings set the configuration flags
// and the labels the Yubico logs write.
func TestCredentialFlagsAndLabels(t *testing.T) {
	key := unhex(t, "303132333435363738393a3b3c3d3e3f40414243")
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.Local)
	c := &yubikey.Credential{Mode: yubikey.ModeChalRespHMAC, Key: key, Touch: true, Slot: 2, Time: at,
		AccessCode: yubikey.AccessCode(unhex(t, "a1a2a3a4a5a6")), CurrentAccessCode: yubikey.AccessCode(unhex(t, "b1b2b3b4b5b6"))}
	cfg, tok, err := c.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode() != yubikey.ModeChalRespHMAC || cfg.Cfg&yubikey.CfgChalBtnTrig == 0 || cfg.Cfg&yubikey.CfgHMACLT64 == 0 || cfg.Ext != 0x24 {
		t.Errorf("chalresp config: %v", cfg)
	}
	if cfg.AccessCode != [6]byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6} {
		t.Errorf("access code not set in the configuration")
	}
	want := map[string]string{yubikey.LabelMode: "chalresp", yubikey.LabelChalBtnTrig: "1", yubikey.LabelHMACLT64: "1", yubikey.LabelSlot: "2",
		yubikey.LabelTimestamp: "2026-12-05T12:00:00", yubikey.LabelAccessCode: "a1a2a3a4a5a6", yubikey.LabelCurrentAccess: "b1b2b3b4b5b6"}
	for l, v := range want {
		if got := tok.Label(l); got != v {
			t.Errorf("label %s = %q, want %q", l, got, v)
		}
	}
	c = &yubikey.Credential{Mode: yubikey.ModeChalRespHMAC, Key: key, NoLT64: true, HideSerial: true}
	if cfg, tok, err = c.Build(1); err != nil {
		t.Fatal(err)
	}
	if cfg.Cfg&yubikey.CfgHMACLT64 != 0 || cfg.Ext&yubikey.ExtSerialAPIVisible != 0 || tok.Label(yubikey.LabelHMACLT64) != "" || tok.Label(yubikey.LabelSlot) != "" {
		t.Errorf("NoLT64/HideSerial: %v, labels %v", cfg, tok.Labels)
	}
	// HOTP: ykman's "--identifier -" is ubhe + the serial (OMP and TT in
	// modhex, the MUI in decimal), 8 digits, counter 32, no Enter.
	c = &yubikey.Credential{Mode: yubikey.ModeHOTP, Key: key, Digits: 8, Counter: 32, Identifier: "-", NoEnter: true}
	if cfg, tok, err = c.Build(12345678); err != nil {
		t.Fatal(err)
	}
	if cfg.FixedText() != "ubhe12345678" || cfg.HOTPCounter() != 32 || cfg.Cfg&yubikey.CfgOATHHOTP8 == 0 || cfg.Tkt&yubikey.TktAppendCR != 0 {
		t.Errorf("HOTP config: %v, fixed %s", cfg, cfg.FixedText())
	}
	if tok.Digits != 8 || tok.Counter != 32 || hex.EncodeToString(tok.PublicID) != "e16312345678" || tok.Label(yubikey.LabelFixedModhex2) != "1" || tok.Label(yubikey.LabelFixedModhex1) != "" {
		t.Errorf("HOTP token: %+v", tok)
	}
}

// TestCredentialErrors: settings a slot cannot hold are usage errors
// (*SettingError, named as ykman's options), wrong secret sizes invalid
// data; none shows a secret.
func TestCredentialErrors(t *testing.T) {
	key20 := bytes.Repeat([]byte{0x5a}, 20)
	for _, tc := range []struct {
		c     yubikey.Credential
		want  string
		usage bool
	}{
		{yubikey.Credential{Mode: yubikey.ModeHOTP, Key: key20, Digits: 7}, "--digits 7: want 6 or 8", true},
		{yubikey.Credential{Mode: yubikey.ModeHOTP, Key: key20, Counter: 17}, "--counter 17: want a multiple of 16 from 0 to 1048560", true},
		{yubikey.Credential{Mode: yubikey.ModeHOTP, Key: key20, Counter: 0x100000}, "--counter 1048576: want a multiple of 16 from 0 to 1048560", true},
		{yubikey.Credential{Mode: yubikey.ModeHOTP, Key: key20, Identifier: "abc"}, `--identifier: token identifier "abc": want 12 characters`, true},
		{yubikey.Credential{Mode: yubikey.ModeHOTP, Key: make([]byte, 21)}, "HOTP key: 21 bytes, a YubiKey slot takes 1 to 20", false},
		{yubikey.Credential{Mode: yubikey.ModeChalRespHMAC}, "HMAC key: 0 bytes, a YubiKey slot takes 1 to 20", false},
		{yubikey.Credential{Mode: yubikey.ModeYubicoOTP, Key: key20[:15], PrivateID: key20[:6]}, "AES key: 15 bytes, want 16", false},
		{yubikey.Credential{Mode: yubikey.ModeYubicoOTP, Key: key20[:16], PrivateID: key20[:5]}, "private ID: 5 bytes, want 6", false},
		{yubikey.Credential{Mode: yubikey.ModeYubicoOTP, Key: key20[:16], PrivateID: key20[:6], PublicID: make([]byte, 17)}, "public ID is 17 bytes, at most 16", false},
		{yubikey.Credential{Mode: yubikey.ModeStatic, Key: key20}, "cannot be programmed with static", false},
	} {
		err := tc.c.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.c.Mode, err, tc.want)
			continue
		}
		var se *yubikey.SettingError
		if errors.As(err, &se) != tc.usage || (tc.usage && !se.UsageError()) {
			t.Errorf("%q: usage error %v, want %v", err, errors.As(err, &se), tc.usage)
		}
		if strings.Contains(err.Error(), "5a5a") {
			t.Errorf("%q shows the key", err)
		}
		if _, _, err := tc.c.Build(1); err == nil {
			t.Errorf("%q: Build accepts what Check refuses", tc.want)
		}
	}
}

// TestCredentialGenerate draws only what is missing, in the sizes a slot
// holds.
func TestCredentialGenerate(t *testing.T) {
	c := &yubikey.Credential{Mode: yubikey.ModeYubicoOTP}
	if err := c.Generate(); err != nil || len(c.Key) != 16 || len(c.PrivateID) != 6 || c.PublicID != nil {
		t.Fatalf("yubico-otp: %v, key %d bytes, private ID %d", err, len(c.Key), len(c.PrivateID))
	}
	pid := []byte{1, 2, 3, 4, 5, 6}
	c = &yubikey.Credential{Mode: yubikey.ModeYubicoOTP, PrivateID: pid}
	if err := c.Generate(); err != nil || !bytes.Equal(c.PrivateID, []byte{1, 2, 3, 4, 5, 6}) || len(c.Key) != 16 {
		t.Fatalf("a given private ID was replaced: %v", err)
	}
	c = &yubikey.Credential{Mode: yubikey.ModeHOTP}
	if err := c.Generate(); err != nil || len(c.Key) != 20 || c.PrivateID != nil {
		t.Fatalf("hotp: %v, key %d bytes", err, len(c.Key))
	}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	p, err := yubikey.RandomPublicID()
	if err != nil || len(p) != 6 || !strings.HasPrefix(yubikey.Modhex(p), "vv") {
		t.Fatalf("random public ID %x: %v", p, err)
	}
}

// TestCredentialOfRoundTrip: the credential read back from a token Build
// made builds the same configuration (what batch writes from its ledger).
func TestCredentialOfRoundTrip(t *testing.T) {
	key := unhex(t, "303132333435363738393a3b3c3d3e3f40414243")
	code := yubikey.AccessCode(unhex(t, "a1a2a3a4a5a6"))
	for _, c := range []yubikey.Credential{
		{Mode: yubikey.ModeYubicoOTP, Key: key[:16], PrivateID: key[:6], AccessCode: code, Slot: 2},
		{Mode: yubikey.ModeYubicoOTP, Key: key[:16], PrivateID: key[:6], PublicID: []byte{}},
		{Mode: yubikey.ModeYubicoOTP, Key: key[:16], PrivateID: key[:6], PublicID: []byte{0xff, 1, 2, 3, 4, 5}},
		{Mode: yubikey.ModeHOTP, Key: key, Digits: 8, Counter: 1048560},
		{Mode: yubikey.ModeHOTP, Key: key[:10], Identifier: "-"},
		{Mode: yubikey.ModeHOTP, Key: key, Identifier: "cccc"},
		{Mode: yubikey.ModeHOTP, Key: key, Identifier: "ccccbbbbbbbb"},
		{Mode: yubikey.ModeHOTP, Key: key, Identifier: "123456789012"},
		{Mode: yubikey.ModeHOTP, Key: key, Identifier: "cc1234567890"},
		{Mode: yubikey.ModeChalRespHMAC, Key: key, Touch: true},
		{Mode: yubikey.ModeChalRespHMAC, Key: key[:1], NoLT64: true},
	} {
		cfg, tok, err := c.Build(4711)
		if err != nil {
			t.Fatalf("%+v: %v", c.Mode, err)
		}
		back, err := yubikey.CredentialOf(tok)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Mode, c.Identifier, err)
		}
		cfg2, _, err := back.Build(9999) // another serial: the public ID is the token's
		if err != nil {
			t.Fatalf("%s %q: rebuilt: %v", c.Mode, c.Identifier, err)
		}
		if !bytes.Equal(cfg.Bytes(), cfg2.Bytes()) || back.Slot != c.Slot {
			t.Errorf("%s %q: round trip\n got %x\nwant %x", c.Mode, c.Identifier, cfg2.Bytes(), cfg.Bytes())
		}
	}
	for _, tok := range []*seed.Token{
		{Kind: seed.TOTP, Secret: key},
		{Kind: seed.HOTP, Hash: seed.SHA256, Secret: key},
		{Kind: seed.HOTP, Hash: seed.SHA1, Secret: key, PublicID: []byte{1, 2}},
		{Kind: seed.HOTP, Hash: seed.SHA1, Secret: key, Labels: map[string]string{yubikey.LabelAccessCode: "a1a2"}},
	} {
		if _, err := yubikey.CredentialOf(tok); err == nil {
			t.Errorf("%+v: no error", tok)
		}
	}
}

func TestLogFormat(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind seed.Kind
		want string
	}{
		{"okta", seed.HOTP, "yubico"},
		{"Traditional", seed.YubicoOTP, "yubico-traditional"},
		{"duo", seed.YubicoOTP, "duo-yubikey"},
		{"duo", seed.HOTP, "duo"},
		{"PSKC", seed.HOTP, "pskc"},
	} {
		if got := yubikey.LogFormat(tc.name, tc.kind); got != tc.want {
			t.Errorf("LogFormat(%q, %v) = %q, want %q", tc.name, tc.kind, got, tc.want)
		}
	}
	for in, want := range map[string]yubikey.Transport{"": "", "hid": yubikey.TransportHID, "nfc": yubikey.TransportCCID, "ccid": yubikey.TransportCCID} {
		if got, err := yubikey.ParseTransport(in); err != nil || got != want {
			t.Errorf("ParseTransport(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := yubikey.ParseTransport("usb"); err == nil {
		t.Error("usb accepted")
	}
}

// TestCredentialThroughTraditionalLog: a credential logged in the
// Personalization Tool's traditional format (csvfmt, which uses the labels
// Build sets) and read back programs the same configuration.
func TestCredentialThroughTraditionalLog(t *testing.T) {
	key := unhex(t, "303132333435363738393a3b3c3d3e3f40414243")
	for _, c := range []yubikey.Credential{
		{Mode: yubikey.ModeYubicoOTP, Key: key[:16], PrivateID: key[:6], AccessCode: yubikey.AccessCode(unhex(t, "a1a2a3a4a5a6")), Slot: 1},
		{Mode: yubikey.ModeHOTP, Key: key, Digits: 8, Counter: 32, Identifier: "-", Slot: 2},
		{Mode: yubikey.ModeHOTP, Key: key, Identifier: "cccccccccccb", Slot: 1},
		{Mode: yubikey.ModeChalRespHMAC, Key: key, Touch: true, Slot: 2},
		{Mode: yubikey.ModeChalRespHMAC, Key: key, NoLT64: true, Slot: 1},
	} {
		c.Time = time.Date(2026, 12, 5, 12, 0, 0, 0, time.Local)
		cfg, tok, err := c.Build(12345678)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		w := csvfmt.NewTraditionalLogWriter(&log)
		if err := w.Write(tok); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		back, _, err := csvfmt.NewTraditionalLogReader(&log, "log").Read()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Mode, err, log.String())
		}
		bc, err := yubikey.CredentialOf(back)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Mode, err, log.String())
		}
		cfg2, _, err := bc.Build(1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cfg.Bytes(), cfg2.Bytes()) || bc.Slot != c.Slot {
			t.Errorf("%s: through the log\n got %x (slot %d)\nwant %x (slot %d)\n%s", c.Mode, cfg2.Bytes(), bc.Slot, cfg.Bytes(), c.Slot, log.String())
		}
	}
}

package personalize_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/personalize"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// onHID opens the emulated key over its USB keyboard interface.
func onHID(t *testing.T, k *yksim.Key) *device.YubiKey {
	t.Helper()
	key, err := device.Open(hid.NewOTP(k.HID()), "usb", nil)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// onCCID opens the emulated key over CCID (NFC).
func onCCID(t *testing.T, k *yksim.Key) *device.YubiKey {
	t.Helper()
	ccid, err := yubikey.NewCCID(k.APDU())
	if err != nil {
		t.Fatal(err)
	}
	key, err := device.Open(ccid, "reader", nil)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func hotp() *yubikey.Credential {
	return &yubikey.Credential{Mode: yubikey.ModeHOTP, Key: bytes.Repeat([]byte{7}, 20), Slot: 2}
}

// program puts a configuration into slot n behind the key's back.
func program(t *testing.T, k *yksim.Key, n int, code yubikey.AccessCode) {
	t.Helper()
	cfg, err := yubikey.HOTPConfig(bytes.Repeat([]byte{1}, 20), yubikey.HOTPOptions{})
	if err == nil {
		err = cfg.SetAccessCode(code)
	}
	if err == nil {
		err = k.Program(n, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestProgramWritesWhatBuildBuilds(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4711})
	c := hotp()
	res, err := personalize.Program(onHID(t, k), c, personalize.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := c.Build(4711)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Slot(2).Config, want.Bytes()) {
		t.Errorf("slot 2 holds %x, want %x", k.Slot(2).Config, want.Bytes())
	}
	if res.Serial != 4711 || res.Slot != 2 || res.Mode != "oath-hotp" || res.Transport != "hid" || res.Device != "usb" || res.Firmware != "5.4.3" || res.Unconfirmed || res.AccessCode {
		t.Errorf("result %+v", res)
	}
	if got := res.String(); got != "YubiKey 4711: slot 2 programmed with oath-hotp" {
		t.Errorf("report %q", got)
	}
	if res.Warning() != "" {
		t.Errorf("warning %q for a confirmed write", res.Warning())
	}
}

// TestProgramAsksBeforeOverwriting: a programmed slot is written only when
// forced or confirmed; a refusal writes nothing.
func TestProgramAsksBeforeOverwriting(t *testing.T) {
	no := errors.New("no")
	for _, c := range []struct {
		name   string
		o      personalize.Options
		writes int
		err    error
	}{
		{"nobody to ask", personalize.Options{}, 0, nil},
		{"refused", personalize.Options{Confirm: func(string) error { return no }}, 0, no},
		{"confirmed", personalize.Options{Confirm: func(string) error { return nil }}, 1, nil},
		{"forced", personalize.Options{Force: true, Confirm: func(string) error { return no }}, 1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := yksim.New(yksim.Options{Serial: 4711})
			program(t, k, 2, nil)
			before := k.Writes()
			var asked string
			if c.o.Confirm != nil {
				ask := c.o.Confirm
				c.o.Confirm = func(q string) error { asked = q; return ask(q) }
			}
			_, err := personalize.Program(onHID(t, k), hotp(), c.o, nil)
			if got := k.Writes() - before; got != c.writes {
				t.Errorf("%d writes, want %d", got, c.writes)
			}
			var nc *personalize.NotConfirmedError
			switch {
			case c.writes == 1 && err != nil:
				t.Errorf("error %v", err)
			case c.writes == 0 && c.err != nil && !errors.Is(err, c.err):
				t.Errorf("error %v, want the confirmation's", err)
			case c.writes == 0 && c.err == nil && !errors.As(err, &nc):
				t.Errorf("error %v, want *NotConfirmedError", err)
			}
			if c.o.Confirm != nil && !c.o.Force && asked != "slot 2 of YubiKey 4711 is programmed" {
				t.Errorf("asked %q", asked)
			}
		})
	}
}

// TestProgramLogsAroundTheWrite: the record is prepared before the write
// (a format that cannot take the credential stops it) and committed after
// it (a failed commit is reported, the key being written).
func TestProgramLogsAroundTheWrite(t *testing.T) {
	dir := t.TempDir()
	k := yksim.New(yksim.Options{Serial: 4711})
	key := onHID(t, k)
	c := &yubikey.Credential{Mode: yubikey.ModeYubicoOTP, Key: bytes.Repeat([]byte{1}, 16), PrivateID: bytes.Repeat([]byte{2}, 6), Slot: 1}

	_, err := personalize.Program(key, c, personalize.Options{}, &personalize.Log{Path: filepath.Join(dir, "x.csv"), Format: "no-such-format"})
	var fe *personalize.FormatError
	if !errors.As(err, &fe) || fe.Format != "no-such-format" || k.Writes() != 0 {
		t.Fatalf("unknown format: %v, %d writes", err, k.Writes())
	}

	log := filepath.Join(dir, "okta.csv")
	res, err := personalize.Program(key, c, personalize.Options{}, &personalize.Log{Path: log, Format: "okta"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	pub := yubikey.Modhex(yubikey.SerialPublicID(4711))
	if !strings.HasPrefix(string(b), "4711,"+pub+",") || res.PublicID != pub || res.Log != log || res.LogFormat != "yubico" {
		t.Errorf("log %q, result %+v", b, res)
	}
	if want := "YubiKey 4711: slot 1 programmed with yubico-otp (public ID " + pub + "), logged to " + log + " (yubico)"; res.String() != want {
		t.Errorf("report %q, want %q", res.String(), want)
	}

	full := errors.New("disk full")
	var what string
	_, err = personalize.Program(key, c, personalize.Options{Force: true}, &personalize.Log{Path: log, Format: "yubico",
		Record: func(_ *convert.Output, w string) error { what = w; return full }})
	if !errors.Is(err, full) || what != "YubiKey 4711 slot 1" || k.Writes() != 2 {
		t.Errorf("failed commit: %v (%q), %d writes", err, what, k.Writes())
	}
}

// TestUnconfirmedWrite: firmware 5.4.2 over CCID cannot confirm a write
// over a slot whose state it does not change; the report says so and what
// to check.
func TestUnconfirmedWrite(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 5420, Version: yubikey.Version{5, 4, 2}})
	program(t, k, 2, nil)
	key := onCCID(t, k)
	res, err := personalize.Program(key, hotp(), personalize.Options{Force: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Unconfirmed || !strings.Contains(res.String(), "slot 2 written (UNCONFIRMED) with oath-hotp") {
		t.Fatalf("result %+v: %s", res, res)
	}
	w := res.Warning()
	for _, s := range []string{"WARNING: YubiKey 5420 could not confirm the write of slot 2", "firmware 5.4.2 does not report over CCID", "compare the code with 'tokenctl code'."} {
		if !strings.Contains(w, s) {
			t.Errorf("warning %q lacks %q", w, s)
		}
	}
	for mode, want := range map[string]string{
		"deleted": "could not confirm the deletion of slot 2: firmware 5.4.2 does not report over CCID whether a write took, and the slot state cannot tell. A wrong or missing access code answers the same way: the slot may still hold its previous configuration. Check it with 'tokenctl yubikey info'. (Over USB HID the key does report it.)",
		"updated": "could not confirm the settings update of slot 2: firmware 5.4.2 does not report over CCID whether a write took, and the slot state cannot tell. A wrong or missing access code answers the same way: the slot may still hold its previous configuration. If the access code was to change, the old one may still hold. (Over USB HID the key does report it.)",
		"swapped": "could not confirm the swap of its slots",
	} {
		r := personalize.Result{Serial: 5420, Slot: 2, Mode: mode, Transport: "ccid", Firmware: "5.4.2", Unconfirmed: true}
		if !strings.Contains(r.Warning(), "WARNING: YubiKey 5420 "+want) {
			t.Errorf("%s: warning %q", mode, r.Warning())
		}
	}
}

// TestRetryNewCode: a slot protected by the credential's own access code
// refuses the write without it; RetryNewCode tries that code once.
func TestRetryNewCode(t *testing.T) {
	code := yubikey.AccessCode{1, 2, 3, 4, 5, 6}
	for _, retry := range []bool{false, true} {
		k := yksim.New(yksim.Options{})
		program(t, k, 2, code)
		before := k.Writes()
		c := hotp()
		c.AccessCode = append(yubikey.AccessCode(nil), code...)
		_, err := personalize.Program(onHID(t, k), c, personalize.Options{Force: true, RetryNewCode: retry}, nil)
		if retry != (err == nil) || retry != (k.Writes() == before+1) {
			t.Errorf("retry %v: %v, %d writes", retry, err, k.Writes()-before)
		}
		if !retry && !errors.Is(err, yubikey.ErrAccessCode) {
			t.Errorf("error %v, want the access code refusal", err)
		}
	}
}

func TestDeleteUpdateSwap(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4711})
	key := onHID(t, k)
	if _, err := personalize.Delete(key, 1, nil, personalize.Options{}); !errors.Is(err, personalize.ErrEmpty) || err.Error() != "slot 1 of YubiKey 4711 is empty: nothing to delete" {
		t.Errorf("delete of an empty slot: %v", err)
	}
	if _, err := personalize.Update(key, 1, true, nil, nil, personalize.Options{Force: true}); !errors.Is(err, personalize.ErrEmpty) {
		t.Errorf("update of an empty slot: %v", err)
	}
	if k.Writes() != 0 {
		t.Fatalf("%d writes", k.Writes())
	}
	program(t, k, 1, nil)
	key = onHID(t, k) // reads the new status
	code := yubikey.AccessCode{6, 5, 4, 3, 2, 1}
	res, err := personalize.Update(key, 1, false, nil, code, personalize.Options{Force: true})
	if err != nil || res.String() != "YubiKey 4711: slot 1 settings updated (access code: true)" {
		t.Fatalf("update: %v %v", err, res)
	}
	if _, err = personalize.Delete(key, 1, nil, personalize.Options{Force: true}); !errors.Is(err, yubikey.ErrAccessCode) {
		t.Errorf("delete without the access code: %v", err)
	}
	if res, err = personalize.Delete(key, 1, code, personalize.Options{Force: true}); err != nil || k.Slot(1).Configured || res.String() != "YubiKey 4711: slot 1 deleted" {
		t.Errorf("delete: %v %v", err, res)
	}
	program(t, k, 1, nil)
	key = onHID(t, k)
	if _, err := personalize.Swap(key, personalize.Options{}); !errors.As(err, new(*personalize.NotConfirmedError)) {
		t.Errorf("swap unconfirmed: %v", err)
	}
	if _, err = personalize.Swap(key, personalize.Options{Force: true}); err != nil || k.Slot(1).Configured || !k.Slot(2).Configured {
		t.Fatalf("swap: %v", err)
	}
}

// TestIncompleteWrite: an exchange that breaks off is not a refusal: the
// key may hold the new configuration, and it is a device error.
func TestIncompleteWrite(t *testing.T) {
	k := yksim.New(yksim.Options{})
	key := onCCID(t, k)
	k.BeforeCommand = func(int) error { return errors.New("card removed") }
	_, err := personalize.Program(key, hotp(), personalize.Options{}, nil)
	var ie *personalize.IncompleteError
	if !errors.As(err, &ie) || !ie.DeviceError() || !strings.Contains(err.Error(), "may or may not hold the new configuration") {
		t.Fatalf("error %v", err)
	}
}

// TestAskConfirm: only "y" or "yes" confirm; no terminal refuses without
// asking; refusals are usage errors.
func TestAskConfirm(t *testing.T) {
	var ue interface{ UsageError() bool }
	for answer, ok := range map[string]bool{"y\n": true, " YES \n": true, "n\n": false, "": false, "yess\n": false} {
		var out bytes.Buffer
		err := personalize.AskConfirm(strings.NewReader(answer), &out, true)("Slot 1 is programmed")
		if out.String() != "Slot 1 is programmed. Overwrite? [y/N] " {
			t.Fatalf("asked %q", out.String())
		}
		if ok != (err == nil) || !ok && (!errors.As(err, &ue) || err.Error() != "not confirmed: nothing written") {
			t.Errorf("%q: %v", answer, err)
		}
	}
	var out bytes.Buffer
	err := personalize.AskConfirm(strings.NewReader("y\n"), &out, false)("Slot 1 is programmed")
	if out.Len() != 0 || !errors.As(err, &ue) || err.Error() != "Slot 1 is programmed: not overwriting without --force (no terminal to ask on)" {
		t.Fatalf("no terminal: %q %v", out.String(), err)
	}
}

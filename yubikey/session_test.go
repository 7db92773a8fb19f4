package yubikey_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

func ccidSession(t *testing.T, k *yksim.Key) *yubikey.Session {
	t.Helper()
	b, err := yubikey.NewCCID(k.APDU())
	if err != nil {
		t.Fatal(err)
	}
	s, err := yubikey.NewSession(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionProgramAndAccessCodes(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4242})
	s := ccidSession(t, k)
	if s.Version() != (yubikey.Version{5, 4, 3}) {
		t.Errorf("version %s", s.Version())
	}
	serial, err := s.Serial()
	if err != nil || serial != 4242 {
		t.Fatalf("serial %d, %v", serial, err)
	}
	priv := []byte{1, 2, 3, 4, 5, 6}
	aes := bytes.Repeat([]byte{0xA5}, 16)
	cfg, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(serial), priv, aes)
	code := []byte{0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	if err := cfg.SetAccessCode(code); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(yubikey.Slot1, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if !s.Configured(yubikey.Slot1) || s.Configured(yubikey.Slot2) {
		t.Fatalf("status after write: %+v", s.Status())
	}
	before := k.Slot(1)
	if !bytes.Equal(before.AccessCode, code) {
		t.Fatalf("access code on key %x", before.AccessCode)
	}

	// Without the code, and with a wrong one: refused, slot unchanged.
	hotp, _ := yubikey.HOTPConfig(bytes.Repeat([]byte{7}, 20), yubikey.HOTPOptions{})
	for _, cur := range [][]byte{nil, {1, 1, 1, 1, 1, 1}} {
		err := s.Put(yubikey.Slot1, hotp, cur)
		if !errors.Is(err, yubikey.ErrAccessCode) || !errors.Is(err, yubikey.ErrRejected) {
			t.Fatalf("write with access code %x: %v, want ErrAccessCode", cur, err)
		}
		if err := s.Delete(yubikey.Slot1, cur); !errors.Is(err, yubikey.ErrAccessCode) {
			t.Fatalf("delete with access code %x: %v", cur, err)
		}
		if !bytes.Equal(k.Slot(1).Config, before.Config) {
			t.Fatal("slot changed by a refused write")
		}
	}
	// Swap is refused while a slot has an access code.
	if err := s.Swap(); !errors.Is(err, yubikey.ErrRejected) {
		t.Fatalf("swap: %v", err)
	}
	// With the code: the new configuration takes, without access code.
	if err := s.Put(yubikey.Slot1, hotp, code); err != nil {
		t.Fatal(err)
	}
	if st := k.Slot(1); st.Mode != yubikey.ModeHOTP || st.AccessCode != nil {
		t.Fatalf("slot 1 now %v, access code %x", st.Mode, st.AccessCode)
	}
	if err := s.Swap(); err != nil {
		t.Fatal(err)
	}
	if k.Slot(1).Configured || k.Slot(2).Mode != yubikey.ModeHOTP {
		t.Fatal("swap did not swap")
	}
	if err := s.Delete(yubikey.Slot2, nil); err != nil {
		t.Fatal(err)
	}
	if k.Slot(2).Configured || s.Status().Seq != 0 {
		t.Fatalf("after deleting the last slot: %+v", s.Status())
	}
}

func TestSerialHiddenWithoutAPIVisible(t *testing.T) {
	k := yksim.New(yksim.Options{})
	s := ccidSession(t, k)
	c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{1}, 20), false)
	c.SetSerialAPIVisible(false)
	if err := s.Put(yubikey.Slot2, c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Serial(); err == nil {
		t.Fatal("serial readable with SERIAL_API_VISIBLE off")
	}
}

func TestChallengeResponse(t *testing.T) {
	k := yksim.New(yksim.Options{})
	s := ccidSession(t, k)
	key := bytes.Repeat([]byte{0x42}, 20)
	c, _ := yubikey.ChalRespConfig(key, true)
	if err := s.Put(yubikey.Slot2, c, nil); err != nil {
		t.Fatal(err)
	}
	for _, ch := range [][]byte{[]byte("hello"), append([]byte("x"), 0)} {
		got, err := s.CalculateHMAC(yubikey.Slot2, ch)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha1.New, key)
		m.Write(ch)
		if !bytes.Equal(got, m.Sum(nil)) {
			t.Errorf("HMAC of %q = %x", ch, got)
		}
	}
}

// TestYubicoOTPEndToEnd programs a generated credential, presses the
// emulated button and verifies the OTPs with DecodeOTP.
func TestYubicoOTPEndToEnd(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 9000001})
	s := ccidSession(t, k)
	priv, aes := []byte{9, 8, 7, 6, 5, 4}, []byte("0123456789abcdef")
	cfg, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(9000001), priv, aes)
	if err := s.Put(yubikey.Slot1, cfg, nil); err != nil {
		t.Fatal(err)
	}
	var last uint32
	for i := 0; i < 3; i++ {
		otp, err := k.Press(1)
		if err != nil {
			t.Fatal(err)
		}
		if len(otp) != 44 || otp[:12] != yubikey.Modhex(yubikey.SerialPublicID(9000001)) {
			t.Fatalf("otp %q", otp)
		}
		o, err := yubikey.DecodeOTP(otp, aes, priv)
		if err != nil {
			t.Fatal(err)
		}
		if o.Counter() <= last {
			t.Errorf("counter %d after %d", o.Counter(), last)
		}
		last = o.Counter()
		if _, err := yubikey.DecodeOTP(otp, []byte("0123456789abcdeX"), priv); !errors.Is(err, yubikey.ErrOTPCRC) {
			t.Errorf("wrong key: %v", err)
		}
		if _, err := yubikey.DecodeOTP(otp, aes, []byte{9, 8, 7, 6, 5, 5}); !errors.Is(err, yubikey.ErrOTPPrivateID) {
			t.Errorf("wrong private ID: %v", err)
		}
	}
}

func TestHOTPPress(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 1234})
	s := ccidSession(t, k)
	id, m1, m2, err := yubikey.ParseTokenID("-", 1234)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{Digits: 8, Counter: 0, TokenID: id, FixedModhex1: m1, FixedModhex2: m2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(yubikey.Slot2, cfg, nil); err != nil {
		t.Fatal(err)
	}
	// RFC 4226 appendix D, 8 digits: 84755224 for counter 0.
	got, err := k.Press(2)
	if err != nil {
		t.Fatal(err)
	}
	if got != "ubhe00001234"+"84755224" {
		t.Fatalf("typed %q", got)
	}
}

func TestParseTokenID(t *testing.T) {
	cases := []struct {
		in     string
		fixed  string
		m1, m2 bool
		bad    bool
	}{
		{in: "-", fixed: "e163" + "00001234", m2: true},
		{in: "ubhe", fixed: "e163" + "00001234", m2: true},
		{in: "12345678", fixed: "e163" + "12345678", m2: true},
		{in: "cccccccccccc", fixed: "000000000000", m1: true, m2: true},
		{in: "ub0000000001", fixed: "e100" + "00000001", m1: true},
		{in: "12ub00000001", bad: true},
		{in: "ubhe1234", bad: true},
		{in: "ubhe12", bad: true},
		{in: "ubhe1234567x", bad: true},
	}
	for _, c := range cases {
		fixed, m1, m2, err := yubikey.ParseTokenID(c.in, 1234)
		if c.bad {
			if err == nil {
				t.Errorf("%q accepted", c.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := yubikey.Modhex(fixed); got != yubikey.Modhex(unhex(t, c.fixed)) || m1 != c.m1 || m2 != c.m2 {
			t.Errorf("%q: %x %v %v, want %s %v %v", c.in, fixed, m1, m2, c.fixed, c.m1, c.m2)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := yubikey.HOTPConfig(make([]byte, 20), yubikey.HOTPOptions{Counter: 17}); err == nil {
		t.Error("counter 17 accepted")
	}
	if _, err := yubikey.HOTPConfig(make([]byte, 20), yubikey.HOTPOptions{Counter: 1048576}); err == nil {
		t.Error("counter 1048576 accepted")
	}
	c, err := yubikey.HOTPConfig(make([]byte, 20), yubikey.HOTPOptions{Counter: 1048560})
	if err != nil || c.HOTPCounter() != 1048560 {
		t.Errorf("max counter: %v %d", err, c.HOTPCounter())
	}
	if _, err := yubikey.HOTPConfig(make([]byte, 21), yubikey.HOTPOptions{}); err == nil {
		t.Error("21-byte key accepted")
	}
	if _, err := yubikey.HOTPConfig(make([]byte, 20), yubikey.HOTPOptions{Digits: 7}); err == nil {
		t.Error("7 digits accepted")
	}
	if _, err := yubikey.YubicoOTPConfig(make([]byte, 6), make([]byte, 5), make([]byte, 16)); err == nil {
		t.Error("5-byte private ID accepted")
	}
	bad := yubikey.DeleteConfig()
	bad[0] = 1
	if _, err := yubikey.ParseConfig(bad); err == nil {
		t.Error("bad CRC accepted")
	}
	k, _ := yubikey.YubicoOTPConfig(make([]byte, 6), []byte("PRIVID"), bytes.Repeat([]byte{0x5A}, 16))
	k.SetAccessCode([]byte("ACCESS"))
	holder := struct{ C yubikey.Config }{*k}
	for _, s := range []string{k.String(), k.GoString(), fmt.Sprintf("%v %+v %#v", k, *k, *k), fmt.Sprintf("%v %+v", holder, holder)} {
		for _, secret := range []string{"5a5a", "ZZZZ", "90 90", "PRIVID", "ACCESS", "[80 82", "[65 67 67"} {
			if strings.Contains(s, secret) {
				t.Errorf("formatting shows a secret (%s): %s", secret, s)
			}
		}
	}
	otpText, _ := yubikey.EncodeOTP([]byte{1, 2, 3, 4, 5, 6}, bytes.Repeat([]byte{0x5A}, 16), []byte("PRIVID"), 1, 2, 3, 4)
	o, err := yubikey.DecodeOTP(otpText, bytes.Repeat([]byte{0x5A}, 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", o, *o, o)} {
		if strings.Contains(s, "PRIVID") || strings.Contains(s, "[80 82") || strings.Contains(s, "505249564944") {
			t.Errorf("OTP formatting shows the private ID: %s", s)
		}
	}
}

func FuzzParseModhex(f *testing.F) {
	f.Add("cbdefghijklnrtuv")
	f.Add("vvccccnrhbfu")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := yubikey.ParseModhex(s)
		if err == nil && yubikey.Modhex(b) != strings.ToLower(s) {
			t.Fatalf("round trip %q -> %q", s, yubikey.Modhex(b))
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	c, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{Digits: 8})
	f.Add(c.Bytes())
	f.Add(yubikey.DeleteConfig())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := yubikey.ParseConfig(b)
		if err != nil {
			return
		}
		if c.Mode() != yubikey.ModeEmpty && !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("re-encoding differs: %x -> %x", b, c.Bytes())
		}
	})
}

// FuzzParseTokenID: whatever the text, a token identifier that parses fits
// the fixed part, and its modhex flags are ones HOTPConfig takes.
func FuzzParseTokenID(f *testing.F) {
	for _, s := range []string{"-", "ubhe", "12345678", "cccccccccccc", "ub0000000001", "12ub00000001", "ubhe1234567x", ""} {
		f.Add(s, uint32(1234))
	}
	f.Fuzz(func(t *testing.T, id string, serial uint32) {
		fixed, m1, m2, err := yubikey.ParseTokenID(id, serial)
		if err != nil {
			return
		}
		if len(fixed) != 6 {
			t.Fatalf("%q: fixed part of %d bytes", id, len(fixed))
		}
		if _, err := yubikey.HOTPConfig(make([]byte, 20), yubikey.HOTPOptions{TokenID: fixed, FixedModhex1: m1, FixedModhex2: m2}); err != nil {
			t.Fatalf("%q: %v", id, err)
		}
	})
}

func FuzzDecodeOTP(f *testing.F) {
	key := []byte("0123456789abcdef")
	otp, _ := yubikey.EncodeOTP([]byte{1, 2, 3, 4, 5, 6}, key, []byte{6, 5, 4, 3, 2, 1}, 1, 2, 3, 4)
	f.Add(otp)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := yubikey.DecodeOTP(s, key, nil)
		if err == nil && len(o.PrivateID) != 6 {
			t.Fatal("bad private ID length")
		}
	})
}

// FuzzCCIDResponses: any card answers to SELECT, writes and reads are
// handled without panic.
func FuzzCCIDResponses(f *testing.F) {
	f.Add([]byte{5, 4, 3, 0, 0, 0, 0x90, 0x00}, []byte{0, 0xbc, 0x61, 0x4e, 0x90, 0x00})
	f.Add([]byte{0x6a, 0x82}, []byte{})
	f.Fuzz(func(t *testing.T, sel, resp []byte) {
		n := 0
		tr := apdu.TransmitFunc(func(cmd []byte) ([]byte, error) {
			n++
			if n == 1 {
				return sel, nil
			}
			return resp, nil
		})
		b, err := yubikey.NewCCID(tr)
		if err != nil {
			return
		}
		s, err := yubikey.NewSession(b)
		if err != nil {
			return
		}
		s.Serial()
		s.Delete(1, nil)
		s.CalculateHMAC(2, []byte("x"))
	})
}

func TestCheckHOTPFromKey(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 99})
	s := ccidSession(t, k)
	key := []byte("12345678901234567890")
	id, m1, m2, _ := yubikey.ParseTokenID("-", 99)
	cfg, _ := yubikey.HOTPConfig(key, yubikey.HOTPOptions{Counter: 16, TokenID: id, FixedModhex1: m1, FixedModhex2: m2})
	if err := s.Put(1, cfg, nil); err != nil {
		t.Fatal(err)
	}
	k.Press(1) // one press lost
	typed, _ := k.Press(1)
	c, err := yubikey.CheckHOTP(typed, key, 16, 6, 5)
	if err != nil || c != 17 {
		t.Fatalf("CheckHOTP(%q) = %d, %v; want counter 17", typed, c, err)
	}
	if _, err := yubikey.CheckHOTP(typed, key, 18, 6, 5); !errors.Is(err, yubikey.ErrHOTPMismatch) {
		t.Fatalf("past code accepted: %v", err)
	}
	for _, bad := range []string{typed[:len(typed)-1] + "x", "12345"} {
		if _, err := yubikey.CheckHOTP(bad, key, 16, 6, 5); !errors.Is(err, yubikey.ErrHOTPMismatch) {
			t.Errorf("CheckHOTP(%q): %v, want ErrHOTPMismatch", bad, err)
		}
	}
	// At the top of the counter space the search ends instead of wrapping.
	if _, err := yubikey.CheckHOTP(typed, key, ^uint64(0)-2, 6, 5); !errors.Is(err, yubikey.ErrHOTPMismatch) {
		t.Errorf("counter at the top: %v", err)
	}
}

// frozenSeq is a CCID key on firmware 5.4.2: the sequence never moves.
func TestCCIDFirmwareWithoutSequence(t *testing.T) {
	for _, c := range []struct {
		fw   byte
		want bool
	}{{2, true}, {3, false}} {
		tr := apdu.TransmitFunc(func(cmd []byte) ([]byte, error) {
			return []byte{5, 4, c.fw, 7, 1, 0, 0x90, 0x00}, nil
		})
		b, _ := yubikey.NewCCID(tr)
		s, _ := yubikey.NewSession(b)
		cfg, _ := yubikey.ChalRespConfig(make([]byte, 20), false)
		err := s.Put(1, cfg, nil)
		if (err == nil) != c.want {
			t.Errorf("firmware 5.4.%d: %v", c.fw, err)
		}
		// Nothing there tells: the slot was and is programmed, and the
		// challenge gets no answer.
		if s.Unconfirmed() != c.want {
			t.Errorf("firmware 5.4.%d: unconfirmed %v", c.fw, s.Unconfirmed())
		}
	}
}

// TestFrozenSequenceJudgedByState: on firmware 5.4.2 over CCID the
// programming sequence never moves, so a refused write (a wrong access
// code) answers exactly like one that took. The session then judges by the
// slot state read afresh and, for challenge-response, by a challenge; what
// neither can tell is accepted but reported Unconfirmed.
func TestFrozenSequenceJudgedByState(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 542, Version: yubikey.Version{5, 4, 2}})
	s := ccidSession(t, k)
	code := []byte{1, 2, 3, 4, 5, 6}
	wrong := []byte{6, 6, 6, 6, 6, 6}
	hotp, _ := yubikey.HOTPConfig(bytes.Repeat([]byte{7}, 20), yubikey.HOTPOptions{})
	hotp.SetAccessCode(code)
	step := func(what string, err error, wantErr error, unconfirmed bool) {
		t.Helper()
		if (wantErr == nil && err != nil) || (wantErr != nil && !errors.Is(err, wantErr)) {
			t.Fatalf("%s: %v, want %v", what, err, wantErr)
		}
		if s.Unconfirmed() != unconfirmed {
			t.Fatalf("%s: unconfirmed %v, want %v", what, s.Unconfirmed(), unconfirmed)
		}
	}
	seq := s.Status().Seq
	step("HOTP into the empty slot 1", s.Put(1, hotp, nil), nil, false)
	if k.Slot(1).Mode != yubikey.ModeHOTP || s.Status().Seq != seq {
		t.Fatalf("slot 1 %v, sequence %d -> %d (the emulator should freeze it)", k.Slot(1).Mode, seq, s.Status().Seq)
	}
	before := k.Slot(1).Config

	// Keyboard over keyboard with a wrong code: nothing can tell.
	otp, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(542), []byte{1, 1, 1, 1, 1, 1}, bytes.Repeat([]byte{2}, 16))
	step("Yubico OTP over HOTP, wrong code", s.Put(1, otp, wrong), nil, true)
	// Challenge-response over keyboard: the touch bit would change; it did not.
	cr, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{3}, 20), false)
	step("chalresp over HOTP, wrong code", s.Put(1, cr, wrong), yubikey.ErrAccessCode, false)
	step("delete, wrong code", s.Delete(1, wrong), yubikey.ErrAccessCode, false)
	if !bytes.Equal(k.Slot(1).Config, before) {
		t.Fatal("slot 1 changed by refused writes")
	}
	step("chalresp over HOTP, right code", s.Put(1, cr, code), nil, false)
	if k.Slot(1).Mode != yubikey.ModeChalRespHMAC {
		t.Fatalf("slot 1 %v", k.Slot(1).Mode)
	}

	// Challenge-response over challenge-response: the challenge tells.
	other, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{4}, 20), false)
	other.SetAccessCode(code)
	k.Program(2, other)
	s = ccidSession(t, k)
	before = k.Slot(2).Config
	cr2, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{5}, 20), false)
	step("chalresp over chalresp, wrong code", s.Put(2, cr2, wrong), yubikey.ErrAccessCode, false)
	if !bytes.Equal(k.Slot(2).Config, before) {
		t.Fatal("slot 2 changed by a refused write")
	}
	cr2.SetLT64(false)
	step("chalresp over chalresp, right code", s.Put(2, cr2, code), nil, false)
	if !bytes.Equal(k.Slot(2).Config, cr2.Bytes()) {
		t.Fatal("slot 2 does not hold the new key")
	}
	touch, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{6}, 20), true)
	step("chalresp with touch over chalresp (no challenge without a touch)", s.Put(2, touch, nil), nil, true)

	// Swap and delete change the slot state: judged by it.
	step("delete slot 2", s.Delete(2, nil), nil, false)
	step("swap with slot 2 empty", s.Swap(), nil, false)
	if k.Slot(1).Configured || !k.Slot(2).Configured {
		t.Fatal("swap did not swap")
	}
	step("delete slot 1, already empty", s.Delete(1, nil), nil, false)
}

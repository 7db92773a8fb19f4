package hid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/internal/testpeer"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// yubikitFrames runs Yubico's yubikit (Debian's yubikey-manager, under
// /usr/bin/python3) over a fake OTP HID connection and returns the feature
// reports it writes for each operation of testdata/yubikit_frames.py.
func yubikitFrames(t *testing.T) map[string][]string {
	t.Helper()
	py := "/usr/bin/python3"
	testpeer.Check(t, "yubikit (yubikey-manager) under "+py, py, "-c", "import yubikit.yubiotp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "testdata/yubikit_frames.py").Output()
	if err != nil {
		t.Fatalf("yubikit: %v", err)
	}
	var m map[string][]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHIDFramesMatchYubikit: for the same operations, tokenctl's HID
// transport writes the same feature reports as Yubico's yubikit.
func TestHIDFramesMatchYubikit(t *testing.T) {
	want := yubikitFrames(t)
	acc := []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6}
	protected := func(k *yksim.Key) {
		c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{9}, 20), false)
		c.SetAccessCode(acc)
		k.Program(1, c)
	}
	cases := map[string]struct {
		setup func(*yksim.Key)
		do    func(*yubikey.Session) error
	}{
		"yubiotp": {do: func(s *yubikey.Session) error {
			c, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(12345678), []byte{1, 2, 3, 4, 5, 6}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
			return s.Put(1, c, nil)
		}},
		"hotp": {do: func(s *yubikey.Session) error {
			id, m1, m2, _ := yubikey.ParseTokenID("-", 12345678)
			c, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{Digits: 8, Counter: 32, TokenID: id, FixedModhex1: m1, FixedModhex2: m2})
			return s.Put(2, c, nil)
		}},
		"chalresp-touch": {setup: func(k *yksim.Key) {
			c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{9}, 20), false)
			c.SetAccessCode(acc)
			k.Program(2, c)
		}, do: func(s *yubikey.Session) error {
			c, _ := yubikey.ChalRespConfig([]byte("0123456789:;<=>?@ABC"), true)
			c.SetAccessCode(acc)
			return s.Put(2, c, acc)
		}},
		"serial": {do: func(s *yubikey.Session) error {
			n, err := s.Serial()
			if err == nil && n != 12345678 {
				t.Errorf("serial %d", n)
			}
			return err
		}},
		"delete-acc": {setup: protected, do: func(s *yubikey.Session) error { return s.Delete(1, acc) }},
		"swap": {setup: func(k *yksim.Key) {
			c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{9}, 20), false)
			k.Program(1, c)
		}, do: func(s *yubikey.Session) error { return s.Swap() }},
		"settings": {setup: protected, do: func(s *yubikey.Session) error {
			c := yubikey.UpdateConfig(false)
			c.SetAccessCode([]byte{0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6})
			return s.Update(1, c, acc)
		}},
	}
	if len(want) != len(cases) {
		t.Fatalf("yubikit gave %d operations, %d here", len(want), len(cases))
	}
	for name, c := range cases {
		k := yksim.New(yksim.Options{Serial: 12345678})
		if c.setup != nil {
			c.setup(k)
		}
		o := hid.NewOTP(k.HID())
		o.Sleep = func(time.Duration) {}
		s, err := yubikey.NewSession(o)
		if err != nil {
			t.Fatal(err)
		}
		k.ResetLog()
		if err := c.do(s); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := hexes(k.Reports())
		w := want[name]
		if len(got) != len(w) {
			t.Errorf("%s: %d reports, yubikit %d:\n got %v\nwant %v", name, len(got), len(w), got, w)
			continue
		}
		for i := range got {
			if got[i] != w[i] {
				t.Errorf("%s: report %d = %s, yubikit %s", name, i, got[i], w[i])
			}
		}
	}
}

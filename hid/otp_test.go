package hid_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

type hidVectors struct {
	HIDWrites []struct {
		Name       string   `json:"name"`
		Command    byte     `json:"command"`
		Config     string   `json:"config"`
		AccessCode string   `json:"current_access_code"`
		Reports    []string `json:"reports"`
	} `json:"hid_writes"`
	FrameOnly []struct {
		Command byte     `json:"command"`
		Payload string   `json:"payload"`
		Reports []string `json:"reports"`
	} `json:"hid_frame_only"`
}

func load(t *testing.T) *hidVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/yubikey-otp.json")
	if err != nil {
		t.Fatal(err)
	}
	var v hidVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.HIDWrites) == 0 || len(v.FrameOnly) == 0 {
		t.Fatal("no HID vectors")
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

func hexes(rs [][]byte) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = hex.EncodeToString(r)
	}
	return out
}

func newOTP(dev hid.FeatureDevice) *hid.OTP {
	o := hid.NewOTP(dev)
	o.Sleep = func(time.Duration) {}
	return o
}

// TestHIDWriteVectors sends every vector through the HID transport to the
// emulator and compares the reports the emulator received, byte for byte.
func TestHIDWriteVectors(t *testing.T) {
	v := load(t)
	for _, w := range v.HIDWrites {
		k := yksim.New(yksim.Options{})
		o := newOTP(k.HID())
		payload := append(unhex(t, w.Config), unhex(t, w.AccessCode)...)
		before, err := o.Status()
		if err != nil {
			t.Fatal(err)
		}
		st, err := o.Write(w.Command, payload)
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		if st.Seq != before.Seq+1 {
			t.Errorf("%s: sequence %d -> %d: the emulator did not take the write", w.Name, before.Seq, st.Seq)
		}
		got := hexes(k.Reports())
		if len(got) != len(w.Reports) {
			t.Errorf("%s: %d reports, want %d:\n got %v\nwant %v", w.Name, len(got), len(w.Reports), got, w.Reports)
			continue
		}
		for i := range got {
			if got[i] != w.Reports[i] {
				t.Errorf("%s: report %d = %s, want %s", w.Name, i, got[i], w.Reports[i])
			}
		}
		f, _ := hid.Frame(w.Command, payload)
		if g := hexes(hid.Reports(f)); len(g) != len(w.Reports) || g[0] != w.Reports[0] {
			t.Errorf("%s: Reports() = %v", w.Name, g)
		}
	}
	for _, fo := range v.FrameOnly {
		f, err := hid.Frame(fo.Command, unhex(t, fo.Payload))
		if err != nil {
			t.Fatal(err)
		}
		got := hexes(hid.Reports(f))
		if len(got) != len(fo.Reports) {
			t.Fatalf("frame-only command %d: %v, want %v", fo.Command, got, fo.Reports)
		}
		for i := range got {
			if got[i] != fo.Reports[i] {
				t.Errorf("frame-only command %d: report %d = %s, want %s", fo.Command, i, got[i], fo.Reports[i])
			}
		}
	}
}

func session(t *testing.T, k *yksim.Key) *yubikey.Session {
	t.Helper()
	s, err := yubikey.NewSession(newOTP(k.HID()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHIDSerialAndReset(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 31415926})
	s := session(t, k)
	n, err := s.Serial()
	if err != nil || n != 31415926 {
		t.Fatalf("serial %d, %v", n, err)
	}
	reps := k.Reports()
	last := reps[len(reps)-1]
	if !bytes.Equal(last, []byte{0, 0, 0, 0, 0, 0, 0, 0xFF}) {
		t.Errorf("last report %x, want the reset report", last)
	}
	// The serial command: frame of 0x10 with an empty payload.
	f, _ := hid.Frame(yubikey.CmdDeviceSerial, nil)
	want := hexes(hid.Reports(f))
	if got := hexes(reps[:len(reps)-1]); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("serial reports %v, want %v", got, want)
	}
}

func TestHIDProgramAccessCodeDeleteSwap(t *testing.T) {
	k := yksim.New(yksim.Options{})
	s := session(t, k)
	cfg, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{Digits: 8, Counter: 32})
	code := []byte{1, 2, 3, 4, 5, 6}
	cfg.SetAccessCode(code)
	if err := s.Put(yubikey.Slot2, cfg, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Slot(2).Config, cfg.Bytes()) {
		t.Fatal("slot 2 does not hold the configuration")
	}
	err := s.Delete(yubikey.Slot2, []byte{6, 5, 4, 3, 2, 1})
	if !errors.Is(err, yubikey.ErrAccessCode) {
		t.Fatalf("delete with wrong code: %v", err)
	}
	if !k.Slot(2).Configured {
		t.Fatal("slot deleted with a wrong code")
	}
	if err := s.Delete(yubikey.Slot2, code); err != nil {
		t.Fatal(err)
	}
	c1, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{3}, 20), false)
	if err := s.Put(yubikey.Slot1, c1, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Swap(); err != nil {
		t.Fatal(err)
	}
	if k.Slot(1).Configured || k.Slot(2).Mode != yubikey.ModeChalRespHMAC {
		t.Fatal("swap")
	}
	r, err := s.CalculateHMAC(yubikey.Slot2, []byte("abc"))
	if err != nil || len(r) != 20 {
		t.Fatalf("hmac %x %v", r, err)
	}
}

// TestHIDBusyPolling: a key that stays busy a few polls is waited for; one
// that stays busy forever makes the write fail within the bound.
func TestHIDBusyPolling(t *testing.T) {
	k := yksim.New(yksim.Options{})
	k.SetBusyPolls(3)
	s := session(t, k)
	c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{3}, 20), false)
	if err := s.Put(yubikey.Slot1, c, nil); err != nil {
		t.Fatal(err)
	}
	k2 := yksim.New(yksim.Options{})
	k2.SetBusyPolls(1000)
	o := newOTP(k2.HID())
	sleeps := 0
	o.Sleep = func(time.Duration) { sleeps++ }
	s2, _ := yubikey.NewSession(o)
	err := s2.Put(yubikey.Slot1, c, nil)
	if !errors.Is(err, hid.ErrTimeout) {
		t.Fatalf("got %v, want a timeout", err)
	}
	if sleeps > 200 {
		t.Errorf("%d polls: the wait is not bounded", sleeps)
	}
}

func TestHIDTouchTimeout(t *testing.T) {
	k := yksim.New(yksim.Options{NoAutoTouch: true})
	s := session(t, k)
	c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{3}, 20), true)
	if err := s.Put(yubikey.Slot1, c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CalculateHMAC(yubikey.Slot1, []byte("x")); !errors.Is(err, hid.ErrTouchTimeout) {
		t.Fatalf("no touch: %v", err)
	}
	k.Touch()
	if _, err := s.CalculateHMAC(yubikey.Slot1, []byte("x")); err != nil {
		t.Fatalf("with touch: %v", err)
	}
}

func TestHIDUnplugged(t *testing.T) {
	k := yksim.New(yksim.Options{})
	s := session(t, k)
	k.Unplug()
	c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{3}, 20), false)
	if err := s.Put(yubikey.Slot1, c, nil); !errors.Is(err, yksim.ErrUnplugged) {
		t.Fatalf("unplugged: %v", err)
	}
}

func BenchmarkHIDWrite(b *testing.B) {
	k := yksim.New(yksim.Options{})
	o := hid.NewOTP(k.HID())
	o.Sleep = func(time.Duration) {}
	s, _ := yubikey.NewSession(o)
	c, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{})
	for i := 0; i < b.N; i++ {
		if err := s.Put(yubikey.Slot1, c, nil); err != nil {
			b.Fatal(err)
		}
	}
}

package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/tokenctl/tokenctl/device"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
	simyk "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// usb is a simulated USB bus: the keys plugged in now.
type usb struct {
	mu   sync.Mutex
	keys map[string]*simyk.Key
}

func (u *usb) plug(k *simyk.Key) {
	u.mu.Lock()
	u.keys[fmt.Sprint(k.SerialNumber())] = k
	u.mu.Unlock()
}

func (u *usb) unplug(k *simyk.Key) {
	u.mu.Lock()
	delete(u.keys, fmt.Sprint(k.SerialNumber()))
	u.mu.Unlock()
}

func (u *usb) list() ([]HIDKey, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []HIDKey
	for p, k := range u.keys {
		k := k
		out = append(out, HIDKey{Path: "usb:" + p, Open: func() (hid.FeatureDevice, error) { return k.HID(), nil }})
	}
	return out, nil
}

// TestYubiKeyHIDBatch: keys plugged into USB one after another (the first
// already there when the batch starts) are each programmed once, HOTP in
// slot 1, verified by a touch.
func TestYubiKeyHIDBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	bus := &usb{keys: map[string]*simyk.Key{}}
	var keys []*simyk.Key
	for i := 0; i < 4; i++ {
		keys = append(keys, simyk.New(simyk.Options{Serial: uint32(5000001 + i)}))
	}
	bus.plug(keys[0])
	// The operator: unplug a key once it is programmed, plug the next.
	go func() {
		for i, k := range keys {
			for k.Writes() == 0 {
				if ctx.Err() != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			bus.unplug(k)
			if i+1 < len(keys) {
				time.Sleep(20 * time.Millisecond)
				bus.plug(keys[i+1])
			}
		}
	}()
	byserial := map[string]*simyk.Key{}
	for _, k := range keys {
		byserial[strconv.FormatUint(uint64(k.SerialNumber()), 10)] = k
	}
	touch := promptFunc(func(q string) string {
		otp, err := byserial[questionSerial(t, q)].Press(1)
		if err != nil {
			t.Error(err)
		}
		return otp
	})
	l, _, _ := newTestLedger(t)
	sum, err := Run(ctx, Config{Ledger: l, Recipe: YubiKeyRecipe{Kind: seed.HOTP, Digits: 6}, Count: len(keys), Slot: 1,
		Station: &YubiKeyHIDStation{Slot: 1, List: bus.list, Poll: 10 * time.Millisecond},
		Verify:  &TouchVerifier{Prompt: touch}})
	if err != nil || sum.Verified != len(keys) || sum.Presented != len(keys) {
		t.Fatalf("%+v %v", sum, err)
	}
	for s, k := range byserial {
		secret, rec := ledgerSecret(t, l, s)
		cfg, err := yubiKeyConfig(&seed.Token{Kind: seed.HOTP, Hash: seed.SHA1, Digits: 6, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if k.Writes() != 1 || !bytes.Equal(k.Slot(1).Config, cfg.Bytes()) || rec.Slot != 1 {
			t.Fatalf("key %s: %d writes, slot 1 differs from the ledger", s, k.Writes())
		}
	}
}

// TestYubiKeyAccessCodeResume: each slot gets its own random access code,
// sealed in the ledger; a key whose write took before a crash (pending
// record, slot now protected by that code) is re-burned with it.
func TestYubiKeyAccessCodeResume(t *testing.T) {
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	l, path, idf := newTestLedger(t)
	k := simyk.New(simyk.Options{Serial: 6000001})
	bus := &usb{keys: map[string]*simyk.Key{}}
	bus.plug(k)
	r := YubiKeyRecipe{Kind: seed.YubicoOTP, AccessCode: true}

	// The crash: recorded, written, never marked.
	crashed, err := ledger.OpenFile(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	st := &YubiKeyHIDStation{Slot: 1, List: bus.list, Poll: 5 * time.Millisecond}
	d, err := st.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.New(d)
	if err != nil {
		t.Fatal(err)
	}
	code := tok.Label(ledger.LabelAccessCode)
	if len(code) != 12 {
		t.Fatalf("access code %q", code)
	}
	if _, err := crashed.Reserve(bg, tok, ledger.Entry{Family: ledger.YubiKey, Slot: 1}); err != nil {
		t.Fatal(err)
	}
	if err := d.Program(tok, false); err != nil {
		t.Fatal(err)
	}
	d.Close()
	crashed.Close()
	if got := k.Slot(1).AccessCode; fmt.Sprintf("%x", got) != code {
		t.Fatalf("slot access code %x, want %s", got, code)
	}

	// Presented again (unplugged and plugged back in): resumed.
	bus.unplug(k)
	go func() {
		time.Sleep(30 * time.Millisecond)
		bus.plug(k)
	}()
	_ = idf
	sum, err := Run(ctx, Config{Ledger: l, Recipe: r, Count: 1, Slot: 1, Station: st})
	if err != nil || sum.Done != 1 || sum.Resumed != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	rec, err := l.Get(bg, "6000001")
	if err != nil || rec.State != ledger.Programmed {
		t.Fatalf("%+v %v", rec, err)
	}
	ac, err := l.AccessCode(rec)
	if err != nil || fmt.Sprintf("%x", ac) != code || fmt.Sprintf("%x", k.Slot(1).AccessCode) != code || k.Writes() != 2 {
		t.Fatalf("access code %x (slot %x, %d writes), want %s", ac, k.Slot(1).AccessCode, k.Writes(), code)
	}
}

// TestYubiKeyAccessCodeTriedOnlyOnResume: a slot that refuses the write
// for a wrong access code is tried with the token's own code only when the
// token is a re-burn (the interrupted write may have set that code); a new
// token gets exactly one attempt.
func TestYubiKeyAccessCodeTriedOnlyOnResume(t *testing.T) {
	ownCode := []byte{1, 2, 3, 4, 5, 6}
	for _, c := range []struct {
		name       string
		slotCode   []byte // access code protecting slot 1 before the write
		resumed    bool
		wantWrites int // configuration commands the key receives
		wantErr    bool
	}{
		{"new token, slot locked by someone else", []byte{9, 9, 9, 9, 9, 9}, false, 1, true},
		{"new token, slot locked by its own code", ownCode, false, 1, true},
		{"re-burn, slot locked by its own code", ownCode, true, 2, false},
		{"re-burn, slot locked by someone else", []byte{9, 9, 9, 9, 9, 9}, true, 2, true},
		{"re-burn, slot open", nil, true, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := simyk.New(simyk.Options{Serial: 6000002})
			if c.slotCode != nil {
				old, err := yubikey.ChalRespConfig(bytes.Repeat([]byte{7}, 20), false)
				if err != nil {
					t.Fatal(err)
				}
				old.SetAccessCode(c.slotCode)
				if err := k.Program(1, old); err != nil {
					t.Fatal(err)
				}
			}
			ccid, err := yubikey.NewCCID(k.APDU())
			if err != nil {
				t.Fatal(err)
			}
			k2, err := device.Open(ccid, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			d := newYubiKeyDevice(k2, 1)
			tok := &seed.Token{Serial: d.Serial(), Kind: seed.HOTP, Hash: seed.SHA1, Digits: 6, Secret: bytes.Repeat([]byte{5}, 20)}
			tok.SetLabel(ledger.LabelAccessCode, fmt.Sprintf("%x", ownCode))
			k.ResetLog()
			err = d.Program(tok, c.resumed)
			if got := len(k.ConfigAPDUs()); got != c.wantWrites || (err != nil) != c.wantErr {
				t.Fatalf("%d configuration commands, error %v; want %d, error %v", got, err, c.wantWrites, c.wantErr)
			}
			if c.wantErr && !errors.Is(err, yubikey.ErrAccessCode) {
				t.Fatalf("error %v, want the access code refusal", err)
			}
			cfg, err := yubikey.ParseConfig(k.Slot(1).Config)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Equal(cfg.HMACKey(), tok.Secret); got == c.wantErr {
				t.Fatalf("slot 1 holds the new key: %v, want %v", got, !c.wantErr)
			}
		})
	}
}

// TestYubiKeyHiddenSerialNamed: a key that refuses to tell its serial is
// named as such; the hint is not added to a transport failure.
func TestYubiKeyHiddenSerialNamed(t *testing.T) {
	k := simyk.New(simyk.Options{Serial: 6000003})
	cfg, err := yubikey.HOTPConfig(bytes.Repeat([]byte{7}, 20), yubikey.HOTPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Ext &^= yubikey.ExtSerialAPIVisible
	if err := k.Program(1, cfg); err != nil {
		t.Fatal(err)
	}
	ccid, err := yubikey.NewCCID(k.APDU())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := device.Open(ccid, "test", nil); err == nil || !strings.Contains(err.Error(), "serial is hidden") {
		t.Fatalf("hidden serial: %v", err)
	}
}

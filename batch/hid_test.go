package batch

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/seed"
	simyk "github.com/tokenctl/tokenctl/sim/yubikey"
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

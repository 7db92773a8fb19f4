package yubikey_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	yk "github.com/tokenctl/tokenctl/yubikey"
)

// TestFrozenSequenceOverCCID: an emulated key of firmware 5.0.0 to 5.4.2
// takes writes over CCID without moving its programming sequence, as real
// ones do; over HID, and on other firmware, the sequence moves.
func TestFrozenSequenceOverCCID(t *testing.T) {
	for _, c := range []struct {
		v            yk.Version
		frozenOnCCID bool
	}{{yk.Version{5, 0, 0}, true}, {yk.Version{5, 4, 2}, true}, {yk.Version{5, 4, 3}, false}, {yk.Version{4, 3, 7}, false}} {
		k := yksim.New(yksim.Options{Version: c.v})
		cfg, _ := yk.ChalRespConfig(bytes.Repeat([]byte{1}, 20), false)
		b, err := yk.NewCCID(k.APDU())
		if err != nil {
			t.Fatal(err)
		}
		st, err := b.Write(yk.CmdConfig1, append(cfg.Bytes(), make([]byte, 6)...))
		if err != nil {
			t.Fatal(err)
		}
		if !k.Slot(1).Configured || (st.Seq == 0) != c.frozenOnCCID || !st.Configured(1) {
			t.Errorf("firmware %s over CCID: slot 1 %v, status %+v", c.v, k.Slot(1).Configured, st)
		}
		before := k.Status().Seq
		o := hid.NewOTP(k.HID())
		o.Sleep = func(time.Duration) {}
		if st, err := o.Write(yk.CmdConfig2, append(cfg.Bytes(), make([]byte, 6)...)); err != nil || st.Seq != before+1 {
			t.Errorf("firmware %s over HID: sequence %d -> %d (%v)", c.v, before, st.Seq, err)
		}
	}
}

package t2fido_test

import (
	"bytes"
	"testing"

	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// FuzzTransmit feeds the applet's parser arbitrary APDUs on a selected key
// holding a button HOTP: it always answers with a status word; the button
// HOTP changes only on 90 00 to a button write, the options only on 90 00,
// and the key bricks only on the bricking command.
func FuzzTransmit(f *testing.F) {
	priv := t2fido.KeyFromSeed([]byte("fuzz"))
	blob, _ := fido.Seal(fixed{bytes.Repeat([]byte{7}, 32)}, priv.PublicKey(), append([]byte{6, 20}, secret20...), fido.IVButton)
	del, _ := fido.Seal(fixed{bytes.Repeat([]byte{7}, 32)}, priv.PublicKey(), []byte{0, 0}, fido.IVButton)
	for _, s := range [][]byte{
		button(blob), button(del), {0x80, 0xC5, 0x01, 0x00, 0x00}, {0x80, 0xC5, 0x02, 0x02, 0x01, 0x01},
		{0x80, 0xC5, 0x02, 0x01, 0x01, 0x03}, {0x80, 0xC5, 0x02, 0x01, 0x01, 0x07}, {0x00, 0xA4, 0x04, 0x00, 0x01, 0x00}, {}, {0x80},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd []byte) {
		k := t2fido.New(t2fido.Options{Key: priv})
		k.Transmit(append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(fido.AID))}, fido.AID...))
		k.Transmit(button(blob))
		before := k.State()
		resp := k.Transmit(cmd)
		if len(resp) < 2 {
			t.Fatalf("answer % X without status word", resp)
		}
		after := k.State()
		ok := status(resp) == 0x9000
		if (!bytes.Equal(before.Seed, after.Seed) || before.Digits != after.Digits) && !(ok && len(cmd) > 4 && cmd[2] == 0 && cmd[3] == 0) {
			t.Fatalf("button HOTP changed by % X (%04X)", cmd, status(resp))
		}
		if before.Options != after.Options && !ok {
			t.Fatalf("options changed by a refused command (%04X)", status(resp))
		}
		if after.Bricked && (!ok || !fido.Forbidden(cmd) || len(k.Forbidden()) != 1) {
			t.Fatalf("bricked by % X", cmd)
		}
		if len(resp) > 2 && !bytes.Equal(resp[:len(resp)-2], k.PublicKey().Bytes()[1:]) {
			t.Fatalf("data % X", resp)
		}
	})
}

// FuzzHIDReports writes arbitrary 64-byte reports to the key's HID side
// and reads what comes back: no panic, every answer framed, no answer
// longer than a short APDU's.
func FuzzHIDReports(f *testing.F) {
	f.Add(report(0x00, 0, []byte{0x80, 0xC5, 0x01, 0x00, 0x00}), byte(0))
	f.Add(append(report(0x20, 0, make([]byte, 61)), report(0x00, 1, []byte{1})...), byte(3))
	f.Fuzz(func(t *testing.T, b []byte, o byte) {
		k := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed(nil)})
		h := k.HID(t2fido.HIDOptions{Chunk: int(o % 64), Busy: int(o>>6) & 3, BusyEveryChunk: o&1 == 1})
		k.Transmit(append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(fido.AID))}, fido.AID...))
		for len(b) >= 64 {
			r := b[:64]
			b = b[64:]
			if err := h.WriteReport(r); err != nil {
				if k.Bricked() {
					return
				}
				t.Fatal(err)
			}
			total := 0
			for {
				rep := make([]byte, 64)
				if _, err := h.ReadReport(rep); err != nil {
					break
				}
				if rep[0] != 0x21 || rep[2] > 61 {
					t.Fatalf("report % X", rep[:3])
				}
				total += int(rep[2])
			}
			if total > 258 {
				t.Fatalf("answer of %d bytes", total)
			}
		}
	})
}

package token2_test

import (
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/token2"
)

// FuzzTransmit feeds the emulator arbitrary APDUs on an authenticated
// session: it must always answer with a status word, and only a valid
// write may change the seed.
func FuzzTransmit(f *testing.F) {
	tlv, _ := token2.Config{Time: time.Unix(1700000000, 0), Hash: seed.SHA1, Period: 30}.TLV()
	cfg, _ := token2.SecureCommand(token2.DeviceKey, token2.InsWriteConfig, 0, 0, tlv)
	enc, _ := token2.EncryptSeed(token2.DeviceKey, []byte("12345678901234567890"))
	sd, _ := token2.SecureCommand(token2.DeviceKey, token2.InsWriteSeed, 1, 0, enc)
	for _, s := range [][]byte{cfg, sd, {0x80, 0x41, 0, 0, 2, 2, 0x11}, {0x80, 0x4B, 8, 0, 1, 0}, {0x00, 0xC0, 0, 0, 8}, {}, {0x84}} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, cmd []byte, contact bool) {
		tok := simt2.New(simt2.Options{Contact: contact})
		if !contact {
			if err := token2.NewSession(direct(tok)).Authenticate(); err != nil {
				t.Fatal(err)
			}
		}
		before := tok.State().Seed
		resp := tok.Transmit(cmd)
		if len(resp) < 2 {
			t.Fatalf("response % X without status word", resp)
		}
		after := tok.State().Seed
		sw := uint16(resp[len(resp)-2])<<8 | uint16(resp[len(resp)-1])
		if string(before) != string(after) && sw != 0x9000 {
			t.Fatalf("seed changed by a refused command (%04X)", sw)
		}
	})
}

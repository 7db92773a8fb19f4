//go:build cgo || windows

package yubikey_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// requireYkman skips (fails under CI) without ykman.
func requireYkman(t *testing.T) string {
	t.Helper()
	return testpeer.Command(t, "ykman")
}

// onVPCD inserts k in the Port1 reader for the rest of the test.
func onVPCD(t *testing.T, k *yksim.Key) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	conn, done := insertKey(t, ctx, k)
	t.Cleanup(func() {
		conn.Remove()
		<-done
		cancel()
	})
}

func waitCard(t *testing.T, present bool) {
	t.Helper()
	if !seeCard(t, present, 10*time.Second) {
		t.Fatalf("card present=%v not reached", present)
	}
}

// seeCard waits until pcscd reports the Port1 reader with (or without) a card.
func seeCard(t *testing.T, present bool, within time.Duration) bool {
	t.Helper()
	sc, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Release()
	rs := []scard.ReaderState{{Reader: vpcd.ReaderName(vpcd.Port1), CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if err := sc.GetStatusChange(rs, 500*time.Millisecond); err != nil && err != scard.ErrTimeout {
			t.Fatal(err)
		}
		if (rs[0].EventState&scard.StatePresent != 0) == present {
			return true
		}
		rs[0].CurrentState = rs[0].EventState
	}
	return false
}

// insertKey puts k in the Port1 reader and waits until pcscd reports it
// (vpcd.Insert already puts back a key pcscd missed).
func insertKey(t *testing.T, ctx context.Context, k *yksim.Key) (*vpcd.Conn, <-chan error) {
	t.Helper()
	conn, done, err := yksim.Insert(ctx, vpcd.Port1, k)
	if err != nil {
		t.Fatal(err)
	}
	if !seeCard(t, true, 5*time.Second) {
		conn.Remove()
		<-done
		t.Fatal("pcscd does not see the emulated key in the reader")
	}
	return conn, done
}

func ykman(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, requireYkman(t), append([]string{"--reader", vpcd.ReaderName(vpcd.Port1)}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ykman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pcscCard is a raw scard connection as an apdu.Transmitter (tokenctl's
// CCID path without the CLI).
type pcscCard struct {
	ctx  *scard.Context
	card *scard.Card
}

func connect(t *testing.T) *pcscCard {
	t.Helper()
	ctx, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	card, err := ctx.Connect(vpcd.ReaderName(vpcd.Port1), scard.ShareExclusive, scard.ProtocolAny)
	if err != nil {
		ctx.Release()
		t.Fatal(err)
	}
	c := &pcscCard{ctx: ctx, card: card}
	t.Cleanup(c.close)
	return c
}

func (c *pcscCard) Transmit(cmd []byte) ([]byte, error) { return c.card.Transmit(cmd) }

func (c *pcscCard) close() {
	if c.card != nil {
		c.card.Disconnect(scard.ResetCard)
		c.ctx.Release()
		c.card = nil
	}
}

func tokenctlSession(t *testing.T) (*yubikey.Session, *pcscCard) {
	t.Helper()
	c := connect(t)
	b, err := yubikey.NewCCID(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := yubikey.NewSession(b)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

const (
	testSerial  = 12345678
	accessCode  = "010203040506"
	b32Key      = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	hmacKeyHex  = "303132333435363738393a3b3c3d3e3f40414243"
	privateID   = "010203040506"
	aesKeyHex   = "000102030405060708090a0b0c0d0e0f"
	serialPubID = "vvccccnrhbfu"
)

// TestYkmanDifferential programs the emulator with ykman 4.0.9 and with
// tokenctl's CCID session, and compares the configuration APDUs the
// emulator received, byte for byte.
func TestYkmanDifferential(t *testing.T) {
	requireYkman(t)
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)

	protect := func(k *yksim.Key) {
		c, _ := yubikey.ChalRespConfig(mustHex(hmacKeyHex), false)
		c.SetAccessCode(mustHex(accessCode))
		k.Program(1, c)
	}
	hotp := func(digits int, counter uint32, id string) func(*testing.T, *yubikey.Session) error {
		return func(t *testing.T, s *yubikey.Session) error {
			o := yubikey.HOTPOptions{Digits: digits, Counter: counter}
			if id != "" {
				serial, err := s.Serial()
				if err != nil {
					return err
				}
				o.TokenID, o.FixedModhex1, o.FixedModhex2, err = yubikey.ParseTokenID(id, serial)
				if err != nil {
					return err
				}
			}
			c, err := yubikey.HOTPConfig([]byte("12345678901234567890"), o)
			if err != nil {
				return err
			}
			return s.Put(2, c, nil)
		}
	}
	cases := []struct {
		name    string
		setup   func(*yksim.Key)
		ykman   []string
		tokenct func(*testing.T, *yubikey.Session) error
		after   func(*testing.T, *yksim.Key)
	}{
		{
			name:  "yubiotp public id",
			ykman: []string{"otp", "yubiotp", "1", "--public-id", serialPubID, "--private-id", privateID, "--key", aesKeyHex, "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				pub, _ := yubikey.ParseModhex(serialPubID)
				c, _ := yubikey.YubicoOTPConfig(pub, mustHex(privateID), mustHex(aesKeyHex))
				return s.Put(1, c, nil)
			},
		},
		{
			name:  "yubiotp serial public id",
			ykman: []string{"otp", "yubiotp", "2", "--serial-public-id", "--private-id", privateID, "--key", aesKeyHex, "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				serial, err := s.Serial()
				if err != nil {
					return err
				}
				c, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(serial), mustHex(privateID), mustHex(aesKeyHex))
				return s.Put(2, c, nil)
			},
		},
		{name: "hotp 6 digits", ykman: []string{"otp", "hotp", "2", b32Key, "--force"}, tokenct: hotp(6, 0, "")},
		{name: "hotp 8 digits counter 32", ykman: []string{"otp", "hotp", "2", b32Key, "--digits", "8", "--counter", "32", "--force"}, tokenct: hotp(8, 32, "")},
		{name: "hotp counter 1048560 identifier", ykman: []string{"otp", "hotp", "2", b32Key, "--counter", "1048560", "--identifier", "ubhe", "--force"}, tokenct: hotp(6, 1048560, "ubhe")},
		{name: "hotp modhex identifier", ykman: []string{"otp", "hotp", "2", b32Key, "--identifier", "cccccccccccc", "--force"}, tokenct: hotp(6, 0, "cccccccccccc")},
		{
			name:  "chalresp",
			ykman: []string{"otp", "chalresp", "2", hmacKeyHex, "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				c, _ := yubikey.ChalRespConfig(mustHex(hmacKeyHex), false)
				return s.Put(2, c, nil)
			},
		},
		{
			name:  "chalresp touch",
			ykman: []string{"otp", "chalresp", "1", hmacKeyHex, "--touch", "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				c, _ := yubikey.ChalRespConfig(mustHex(hmacKeyHex), true)
				return s.Put(1, c, nil)
			},
		},
		{
			name:  "delete",
			setup: func(k *yksim.Key) { c, _ := yubikey.ChalRespConfig(mustHex(hmacKeyHex), false); k.Program(2, c) },
			ykman: []string{"otp", "delete", "2", "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				return s.Delete(2, nil)
			},
		},
		{
			name:  "swap",
			setup: func(k *yksim.Key) { c, _ := yubikey.ChalRespConfig(mustHex(hmacKeyHex), false); k.Program(2, c) },
			ykman: []string{"otp", "swap", "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				return s.Swap()
			},
		},
		{
			name:  "yubiotp over an access code",
			setup: protect,
			ykman: []string{"otp", "--access-code", accessCode, "yubiotp", "1", "--public-id", serialPubID, "--private-id", privateID, "--key", aesKeyHex, "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				pub, _ := yubikey.ParseModhex(serialPubID)
				c, _ := yubikey.YubicoOTPConfig(pub, mustHex(privateID), mustHex(aesKeyHex))
				c.SetAccessCode(mustHex(accessCode))
				return s.Put(1, c, mustHex(accessCode))
			},
			after: func(t *testing.T, k *yksim.Key) {
				if st := k.Slot(1); st.Mode != yubikey.ModeYubicoOTP || !bytes.Equal(st.AccessCode, mustHex(accessCode)) {
					t.Errorf("slot 1: %v, access code %x", st.Mode, st.AccessCode)
				}
			},
		},
		{
			name:  "delete with access code",
			setup: protect,
			ykman: []string{"otp", "--access-code", accessCode, "delete", "1", "--force"},
			tokenct: func(t *testing.T, s *yubikey.Session) error {
				return s.Delete(1, mustHex(accessCode))
			},
			after: func(t *testing.T, k *yksim.Key) {
				if k.Slot(1).Configured {
					t.Error("slot 1 still programmed")
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// ykman first.
			k1 := yksim.New(yksim.Options{Serial: testSerial})
			if c.setup != nil {
				c.setup(k1)
			}
			onVPCDScoped(t, k1, func() { ykman(t, c.ykman...) })
			want := k1.ConfigAPDUs()
			if len(want) != 1 {
				t.Fatalf("ykman sent %d configuration APDUs", len(want))
			}
			if c.after != nil {
				c.after(t, k1)
			}
			// Then tokenctl, on a fresh key in the same state.
			k2 := yksim.New(yksim.Options{Serial: testSerial})
			if c.setup != nil {
				c.setup(k2)
			}
			onVPCDScoped(t, k2, func() {
				s, card := tokenctlSession(t)
				if err := c.tokenct(t, s); err != nil {
					t.Fatalf("tokenctl: %v", err)
				}
				card.close()
			})
			got := k2.ConfigAPDUs()
			if len(got) != 1 || !bytes.Equal(got[0], want[0]) {
				t.Fatalf("configuration APDUs differ:\n ykman    %x\n tokenctl %x", want[0], got)
			}
			if c.after != nil {
				c.after(t, k2)
			}
			if !bytes.Equal(k1.Slot(1).Config, k2.Slot(1).Config) || !bytes.Equal(k1.Slot(2).Config, k2.Slot(2).Config) {
				t.Fatal("slots differ after programming")
			}
		})
	}
}

// onVPCDScoped runs f with k in the reader, then removes it.
func onVPCDScoped(t *testing.T, k *yksim.Key, f func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, done := insertKey(t, ctx, k)
	defer func() {
		conn.Remove()
		<-done
		waitCard(t, false)
	}()
	f()
}

// TestYkmanReadsTokenctlState: ykman otp info sees what tokenctl wrote.
func TestYkmanReadsTokenctlState(t *testing.T) {
	requireYkman(t)
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	k := yksim.New(yksim.Options{Serial: testSerial})
	onVPCD(t, k)
	if out := ykman(t, "otp", "info"); !strings.Contains(out, "Slot 1: empty") || !strings.Contains(out, "Slot 2: empty") {
		t.Fatalf("ykman otp info on an empty key:\n%s", out)
	}
	s, card := tokenctlSession(t)
	c, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{Digits: 8})
	if err := s.Put(2, c, nil); err != nil {
		t.Fatal(err)
	}
	card.close()
	out := ykman(t, "otp", "info")
	if !strings.Contains(out, "Slot 1: empty") || !strings.Contains(out, "Slot 2: programmed") {
		t.Fatalf("ykman otp info after tokenctl wrote slot 2:\n%s", out)
	}
}

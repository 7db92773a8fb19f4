package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/personalize"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// inReader runs f with k in the Port1 virtual reader.
func inReader(t *testing.T, k *yksim.Key, f func()) {
	t.Helper()
	inPort(t, vpcd.Port1, k, f)
}

// inPort runs f with k in the virtual reader behind port, once pcscd
// reports it (vpcd.Insert already puts back a key pcscd missed), and waits
// for pcscd to see the reader empty again afterwards.
func inPort(t *testing.T, port int, k *yksim.Key, f func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(port)
	conn, done, err := yksim.Insert(ctx, port, k)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		conn.Remove()
		<-done
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		if err := pc.WaitForRemoval(rctx, reader); err != nil {
			t.Fatal(err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second) // pcscd polls; a loaded machine is slow to see it
	defer wcancel()
	if err := pc.WaitForCard(wctx, reader); err != nil {
		t.Fatalf("pcscd does not see the emulated key: %v", err)
	}
	f()
}

func runYkman(t *testing.T, args ...string) string {
	t.Helper()
	p := testpeer.Command(t, "ykman")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p, append([]string{"--reader", vpcd.ReaderName(vpcd.Port1)}, args...)...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ykman %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestYubiKeyCLIMatchesYkman: the tokenctl command line, over PC/SC, sends
// the same configuration APDUs as ykman 4.0.9 for the same choices.
func TestYubiKeyCLIMatchesYkman(t *testing.T) {
	testpeer.Command(t, "ykman")
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	withHIDKeys(t) // no key on USB: the CLI must use PC/SC
	t.Setenv("YK_AES", "000102030405060708090a0b0c0d0e0f")
	t.Setenv("YK_PID", "010203040506")
	t.Setenv("YK_HOTP", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	t.Setenv("YK_HMAC", "303132333435363738393a3b3c3d3e3f40414243")
	t.Setenv("YK_CODE", "a1a2a3a4a5a6")
	ccid := []string{"--transport", "ccid", "--reader", "Virtual PCD 00 01"}
	protect := func(k *yksim.Key) {
		c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{9}, 20), false)
		c.SetAccessCode([]byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6})
		k.Program(1, c)
	}
	cases := []struct {
		name     string
		setup    func(*yksim.Key)
		ykman    []string
		tokenctl []string
	}{
		{name: "yubiotp serial public id",
			ykman:    []string{"otp", "yubiotp", "1", "-S", "-p", "010203040506", "-k", "000102030405060708090a0b0c0d0e0f", "-f"},
			tokenctl: []string{"otp", "1", "--secret-env", "YK_AES", "--private-id-env", "YK_PID"}},
		{name: "hotp 8 digits counter identifier",
			ykman:    []string{"otp", "hotp", "2", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "-d", "8", "-c", "32", "-i", "-", "-f"},
			tokenctl: []string{"hotp", "2", "--secret-env", "YK_HOTP", "--digits", "8", "--counter", "32", "--identifier", "-"}},
		{name: "hotp 6 digits",
			ykman:    []string{"otp", "hotp", "1", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "-f"},
			tokenctl: []string{"hotp", "1", "--secret-env", "YK_HOTP"}},
		{name: "chalresp touch",
			ykman:    []string{"otp", "chalresp", "2", "303132333435363738393a3b3c3d3e3f40414243", "--touch", "-f"},
			tokenctl: []string{"chalresp", "2", "--secret-env", "YK_HMAC", "--touch"}},
		{name: "chalresp",
			ykman:    []string{"otp", "chalresp", "1", "303132333435363738393a3b3c3d3e3f40414243", "-f"},
			tokenctl: []string{"chalresp", "1", "--secret-env", "YK_HMAC"}},
		{name: "yubiotp over an access code", setup: protect,
			ykman:    []string{"otp", "--access-code", "a1a2a3a4a5a6", "yubiotp", "1", "-S", "-p", "010203040506", "-k", "000102030405060708090a0b0c0d0e0f", "-f"},
			tokenctl: []string{"otp", "1", "--secret-env", "YK_AES", "--private-id-env", "YK_PID", "--access-code-env", "YK_CODE", "--force"}},
		{name: "settings: new access code", setup: func(k *yksim.Key) {
			c, _ := yubikey.HOTPConfig(bytes.Repeat([]byte{9}, 20), yubikey.HOTPOptions{})
			k.Program(2, c)
		},
			ykman:    []string{"otp", "settings", "2", "--new-access-code", "a1a2a3a4a5a6", "-f"},
			tokenctl: []string{"settings", "2", "--new-access-code-env", "YK_CODE", "--force"}},
		{name: "settings: remove access code", setup: protect,
			ykman:    []string{"otp", "--access-code", "a1a2a3a4a5a6", "settings", "1", "--delete-access-code", "--no-enter", "-f"},
			tokenctl: []string{"settings", "1", "--access-code-env", "YK_CODE", "--clear-access-code", "--no-enter", "--force"}},
		{name: "delete with access code", setup: protect,
			ykman:    []string{"otp", "--access-code", "a1a2a3a4a5a6", "delete", "1", "-f"},
			tokenctl: []string{"delete", "1", "--access-code-env", "YK_CODE", "--force"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k1 := yksim.New(yksim.Options{Serial: 12345678})
			if c.setup != nil {
				c.setup(k1)
			}
			inReader(t, k1, func() { runYkman(t, c.ykman...) })
			k2 := yksim.New(yksim.Options{Serial: 12345678})
			if c.setup != nil {
				c.setup(k2)
			}
			inReader(t, k2, func() {
				if code, _, errs := runCLI(t, append(append([]string{"yubikey"}, c.tokenctl...), ccid...)...); code != 0 {
					t.Fatalf("tokenctl: exit %d: %s", code, errs)
				}
			})
			want, got := k1.ConfigAPDUs(), k2.ConfigAPDUs()
			if len(want) != 1 || len(got) != 1 || !bytes.Equal(want[0], got[0]) {
				t.Fatalf("configuration APDUs differ:\n ykman    %x\n tokenctl %x", want, got)
			}
		})
	}
	// ykman reads the state tokenctl wrote, and tokenctl refuses a wrong code.
	k := yksim.New(yksim.Options{Serial: 12345678})
	protect(k)
	inReader(t, k, func() {
		if code, _, errs := runCLI(t, append([]string{"yubikey", "hotp", "2", "--secret-env", "YK_HOTP"}, ccid...)...); code != 0 {
			t.Fatalf("%d %s", code, errs)
		}
		if out := runYkman(t, "otp", "info"); !strings.Contains(out, "Slot 1: programmed") || !strings.Contains(out, "Slot 2: programmed") {
			t.Fatalf("ykman otp info:\n%s", out)
		}
		t.Setenv("YK_WRONG", "000000000001")
		code, _, errs := runCLI(t, append([]string{"yubikey", "delete", "1", "--access-code-env", "YK_WRONG", "--force"}, ccid...)...)
		if code != 3 || !strings.Contains(errs, "wrong access code") {
			t.Fatalf("wrong access code over PC/SC: exit %d: %s", code, errs)
		}
	})
	if !k.Slot(1).Configured {
		t.Fatal("slot 1 deleted with a wrong access code")
	}
}

// TestYubiKeySerialAmongReaders: with --serial and no --reader, the key is
// found among the PC/SC readers that hold one (here two emulated keys, one
// in each vpcd reader): each is asked its serial without any write, the
// others are released, and only the key asked for is programmed.
func TestYubiKeySerialAmongReaders(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	pcsctest.LockReader(t, vpcd.Port1)
	withHIDKeys(t) // no key on USB
	t.Setenv("YK_HMAC", "303132333435363738393a3b3c3d3e3f40414243")
	k0, k1 := yksim.New(yksim.Options{Serial: 3000}), yksim.New(yksim.Options{Serial: 3001})
	inPort(t, vpcd.Port0, k0, func() {
		inPort(t, vpcd.Port1, k1, func() {
			for i, k := range []*yksim.Key{k1, k0, k1} {
				code, out, errs := runCLI(t, "--json", "yubikey", "info", "--serial", strconv.Itoa(int(k.SerialNumber())))
				var info device.YubiKeyInfo
				if code != 0 || json.Unmarshal([]byte(out), &info) != nil {
					t.Fatalf("info --serial %d (%d): exit %d: %s", k.SerialNumber(), i, code, errs)
				}
				want := vpcd.ReaderName(vpcd.Port0 + int(k.SerialNumber()-3000))
				if uint32(info.Serial) != k.SerialNumber() || info.Device != want || info.Transport != "ccid" {
					t.Fatalf("info --serial %d: %+v, want the key in %s", k.SerialNumber(), info, want)
				}
			}
			if code, _, errs := runCLI(t, "yubikey", "chalresp", "2", "--secret-env", "YK_HMAC", "--serial", "3000"); code != 0 {
				t.Fatalf("chalresp --serial 3000: exit %d: %s", code, errs)
			}
			if !k0.Slot(2).Configured || k1.Slot(2).Configured || len(k1.ConfigAPDUs()) != 0 {
				t.Fatalf("--serial 3000 programmed key 3000: %v, key 3001: %v (%d configuration APDUs)", k0.Slot(2).Configured, k1.Slot(2).Configured, len(k1.ConfigAPDUs()))
			}
			// The key not asked for was only read: SELECT and the serial.
			for _, a := range k1.APDUs() {
				if a[1] != 0xA4 && !(a[1] == 0x01 && a[2] == yubikey.CmdDeviceSerial) {
					t.Fatalf("key 3001 got %x", a)
				}
			}
			code, _, errs := runCLI(t, "yubikey", "info", "--serial", "3999")
			if code != 3 || !strings.Contains(errs, "3999") || !strings.Contains(errs, "YubiKey 3000") || !strings.Contains(errs, "YubiKey 3001") {
				t.Fatalf("an absent serial: exit %d: %s", code, errs)
			}
			// Another key on USB: the serial not there is looked for on PC/SC.
			withHIDKeys(t, yksim.New(yksim.Options{Serial: 1001}))
			code, out, errs := runCLI(t, "--json", "yubikey", "info", "--serial", "3001")
			var info device.YubiKeyInfo
			if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Serial != 3001 || info.Transport != "ccid" {
				t.Fatalf("--serial of a key on PC/SC while another is on USB: exit %d: %s%s", code, out, errs)
			}
		})
	})
}

// TestYubiKeyFrozenSequenceCLI: a YubiKey of firmware 5.4.2 over PC/SC
// answers 90 00 to a write refused for a wrong access code, its sequence
// frozen. Where the slot state or a challenge tells, the refusal is
// reported (exit 3, nothing logged); where nothing can tell, the command
// warns that the write is unconfirmed, on standard error and in --json.
func TestYubiKeyFrozenSequenceCLI(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	withHIDKeys(t) // no key on USB
	dir := t.TempDir()
	t.Setenv("YK_AES", "000102030405060708090a0b0c0d0e0f")
	t.Setenv("YK_PID", "010203040506")
	t.Setenv("YK_HMAC", "303132333435363738393a3b3c3d3e3f40414243")
	t.Setenv("YK_CODE", "a1a2a3a4a5a6")
	t.Setenv("YK_WRONG", "000000000001")
	ccid := []string{"--transport", "ccid", "--reader", vpcd.ReaderName(vpcd.Port1), "--force"}
	k := yksim.New(yksim.Options{Serial: 5420, Version: yubikey.Version{5, 4, 2}})
	hotp, _ := yubikey.HOTPConfig(bytes.Repeat([]byte{9}, 20), yubikey.HOTPOptions{})
	hotp.SetAccessCode([]byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6})
	k.Program(1, hotp)
	before := k.Slot(1).Config
	cli := func(args ...string) (int, string, string) {
		return runCLI(t, append(append([]string{"yubikey"}, args...), ccid...)...)
	}
	inReader(t, k, func() {
		refusedLog := filepath.Join(dir, "refused.csv")
		for _, args := range [][]string{
			{"chalresp", "1", "--secret-env", "YK_HMAC", "--access-code-env", "YK_WRONG", "--log", refusedLog},
			{"delete", "1", "--access-code-env", "YK_WRONG"},
		} {
			code, _, errs := cli(args...)
			if code != 3 || !strings.Contains(errs, "wrong access code") {
				t.Fatalf("%v on firmware 5.4.2: exit %d: %s", args, code, errs)
			}
		}
		if b, _ := os.ReadFile(refusedLog); len(b) != 0 {
			t.Fatalf("a refused write was logged: %q", b)
		}
		// Yubico OTP over HOTP: both typed on touch, nothing tells.
		code, out, errs := runCLI(t, append([]string{"--json", "yubikey", "otp", "1", "--secret-env", "YK_AES", "--private-id-env", "YK_PID", "--access-code-env", "YK_WRONG", "--log", filepath.Join(dir, "okta.csv")}, ccid...)...)
		var res personalize.Result
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Unconfirmed || !strings.Contains(errs, "WARNING: YubiKey 5420 could not confirm") || !strings.Contains(errs, "firmware 5.4.2") {
			t.Fatalf("unconfirmable write: exit %d: %s%s", code, out, errs)
		}
		if !bytes.Equal(k.Slot(1).Config, before) {
			t.Fatal("slot 1 changed by a wrong access code")
		}
		// With the right code: confirmed by the slot state, no warning.
		code, _, errs = cli("chalresp", "1", "--secret-env", "YK_HMAC", "--access-code-env", "YK_CODE", "--log", filepath.Join(dir, "keys.csv"))
		if code != 0 || strings.Contains(errs, "WARNING") || k.Slot(1).Mode != yubikey.ModeChalRespHMAC {
			t.Fatalf("chalresp with the right code: exit %d, slot %v: %s", code, k.Slot(1).Mode, errs)
		}
	})
}

// TestYubiKeySerialReadFirstCCID: over PC/SC, every command that writes a
// slot first selects the OTP application (which answers the status) and
// reads the serial; no configuration command comes before the serial.
func TestYubiKeySerialReadFirstCCID(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	withHIDKeys(t) // no key on USB
	t.Setenv("YK_AES", "000102030405060708090a0b0c0d0e0f")
	t.Setenv("YK_PID", "010203040506")
	t.Setenv("YK_HMAC", "303132333435363738393a3b3c3d3e3f40414243")
	log := filepath.Join(t.TempDir(), "keys.csv")
	ccid := []string{"--transport", "ccid", "--reader", vpcd.ReaderName(vpcd.Port1)}
	k := yksim.New(yksim.Options{Serial: 6006})
	inReader(t, k, func() {
		for _, args := range [][]string{
			{"otp", "1", "--secret-env", "YK_AES", "--private-id-env", "YK_PID"},
			{"hotp", "2", "--generate", "--log", log},
			{"chalresp", "1", "--secret-env", "YK_HMAC", "--force"},
			{"settings", "1", "--force"},
			{"swap", "--force"},
			{"delete", "1", "--force"},
		} {
			k.ResetLog()
			if code, _, errs := runCLI(t, append(append([]string{"yubikey"}, args...), ccid...)...); code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errs)
			}
			apdus := k.APDUs()
			serial, config := -1, -1
			for i, a := range apdus {
				if len(a) < 3 || a[1] != 0x01 {
					continue
				}
				switch a[2] {
				case yubikey.CmdDeviceSerial:
					if serial < 0 {
						serial = i
					}
				case yubikey.CmdConfig1, yubikey.CmdConfig2, yubikey.CmdUpdate1, yubikey.CmdUpdate2, yubikey.CmdSwap:
					if config < 0 {
						config = i
					}
				}
			}
			if len(apdus) == 0 || !bytes.Equal(apdus[0], yubikey.SelectAPDU()) {
				t.Fatalf("%v: the first APDU is %x, not the SELECT of the OTP application", args, apdus[0])
			}
			if serial < 0 || config < 0 || serial > config {
				t.Fatalf("%v: serial read at APDU %d, first configuration command at %d: %x", args, serial, config, apdus)
			}
			for _, a := range apdus[:serial] {
				if a[1] != 0xA4 {
					t.Fatalf("%v: %x before the serial was read", args, a)
				}
			}
		}
	})
}

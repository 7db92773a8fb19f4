package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/personalize"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// withHIDKeys makes the CLI see these emulated keys on USB.
func withHIDKeys(t *testing.T, keys ...*yksim.Key) {
	t.Helper()
	envOf(t).usb = func() ([]device.HIDKey, error) {
		var out []device.HIDKey
		for i, k := range keys {
			out = append(out, device.HIDKey{Path: fmt.Sprintf("usb:%d", i), Name: "emulated", Open: func() (hid.FeatureDevice, error) { return k.HID(), nil }})
		}
		return out, nil
	}
}

func TestYubiKeyOTPLogAndVerify(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 11223344})
	withHIDKeys(t, k)
	dir := t.TempDir()
	log := filepath.Join(dir, "okta.csv")
	code, out, errs := runCLI(t, "--json", "yubikey", "otp", "1", "--generate", "--log", log, "--log-format", "yubico")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res personalize.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Serial != 11223344 || res.Transport != "hid" || res.PublicID != yubikey.Modhex(yubikey.SerialPublicID(11223344)) {
		t.Fatalf("report %s (%v)", out, err)
	}
	st, _ := os.Stat(log)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log mode %o", st.Mode().Perm())
	}
	b, _ := os.ReadFile(log)
	f := strings.Split(strings.TrimSuffix(string(b), "\n"), ",")
	if len(f) != 7 || f[0] != "11223344" || f[1] != res.PublicID || f[4] != "000000000000" || f[6] != "" || f[3] != strings.ToLower(f[3]) {
		t.Fatalf("log line %q", b)
	}
	// The slot holds what the log says.
	slot := k.Slot(1)
	if hex.EncodeToString(slot.Config[16:22]) != f[2] || hex.EncodeToString(slot.Config[22:38]) != f[3] || slot.Config[45] != 0x34 || slot.Config[46] != 0x20 {
		t.Fatalf("slot %x does not match the log", slot.Config)
	}
	// An OTP from the key verifies against the log.
	otp, err := k.Press(1)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "yubikey", "verify-otp", "--log", log, otp); code != 0 || !strings.Contains(out, "OTP valid") || !strings.Contains(out, "11223344") {
		t.Fatalf("verify-otp: %d %s %s", code, out, errs)
	}
	bad := otp[:len(otp)-1] + "c"
	if bad == otp {
		bad = otp[:len(otp)-1] + "b"
	}
	if code, _, _ := runCLI(t, "yubikey", "verify-otp", "--log", log, bad); code != 1 {
		t.Fatalf("tampered OTP: exit %d", code)
	}
	// Not overwritten without --force (no terminal), nor logged.
	code, _, errs = runCLI(t, "yubikey", "otp", "1", "--generate", "--log", log)
	if code != 2 || !strings.Contains(errs, "--force") {
		t.Fatalf("overwrite without --force: exit %d %s", code, errs)
	}
	if !bytes.Equal(k.Slot(1).Config, slot.Config) {
		t.Fatal("slot overwritten")
	}
	if b2, _ := os.ReadFile(log); !bytes.Equal(b, b2) {
		t.Fatal("log changed")
	}
	// With --force: a second line for the same key.
	if code, _, errs := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", log, "--force"); code != 0 {
		t.Fatalf("--force: %d %s", code, errs)
	}
	if b2, _ := os.ReadFile(log); bytes.Count(b2, []byte("\n")) != 2 {
		t.Fatalf("log after second key:\n%s", b2)
	}
}

func TestYubiKeyAccessCodeCLI(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 5})
	withHIDKeys(t, k)
	dir := t.TempDir()
	codeFile := filepath.Join(dir, "code.hex")
	os.WriteFile(codeFile, []byte("a1a2a3a4a5a6\n"), 0o600)
	wrong := filepath.Join(dir, "wrong.hex")
	os.WriteFile(wrong, []byte("000000000001"), 0o600)
	t.Setenv("HOTPKEY", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	if code, _, errs := runCLI(t, "yubikey", "hotp", "2", "--secret-env", "HOTPKEY", "--digits", "8", "--counter", "32", "--new-access-code-file", codeFile); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	before := k.Slot(2)
	if hex.EncodeToString(before.AccessCode) != "a1a2a3a4a5a6" || before.Mode != yubikey.ModeHOTP {
		t.Fatalf("slot 2: %+v", before)
	}
	for _, args := range [][]string{
		{"yubikey", "delete", "2", "--force"},
		{"yubikey", "delete", "2", "--force", "--access-code-file", wrong},
		{"yubikey", "chalresp", "2", "--generate", "--force", "--access-code-file", wrong, "--log", filepath.Join(dir, "refused.csv")},
	} {
		code, _, errs := runCLI(t, args...)
		if code != 3 || !strings.Contains(errs, "access code") {
			t.Fatalf("%v: exit %d, %s", args, code, errs)
		}
		if !bytes.Equal(k.Slot(2).Config, before.Config) {
			t.Fatalf("%v changed the slot", args)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "refused.csv")); len(b) != 0 {
		t.Fatalf("a refused write was logged: %q", b)
	}
	// settings changes the code and keeps the secret.
	newFile := filepath.Join(dir, "new.hex")
	os.WriteFile(newFile, []byte("b1b2b3b4b5b6"), 0o600)
	if code, _, errs := runCLI(t, "yubikey", "settings", "2", "--force", "--access-code-file", wrong, "--new-access-code-file", newFile); code != 3 || !strings.Contains(errs, "access code") {
		t.Fatalf("settings with a wrong code: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "yubikey", "settings", "2", "--force", "--access-code-file", codeFile, "--new-access-code-file", newFile); code != 0 {
		t.Fatalf("settings: %d %s", code, errs)
	}
	after := k.Slot(2)
	if hex.EncodeToString(after.AccessCode) != "b1b2b3b4b5b6" || !bytes.Equal(after.Config[16:38], before.Config[16:38]) {
		t.Fatalf("after settings: code %x, secret kept %v", after.AccessCode, bytes.Equal(after.Config[16:38], before.Config[16:38]))
	}
	codeFile = newFile
	if code, _, errs := runCLI(t, "yubikey", "delete", "2", "--force", "--access-code-file", codeFile); code != 0 {
		t.Fatalf("delete with the code: %d %s", code, errs)
	}
	if k.Slot(2).Configured {
		t.Fatal("slot 2 still programmed")
	}
}

func TestYubiKeyDuoLogs(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 777})
	withHIDKeys(t, k)
	dir := t.TempDir()
	duoYK := filepath.Join(dir, "duo-yk.csv")
	if code, _, errs := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", duoYK, "--log-format", "duo"); code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	b, _ := os.ReadFile(duoYK)
	slot := k.Slot(1)
	want := "777," + hex.EncodeToString(slot.Config[16:22]) + "," + hex.EncodeToString(slot.Config[22:38]) + "\n"
	if string(b) != want {
		t.Fatalf("duo yubikey line %q, want %q", b, want)
	}
	// An OTP from that key verifies against the Duo file (no public ID there).
	otp, _ := k.Press(1)
	if code, out, errs := runCLI(t, "yubikey", "verify-otp", "--log", duoYK, "--log-format", "duo", otp); code != 0 || !strings.Contains(out, "YubiKey 777") {
		t.Fatalf("verify-otp against the duo file: %d %s %s", code, out, errs)
	}
	// The same serial again in a Duo import file is refused before the key is touched.
	writes := k.Writes()
	if code, _, _ := runCLI(t, "yubikey", "otp", "2", "--generate", "--log", duoYK, "--log-format", "duo"); code != 1 || k.Writes() != writes {
		t.Fatalf("duplicate serial in duo log: exit %d, writes %d -> %d", code, writes, k.Writes())
	}
	// A challenge-response credential cannot go to Duo: refused before writing.
	if code, _, _ := runCLI(t, "yubikey", "chalresp", "2", "--generate", "--log", filepath.Join(dir, "d2.csv"), "--log-format", "duo"); code != 1 || k.Slot(2).Configured {
		t.Fatalf("chalresp to duo: exit %d", code)
	}
	duoH := filepath.Join(dir, "duo-hotp.csv")
	if code, _, errs := runCLI(t, "yubikey", "hotp", "2", "--generate", "--log", duoH, "--log-format", "duo"); code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	b, _ = os.ReadFile(duoH)
	if !strings.HasPrefix(string(b), "777,") {
		t.Fatalf("duo hotp line %q", b)
	}
	trad := filepath.Join(dir, "trad.csv")
	if code, _, errs := runCLI(t, "yubikey", "chalresp", "1", "--generate", "--touch", "--force", "--log", trad, "--log-format", "traditional"); code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	b, _ = os.ReadFile(trad)
	if !strings.Contains(string(b), "Challenge-Response: HMAC-SHA1,") || !strings.HasPrefix(string(b), "LOGGING START,") {
		t.Fatalf("traditional log %q", b)
	}
}

func TestYubiKeyInfoSwapSeveralKeys(t *testing.T) {
	k1, k2 := yksim.New(yksim.Options{Serial: 1001}), yksim.New(yksim.Options{Serial: 1002})
	withHIDKeys(t, k1, k2)
	if code, _, errs := runCLI(t, "yubikey", "info"); code != 2 || !strings.Contains(errs, "--serial") {
		t.Fatalf("two keys without --serial: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "yubikey", "chalresp", "1", "--generate", "--discard-secret", "--serial", "1002"); code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	if k1.Slot(1).Configured || !k2.Slot(1).Configured {
		t.Fatal("--serial picked the wrong key")
	}
	if code, _, errs := runCLI(t, "yubikey", "swap", "--serial", "1002", "--force"); code != 0 {
		t.Fatalf("swap %d %s", code, errs)
	}
	code, out, _ := runCLI(t, "--json", "yubikey", "info", "--serial", "1002")
	var info device.YubiKeyInfo
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Slot1 != "empty" || info.Slot2 != "programmed" || info.Firmware != "5.4.3" {
		t.Fatalf("info %d %s", code, out)
	}
}

func TestYubiKeyUsageErrors(t *testing.T) {
	withHIDKeys(t, yksim.New(yksim.Options{}))
	for _, args := range [][]string{
		{"yubikey", "otp", "3", "--generate"},
		{"yubikey", "otp", "1"},
		{"yubikey", "hotp", "1", "--generate", "--counter", "17"},
		{"yubikey", "hotp", "1", "--generate", "--digits", "7"},
		{"yubikey", "info", "--transport", "bluetooth"},
		{"yubikey", "info", "--transport", "hid", "--reader", "Virtual PCD 00 01"},
		{"yubikey", "otp", "1", "--generate", "--log", "x.csv", "--log-format", "nosuch"},
	} {
		if code, _, _ := runCLI(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestYubiKeyPSKCLog: a PSKC log is rewritten whole (atomically) with
// every key, password-protected, and reads back with the secrets the keys
// hold.
func TestYubiKeyPSKCLog(t *testing.T) {
	k1, k2 := yksim.New(yksim.Options{Serial: 61}), yksim.New(yksim.Options{Serial: 62})
	dir := t.TempDir()
	log := filepath.Join(dir, "keys.pskc")
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("secret words"), 0o600)
	for _, k := range []*yksim.Key{k1, k2} {
		withHIDKeys(t, k)
		if code, _, errs := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", log, "--log-format", "pskc", "--pskc-password-file", pw); code != 0 {
			t.Fatalf("%d %s", code, errs)
		}
	}
	toks, err := convert.ReadAll(log, "pskc", &convert.Options{PSKCPassword: []byte("secret words")})
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 {
		t.Fatalf("%d tokens in the PSKC log", len(toks))
	}
	for i, k := range []*yksim.Key{k1, k2} {
		cfg := k.Slot(1).Config
		if toks[i].Kind != seed.YubicoOTP || !bytes.Equal(toks[i].Secret, cfg[22:38]) {
			t.Errorf("token %d (%s) does not hold key %d's AES key", i, toks[i].Serial, k.SerialNumber())
		}
	}
	if b, _ := os.ReadFile(log); bytes.Contains(b, []byte(hex.EncodeToString(k1.Slot(1).Config[22:38]))) {
		t.Error("AES key in clear in the PSKC file")
	}
}

// TestYubiKeyBadSecretsNotEchoed: a key of the wrong length or in the
// wrong encoding is refused with exit 1, nothing is written to the key, and
// the message does not repeat the secret text.
func TestYubiKeyBadSecretsNotEchoed(t *testing.T) {
	k := yksim.New(yksim.Options{})
	withHIDKeys(t, k)
	const long = "3132333435363738393031323334353637383930ab" // 21 bytes
	const junk = "NOTHEXNORBASE32!!SECRETTEXT"
	for _, c := range []struct {
		env  string
		args []string
	}{
		{long, []string{"yubikey", "hotp", "1", "--secret-env", "YK_TEST_KEY", "--force"}},
		{long, []string{"yubikey", "chalresp", "2", "--secret-env", "YK_TEST_KEY", "--force"}},
		{junk, []string{"yubikey", "hotp", "1", "--secret-env", "YK_TEST_KEY", "--force"}},
		{junk, []string{"yubikey", "otp", "1", "--secret-env", "YK_TEST_KEY", "--private-id-env", "YK_TEST_KEY", "--force"}},
	} {
		t.Setenv("YK_TEST_KEY", c.env)
		code, out, errOut := runCLI(t, c.args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", c.args, code)
		}
		for _, piece := range []string{c.env[:12], c.env[len(c.env)-12:]} {
			if strings.Contains(out+errOut, piece) {
				t.Errorf("%v: output repeats the secret: %s%s", c.args, out, errOut)
			}
		}
	}
	if k.Writes() != 0 {
		t.Errorf("%d writes reached the key", k.Writes())
	}
}

// TestYubiKeyJSONReports: delete, settings and swap report on standard
// output with --json, and on standard error without it.
func TestYubiKeyJSONReports(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4711})
	withHIDKeys(t, k)
	if code, _, errs := runCLI(t, "yubikey", "chalresp", "1", "--generate", "--discard-secret"); code != 0 {
		t.Fatalf("chalresp: %d %s", code, errs)
	}
	for _, c := range []struct {
		args []string
		want personalize.Result
	}{
		{[]string{"yubikey", "settings", "1", "--force"}, personalize.Result{Serial: 4711, Slot: 1, Mode: "updated"}},
		{[]string{"yubikey", "swap", "--force"}, personalize.Result{Serial: 4711, Mode: "swapped"}},
		{[]string{"yubikey", "delete", "2", "--force"}, personalize.Result{Serial: 4711, Slot: 2, Mode: "deleted"}},
	} {
		code, out, errs := runCLI(t, append([]string{"--json"}, c.args...)...)
		var got personalize.Result
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("%v: %d %q %s", c.args, code, out, errs)
		}
		if got.Serial != c.want.Serial || got.Slot != c.want.Slot || got.Mode != c.want.Mode || got.Transport != "hid" || got.Firmware != "5.4.3" {
			t.Errorf("%v: %+v", c.args, got)
		}
	}
	if code, out, errs := runCLI(t, "yubikey", "chalresp", "2", "--generate", "--log", filepath.Join(t.TempDir(), "keys.csv")); code != 0 || out != "" || !strings.Contains(errs, "slot 2 programmed") {
		t.Errorf("without --json: %d, stdout %q, stderr %q", code, out, errs)
	}
	if k.Slot(1).Configured || !k.Slot(2).Configured {
		t.Error("slots not as the commands left them")
	}
}

// TestYubiKeyLogMustBePrivate: a log others can read is refused before
// anything is written to the key.
func TestYubiKeyLogMustBePrivate(t *testing.T) {
	k := yksim.New(yksim.Options{})
	withHIDKeys(t, k)
	log := filepath.Join(t.TempDir(), "okta.csv")
	os.WriteFile(log, nil, 0o600)
	os.Chmod(log, 0o644)
	code, _, errs := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", log)
	if code != 1 || !strings.Contains(errs, "open to others") || k.Writes() != 0 {
		t.Fatalf("exit %d, %d writes: %s", code, k.Writes(), errs)
	}
}

// TestYubiKeyGenerateNeedsLog: a generated credential that nothing would
// keep (no --log) is refused with a usage error before the key is opened:
// the key never gives a secret back, so nobody could ever be told it. A
// challenge-response key may be discarded, but only when asked for.
func TestYubiKeyGenerateNeedsLog(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 515})
	opened := 0
	envOf(t).usb = func() ([]device.HIDKey, error) {
		return []device.HIDKey{{Path: "usb:0", Name: "emulated", Open: func() (hid.FeatureDevice, error) { opened++; return k.HID(), nil }}}, nil
	}
	for _, args := range [][]string{
		{"yubikey", "otp", "1", "--generate"},
		{"yubikey", "otp", "2", "--generate", "--random-public-id", "--force"},
		{"yubikey", "hotp", "1", "--generate", "--digits", "8", "--force"},
		{"yubikey", "chalresp", "2", "--generate", "--touch", "--force"},
		{"yubikey", "chalresp", "2", "--secret-env", "YK_HMAC", "--discard-secret"},
		{"yubikey", "chalresp", "2", "--generate", "--discard-secret", "--log", filepath.Join(t.TempDir(), "k.csv")},
	} {
		t.Setenv("YK_HMAC", "303132333435363738393a3b3c3d3e3f40414243")
		code, _, errs := runCLI(t, args...)
		if code != 2 || !strings.Contains(errs, "--") {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errs)
		}
	}
	if opened != 0 || k.Writes() != 0 {
		t.Fatalf("the key was opened %d times, written %d times", opened, k.Writes())
	}
	// Asked for explicitly, a challenge-response key may be kept nowhere.
	if code, _, errs := runCLI(t, "yubikey", "chalresp", "2", "--generate", "--discard-secret"); code != 0 || !k.Slot(2).Configured {
		t.Fatalf("chalresp --generate --discard-secret: exit %d: %s", code, errs)
	}
}

// shellWords splits an example line as a shell would: words separated by
// spaces, '…' and "…" quoting.
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(ch)
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == ' ':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// withStdin makes standard input read s for the rest of the test.
func withStdin(t *testing.T, s string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Seek(0, 0)
	saved := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = saved; f.Close() })
}

// TestYubiKeyHelpExamplesRun: every example in the help of yubikey and its
// subcommands runs as written (files and variables it names made here, a
// key in the state it expects) and exits 0. The PC/SC example runs on the
// virtual reader it names, with the key there.
func TestYubiKeyHelpExamplesRun(t *testing.T) {
	const (
		seedB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
		code    = "a1a2a3a4a5a6"
		aesHex  = "000102030405060708090a0b0c0d0e0f"
		pidHex  = "010203040506"
	)
	files := map[string]string{
		"seed.b32": seedB32 + "\n",
		"code.hex": code + "\n",
		"new.hex":  "b1b2b3b4b5b6\n",
		"aes.hex":  aesHex + "\n",
		"pid.hex":  pidHex + "\n",
		"hmac.hex": "303132333435363738393a3b3c3d3e3f40414243\n",
	}
	root := newYubiKeyCmd(&factory{})
	var examples []string
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		n := 0
		for _, l := range strings.Split(c.Example, "\n") {
			if i := strings.Index(l, " #"); i >= 0 {
				l = l[:i]
			}
			if l = strings.TrimSpace(l); strings.Contains(l, "tokenctl ") {
				examples = append(examples, l)
				n++
			}
		}
		if n == 0 {
			t.Errorf("yubikey %s: no example", c.Name())
		}
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, content := range files {
				os.WriteFile(name, []byte(content), 0o600)
			}
			t.Setenv("YK_ACCESS", code)
			t.Setenv("OLD", code)
			t.Setenv("PID", pidHex)
			pipe, cmdline, piped := strings.Cut(ex, "|")
			if !piped {
				cmdline = ex
			}
			args := shellWords(cmdline)
			if args[0] != "tokenctl" {
				t.Fatalf("example does not start with tokenctl: %q", ex)
			}
			args = args[1:]
			has := func(flag string) bool { return slices.Contains(args, flag) }
			// The key as the example expects it: both slots programmed when it
			// forces an overwrite (or changes a slot), with the access code it
			// gives; empty otherwise.
			k := yksim.New(yksim.Options{Serial: 31337})
			if has("--force") {
				var acc []byte
				for i, a := range args {
					switch a {
					case "--access-code-file":
						b, _ := os.ReadFile(args[i+1])
						acc, _ = hex.DecodeString(strings.TrimSpace(string(b)))
					case "--access-code-env":
						acc, _ = hex.DecodeString(os.Getenv(args[i+1]))
					}
				}
				for n := 1; n <= 2; n++ {
					c, _ := yubikey.ChalRespConfig(bytes.Repeat([]byte{byte(n)}, 20), false)
					if acc != nil {
						c.SetAccessCode(acc)
					}
					k.Program(n, c)
				}
			}
			if args[1] == "verify-otp" {
				// The credential the example checks against, and the OTP the
				// key types when touched (standard input).
				if has("--log") {
					withHIDKeys(t, k)
					if code, _, errs := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", "okta.csv"); code != 0 {
						t.Fatalf("programming the key: %d %s", code, errs)
					}
				} else {
					aes, _ := hex.DecodeString(aesHex)
					pid, _ := hex.DecodeString(pidHex)
					c, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(k.SerialNumber()), pid, aes)
					k.Program(1, c)
				}
				otp, err := k.Press(1)
				if err != nil {
					t.Fatal(err)
				}
				if piped && strings.TrimSpace(pipe) != `echo "$OTP"` {
					t.Fatalf("unexpected pipe %q", pipe)
				}
				withStdin(t, otp+"\n")
			}
			runIt := func() {
				code, out, errs := runCLI(t, args...)
				if code != 0 {
					t.Fatalf("exit %d\n%s%s", code, out, errs)
				}
			}
			if has("ccid") {
				pcsctest.Require(t)
				pcsctest.LockReader(t, vpcd.Port1)
				withHIDKeys(t)
				inReader(t, k, runIt)
				return
			}
			withHIDKeys(t, k)
			runIt()
		})
	}
}

// countingDev is an emulated key's HID interface that counts its Close calls.
type countingDev struct {
	hid.FeatureDevice
	closes *int
}

func (d countingDev) Close() error { *d.closes++; return d.FeatureDevice.Close() }

// TestYubiKeyOpenHIDClosesEverything: whatever the outcome of choosing a key
// on USB (a later device failing to open, a session failing to start,
// several keys without --serial, the wrong serials, success), every device
// opened is closed once by the end of the command.
func TestYubiKeyOpenHIDClosesEverything(t *testing.T) {
	type cand struct {
		serial  uint32
		openErr bool // the device cannot be opened
		dead    bool // opens, but answers nothing (pulled)
	}
	for _, c := range []struct {
		name  string
		cands []cand
		args  []string
		want  int
	}{
		{"a later device does not open", []cand{{serial: 1}, {serial: 2}, {openErr: true}}, nil, 3},
		{"a later session fails", []cand{{serial: 1}, {dead: true}}, nil, 3},
		{"several keys, no --serial", []cand{{serial: 1}, {serial: 2}}, nil, 2},
		{"no key with that serial", []cand{{serial: 1}, {serial: 2}}, []string{"--serial", "3"}, 3},
		{"the key with that serial, others unopenable", []cand{{openErr: true}, {dead: true}, {serial: 1}, {serial: 2}}, []string{"--serial", "2"}, 0},
		{"one key", []cand{{serial: 1}}, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			opens, closes := 0, 0
			envOf(t).usb = func() ([]device.HIDKey, error) {
				var out []device.HIDKey
				for _, cd := range c.cands {
					k := yksim.New(yksim.Options{Serial: cd.serial + 100})
					if cd.dead {
						k.Unplug()
					}
					out = append(out, device.HIDKey{Path: fmt.Sprint("usb:", len(out)), Name: "emulated", Open: func() (hid.FeatureDevice, error) {
						if cd.openErr {
							return nil, errors.New("open failed")
						}
						opens++
						return countingDev{k.HID(), &closes}, nil
					}})
				}
				return out, nil
			}
			args := append([]string{"yubikey", "info"}, c.args...)
			for i, a := range args {
				if a == "--serial" {
					n, _ := strconv.Atoi(args[i+1])
					args[i+1] = strconv.Itoa(n + 100)
				}
			}
			code, _, errs := runCLI(t, args...)
			if code != c.want {
				t.Fatalf("exit %d, want %d: %s", code, c.want, errs)
			}
			if opens == 0 || closes != opens {
				t.Fatalf("%d devices opened, %d closes", opens, closes)
			}
		})
	}
}

// TestYubiKeyRescueWhenLogFails: a key programmed with a generated
// credential whose log line cannot be appended (a full disk) exits 3, not
// 1, and the credential, private ID included, is saved to a private rescue
// file so that the key can still be registered.
func TestYubiKeyRescueWhenLogFails(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4242})
	withHIDKeys(t, k)
	dir := t.TempDir()
	log := filepath.Join(dir, "okta.csv")
	envOf(t).commitFails = errors.New("disk full")
	code, stdout, stderr := runCLI(t, "yubikey", "otp", "1", "--generate", "--log", log)
	if code != 3 || !strings.Contains(stderr, "YubiKey 4242 slot 1 WAS WRITTEN") || !strings.Contains(stderr, "disk full") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg := k.Slot(1).Config
	uid, aes := cfg[16:22], cfg[22:38]
	noSecret(t, aes, stdout, stderr)
	m, _ := filepath.Glob(filepath.Join(dir, "tokenctl-rescue-4242-*.csv"))
	if len(m) != 1 || !strings.Contains(stderr, m[0]) {
		t.Fatalf("rescue files %v; stderr %s", m, stderr)
	}
	b, _ := os.ReadFile(m[0])
	want := fmt.Sprintf("4242,%s,", seed.EncodeBase32(aes))
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), ","+hex.EncodeToString(uid)+"\n") {
		t.Fatalf("rescue file does not hold the key's credential:\n%s", b)
	}
}

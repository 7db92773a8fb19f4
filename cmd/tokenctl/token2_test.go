package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// withToken2 runs the emulator stream s in the Port0 virtual reader for
// the rest of the test and returns the reader name. A stream with Count 0
// and no Stay defaults to one token that stays.
func withToken2(t *testing.T, s *simt2.Stream) string {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	reader := vpcd.ReaderName(vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.WaitForRemoval(ctx, reader); err != nil {
		t.Fatal(err)
	}
	pc.Release()
	if s.Count == 0 {
		s.Count, s.Stay = 1, true
	}
	s.Port = vpcd.Port0
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("emulator: %v", err)
		}
		time.Sleep(simt2.DefaultSettle)
	})
	return reader
}

func writeSecret(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.txt")
	if err := os.WriteFile(p, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noSecret fails when any encoding of secret appears in the outputs.
func noSecret(t *testing.T, secret []byte, outputs ...string) {
	t.Helper()
	encs := []string{hex.EncodeToString(secret), seed.EncodeBase32(secret)}
	for _, o := range outputs {
		up := strings.ToUpper(o)
		for _, e := range encs {
			if strings.Contains(up, strings.ToUpper(e)) {
				t.Fatalf("secret appears in output:\n%s", o)
			}
		}
		if bytes.Contains([]byte(o), secret) {
			t.Fatalf("raw secret appears in output")
		}
	}
}

func TestToken2BurnThroughPCSC(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596120042", Options: simt2.Options{Drift: 90 * time.Second}}
	reader := withToken2(t, s)
	secret := []byte("0123456789abcdefghijklmnopqrstuv") // 32 bytes
	sf := writeSecret(t, seed.EncodeBase32(secret))
	out := filepath.Join(t.TempDir(), "tokens.csv")

	code, stdout, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", sf,
		"--hash", "sha256", "--period", "60", "--display", "120", "-o", out, "--to", "privacyidea")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.TrimSpace(stdout) != "86596120042" {
		t.Fatalf("stdout %q, want the serial", stdout)
	}
	noSecret(t, secret, stdout, stderr)
	tok := s.Tokens()[0]
	st := tok.State()
	if !bytes.Equal(st.Seed, secret) {
		t.Fatal("the emulator holds another seed than the input")
	}
	if !bytes.Equal(st.Log, []byte{0x41, 0x4B, 0xCE, 0xD4, 0xC5}) {
		t.Fatalf("APDUs % X, want info, challenge, authenticate, config, seed", st.Log)
	}
	// SHA-256 and 60 s arrive as TLV values 02 and 3C; display 120 s as 03.
	if len(st.ConfigTLV) != 19 || st.ConfigTLV[15] != 0x02 || st.ConfigTLV[18] != 0x3C || st.ConfigTLV[4] != 0x03 {
		t.Fatalf("configuration TLV % X", st.ConfigTLV)
	}
	if d := time.Until(st.Clock); d > 2*time.Second || d < -2*time.Second {
		t.Fatalf("device clock off by %v after the burn (drift was 90 s)", d)
	}
	// The code the display shows is what tokenctl code computes.
	// Both reads within one time step (a step boundary between them, as
	// once in CI, is read again).
	for try := 0; ; try++ {
		t0 := time.Now()
		shown, ok := tok.DisplayCode()
		code, want, stderr := runCLI(t, "code", "--secret-file", sf, "--hash", "sha256", "--period", "60")
		if code != 0 || !ok {
			t.Fatalf("tokenctl code: exit %d %s", code, stderr)
		}
		if seed.TimeStep(t0, 60) != seed.TimeStep(time.Now(), 60) && try < 2 {
			continue
		}
		if strings.TrimSpace(want) != shown {
			t.Fatalf("display shows %s, tokenctl code says %s", shown, want)
		}
		break
	}
	// The output file holds the token.
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "86596120042") || !strings.Contains(strings.ToUpper(string(b)), strings.ToUpper(hex.EncodeToString(secret))) {
		t.Fatalf("output file:\n%s", b)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Fatalf("output mode %o", fi.Mode().Perm())
	}

	// info shows the model, the class and a clock in sync.
	code, stdout, stderr = runCLI(t, "--json", "token2", "info", "--reader", reader)
	if code != 0 || !strings.Contains(stdout, `"model": "OTPC-P1-i"`) || !strings.Contains(stdout, `"time_sync": "unrestricted"`) {
		t.Fatalf("info: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `"offset_seconds": 0`) && !strings.Contains(stdout, `"offset_seconds": 1`) && !strings.Contains(stdout, `"offset_seconds": -1`) {
		t.Fatalf("offset after burn: %s", stdout)
	}

	// The same serial again into the same file is refused before any write.
	before := tok.State().APDUs
	code, _, stderr = runCLI(t, "token2", "burn", "--reader", reader, "--generate", "--length", "32", "-o", out, "--to", "privacyidea", "--hash", "sha256")
	if code != 1 || !strings.Contains(stderr, "already holds serial 86596120042") {
		t.Fatalf("duplicate: exit %d %s", code, stderr)
	}
	if st := tok.State(); st.APDUs != before+1 || !bytes.Equal(st.Seed, secret) {
		t.Fatalf("duplicate burn sent %d APDUs", st.APDUs-before)
	}

	// Sync on an unrestricted model keeps the seed.
	code, stdout, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--hash", "sha256", "--period", "60")
	if code != 0 || !strings.Contains(stdout, "synced 86596120042") {
		t.Fatalf("sync: exit %d %s%s", code, stdout, stderr)
	}
	if st := tok.State(); !bytes.Equal(st.Seed, secret) || st.ConfigWrites != 2 || st.Hash != seed.SHA256 || st.Period != 60 {
		t.Fatalf("after sync: %d config writes, seed kept %v", st.ConfigWrites, bytes.Equal(st.Seed, secret))
	}
	// Sync from the seed file finds hash and period by serial.
	code, stdout, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--seeds", out, "--seeds-format", "privacyidea")
	if code != 0 || !strings.Contains(stdout, "sha256/60") {
		t.Fatalf("sync --seeds: exit %d %s%s", code, stdout, stderr)
	}
}

func TestToken2SyncRestricted(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596220007"}
	reader := withToken2(t, s)
	secret := []byte("ABCDEFGHIJKLMNOPQRST")
	sf := writeSecret(t, hex.EncodeToString(secret))
	code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", sf, "--encoding", "hex")
	if code != 0 {
		t.Fatalf("burn: exit %d %s", code, stderr)
	}
	tok := s.Tokens()[0]
	code, _, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--hash", "sha1", "--period", "30")
	if code != 1 || !strings.Contains(stderr, "restricted") || !strings.Contains(stderr, "--reburn") {
		t.Fatalf("restricted sync: exit %d %s", code, stderr)
	}
	st := tok.State()
	if st.ConfigWrites != 1 || !bytes.Equal(st.Seed, secret) || st.Log[len(st.Log)-1] != 0x41 {
		t.Fatalf("refused sync touched the token: %+v", st.Log)
	}
	// With --reburn the seed is written again right after the clock.
	code, stdout, stderr := runCLI(t, "token2", "sync", "--reader", reader, "--hash", "sha1", "--period", "30", "--reburn", "--secret-file", sf, "--encoding", "hex")
	if code != 0 || !strings.Contains(stdout, "re-burned") {
		t.Fatalf("reburn: exit %d %s", code, stderr)
	}
	if st := tok.State(); st.ConfigWrites != 2 || st.SeedWrites != 2 || !bytes.Equal(st.Seed, secret) {
		t.Fatalf("after reburn: %+v", st)
	}
	noSecret(t, secret, stdout, stderr)
}

func TestToken2WrongKeyReportedOnce(t *testing.T) {
	s := &simt2.Stream{BadAuth: func(int) bool { return true }}
	reader := withToken2(t, s)
	secret := []byte("wrong-key-secret-20b")
	sf := writeSecret(t, seed.EncodeBase32(secret))
	code, stdout, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", sf)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if n := strings.Count(stderr, "69 83"); n != 1 || !strings.Contains(stderr, "authentication failed or MAC wrong") {
		t.Fatalf("69 83 reported %d times:\n%s", n, stderr)
	}
	st := s.Tokens()[0].State()
	if st.Auths != 1 || st.ConfigWrites != 0 || st.SeedWrites != 0 {
		t.Fatalf("%d authentications (want 1, no retry), %d config writes", st.Auths, st.ConfigWrites)
	}
	noSecret(t, secret, stdout, stderr)
}

func TestToken2PulledAfterConfig(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596010003", Count: 1, Stay: true, NoReinsert: true, PullAfter: func(int) int { return 4 }}
	reader := withToken2(t, s)
	secret := []byte("pulled-mid-burn-seed")
	sf := writeSecret(t, seed.EncodeBase32(secret))
	out := filepath.Join(t.TempDir(), "duo.csv")
	code, stdout, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", sf, "-o", out, "--to", "duo")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "may now hold no seed") || !strings.Contains(stderr, "86596010003") {
		t.Fatalf("message:\n%s", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the seed file was written for a failed burn")
	}
	st := s.Tokens()[0].State()
	if st.ConfigWrites != 1 || st.Seed != nil {
		t.Fatalf("emulator: %d config writes, seed %v", st.ConfigWrites, st.Seed != nil)
	}
	noSecret(t, secret, stdout, stderr)
}

func TestToken2UnknownModelRefused(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86592020001"} // a C202: not programmable
	reader := withToken2(t, s)
	out := filepath.Join(t.TempDir(), "duo.csv")
	code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--generate", "-o", out, "--to", "duo")
	if code != 3 || !strings.Contains(stderr, "not a known programmable Token2 model") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("the output file made for the refused burn was left behind")
	}
	if st := s.Tokens()[0].State(); !bytes.Equal(st.Log, []byte{0x41}) {
		t.Fatalf("APDUs % X, want get info only", st.Log)
	}
	code, stdout, _ := runCLI(t, "token2", "info", "--reader", reader)
	if code != 0 || !strings.Contains(stdout, "unknown") {
		t.Fatalf("info: %d %s", code, stdout)
	}
}

func TestToken2OutputCheckedBeforeBurn(t *testing.T) {
	s := &simt2.Stream{}
	reader := withToken2(t, s)
	for i := 0; len(s.Tokens()) == 0; i++ {
		if i == 100 {
			t.Fatal("the emulated token never went in")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A directory that does not exist; an Entra file for a SHA-256 token.
	for _, args := range [][]string{
		{"-o", filepath.Join(t.TempDir(), "missing", "x.csv"), "--to", "duo"},
		{"-o", filepath.Join(t.TempDir(), "e.csv"), "--to", "entra", "--hash", "sha256"},
		{"-o", filepath.Join(t.TempDir(), "x.csv")},
	} {
		code, _, stderr := runCLI(t, append([]string{"token2", "burn", "--reader", reader, "--wait", "--generate"}, args...)...)
		if code == 0 {
			t.Fatalf("%v: accepted", args)
		}
		if strings.Contains(stderr, "WAS WRITTEN") {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	if st := s.Tokens()[0].State(); st.APDUs != 0 {
		t.Fatalf("%d APDUs sent", st.APDUs)
	}
}

func TestToken2InputChecks(t *testing.T) {
	// None of these needs a token: they fail before the reader is opened.
	both := writeSecret(t, "ABCDEF234567ABCDEF234567ABCDEF23") // hex and base32
	short := writeSecret(t, "JBSWY3DPEHPK3PXP")                // 10 bytes OK
	tiny := writeSecret(t, "JBSWY3DP")                         // 5 bytes
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"token2", "burn", "--secret-file", both}, 1, "both hex and base32"},
		{[]string{"token2", "burn", "--secret-file", tiny}, 1, "10 to 63 bytes"},
		{[]string{"token2", "burn"}, 2, "exactly one"},
		{[]string{"token2", "burn", "--generate", "--secret-file", short}, 2, "exactly one"},
		{[]string{"token2", "burn", "--generate", "--length", "64"}, 2, "--length"},
		{[]string{"token2", "burn", "--generate", "--hash", "sha512"}, 2, "--hash"},
		{[]string{"token2", "burn", "--generate", "--period", "45"}, 2, "--period"},
		{[]string{"token2", "burn", "--generate", "--display", "20"}, 2, "--display"},
		{[]string{"token2", "sync"}, 2, "--hash and --period"},
		{[]string{"token2", "sync", "--hash", "sha1"}, 2, "--hash and --period"},
		{[]string{"token2", "sync", "--period", "30"}, 2, "--hash and --period"},
		{[]string{"token2", "sync", "--reburn", "--hash", "sha1", "--period", "30"}, 2, "needs the seed"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %s", c.args, code, stderr)
		}
	}
}

func TestToken2WaitTimesOut(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	reader := vpcd.ReaderName(vpcd.Port0)
	start := time.Now()
	code, _, stderr := runCLI(t, "token2", "info", "--reader", reader, "--wait=300ms")
	if code != 3 || !strings.Contains(stderr, "no token presented") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("--wait=300ms took %v", d)
	}
	code, _, stderr = runCLI(t, "token2", "info", "--reader", reader)
	if code != 3 || !strings.Contains(stderr, "no token on reader") {
		t.Fatalf("no card, no wait: exit %d %s", code, stderr)
	}
	code, _, _ = runCLI(t, "token2", "info", "--reader", reader, "--wait=soon")
	if code != 2 {
		t.Fatalf("--wait=soon: exit %d", code)
	}
}

func TestToken2RescueWhenRecordFails(t *testing.T) {
	s := &simt2.Stream{}
	reader := withToken2(t, s)
	dir := t.TempDir()
	out := filepath.Join(dir, "duo.csv")
	envOf(t).commitFails = errors.New("disk full")
	code, stdout, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--generate", "-o", out, "--to", "duo")
	// Not 1 ("nothing written"): the token holds a seed the file does not.
	if code != 3 || !strings.Contains(stderr, "WAS WRITTEN and now holds its new secret") || !strings.Contains(stderr, "disk full") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	held := s.Tokens()[0].State().Seed
	if len(held) != 20 {
		t.Fatalf("token holds %d seed bytes", len(held))
	}
	noSecret(t, held, stdout, stderr)
	m, _ := filepath.Glob(filepath.Join(dir, "tokenctl-rescue-86596120001-*.csv"))
	if len(m) != 1 || !strings.Contains(stderr, m[0]) {
		t.Fatalf("rescue files %v; stderr %s", m, stderr)
	}
	fi, err := os.Stat(m[0])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rescue file mode %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(m[0])
	if !strings.Contains(string(b), "86596120001,"+seed.EncodeBase32(held)+",sha1,30,6,OTPC-P1-i") {
		t.Fatalf("rescue file does not hold the burned seed:\n%s", b)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("an empty duo.csv was left behind")
	}
	// A supplied seed: the message says where it came from, and is no copy.
	secret := []byte("supplied-seed-of-20b")
	sf := writeSecret(t, seed.EncodeBase32(secret))
	out2 := filepath.Join(t.TempDir(), "duo.csv")
	code, stdout, stderr = runCLI(t, "token2", "burn", "--reader", reader, "--secret-file", sf, "-o", out2, "--to", "duo")
	if code != 3 || !strings.Contains(stderr, "WAS WRITTEN and now holds its new secret") || !strings.Contains(stderr, "the secret is the one you gave (--secret-file "+sf+")") {
		t.Fatalf("supplied seed: exit %d %s", code, stderr)
	}
	if !bytes.Equal(s.Tokens()[0].State().Seed, secret) {
		t.Fatal("the token does not hold the supplied seed")
	}
	noSecret(t, secret, stdout, stderr)
}

func TestToken2SecretFromStdinAndEnv(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596320001"} // C302-i, unrestricted
	reader := withToken2(t, s)
	secret := []byte("stdin-secret-of-24-bytes")
	envOf(t).stdin = hex.EncodeToString(secret) + "\n"
	code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", "-", "--encoding", "hex")
	if code != 0 || !bytes.Equal(s.Tokens()[0].State().Seed, secret) {
		t.Fatalf("stdin: exit %d %s", code, stderr)
	}
	other := []byte("env-secret-is-here-0123")
	t.Setenv("T2_SEED", strings.ToLower(seed.EncodeBase32(other)))
	code, _, stderr = runCLI(t, "token2", "burn", "--reader", reader, "--secret-env", "T2_SEED")
	if code != 0 || !bytes.Equal(s.Tokens()[0].State().Seed, other) {
		t.Fatalf("env: exit %d %s", code, stderr)
	}
}

func TestToken2WaitOnAnyReader(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596000005"}
	withToken2(t, s)
	pcsctest.LockReader(t, vpcd.Port1) // keep the other virtual reader empty
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pc.WaitForRemoval(ctx, vpcd.ReaderName(vpcd.Port1)); err != nil {
		t.Fatal(err)
	}
	pc.Release()
	code, stdout, stderr := runCLI(t, "token2", "info", "--wait=10s")
	if code != 0 || !strings.Contains(stdout, "86596000005") || !strings.Contains(stdout, "miniOTP-2-i") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestToken2WaitValueNeedsEquals(t *testing.T) {
	code, _, stderr := runCLI(t, "token2", "info", "--wait", "30s")
	if code != 2 || !strings.Contains(stderr, "--wait=30s") {
		t.Fatalf("exit %d %s", code, stderr)
	}
}

// A seed file whose format records no hash or period (token2-ps, hex)
// cannot set them: sync wants --hash and --period, before touching the
// token, whether the format is given or detected; with them, a 60 s
// SHA-256 token listed there is synced as such.
func TestToken2SyncSeedsWithoutSettings(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596120077"}
	reader := withToken2(t, s)
	secret := []byte("0123456789abcdefghijklmnopqrstuv") // 32 bytes
	sf := writeSecret(t, seed.EncodeBase32(secret))
	code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", sf, "--hash", "sha256", "--period", "60")
	if code != 0 {
		t.Fatalf("burn: exit %d %s", code, stderr)
	}
	tok := s.Tokens()[0]
	dir := t.TempDir()
	ps := filepath.Join(dir, "token2.txt") // Token2's PowerShell converter output
	if err := os.WriteFile(ps, []byte("86596120077 "+strings.ToUpper(hex.EncodeToString(secret))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hexFile := filepath.Join(dir, "seeds.hex")
	if err := os.WriteFile(hexFile, []byte("86596120077,"+hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := tok.State().APDUs
	for _, c := range []struct {
		args []string
		need string
	}{
		{[]string{"--seeds", ps, "--seeds-format", "token2-ps"}, "--hash and --period"},
		{[]string{"--seeds", ps}, "--hash and --period"}, // detected as token2-ps
		{[]string{"--seeds", ps, "--hash", "sha256"}, "give --period"},
		{[]string{"--seeds", ps, "--period", "60"}, "give --hash"},
		{[]string{"--seeds", hexFile, "--seeds-format", "hex", "--period", "60"}, "give --hash"},
		{[]string{"--seeds", ps, "--reburn", "--period", "60"}, "give --hash"},
	} {
		code, _, stderr := runCLI(t, append([]string{"token2", "sync", "--reader", reader}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.need) || !strings.Contains(stderr, "does not record") {
			t.Errorf("%v: exit %d %s", c.args, code, stderr)
		}
	}
	if st := tok.State(); st.APDUs != before || st.Hash != seed.SHA256 || st.Period != 60 {
		t.Fatalf("refused syncs sent %d APDUs; token now %s/%d s", st.APDUs-before, st.Hash, st.Period)
	}
	// With both flags, the file's serial is found and the flags are used.
	for _, args := range [][]string{
		{"--seeds", ps, "--hash", "sha256", "--period", "60"},
		{"--seeds", hexFile, "--seeds-format", "hex", "--hash", "sha256", "--period", "60", "--reburn"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"token2", "sync", "--reader", reader}, args...)...)
		if code != 0 || !strings.Contains(stdout, "sha256/60") {
			t.Fatalf("%v: exit %d %s%s", args, code, stdout, stderr)
		}
		if st := tok.State(); st.Hash != seed.SHA256 || st.Period != 60 || !bytes.Equal(st.Seed, secret) {
			t.Fatalf("%v: token now %s/%d s, seed kept %v", args, st.Hash, st.Period, bytes.Equal(st.Seed, secret))
		}
		noSecret(t, secret, stdout, stderr)
	}
	// A format that records them still refuses flags that contradict it.
	duo := filepath.Join(dir, "duo.csv")
	if err := os.WriteFile(duo, []byte("86596120077,"+hex.EncodeToString(secret)+",60\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--seeds", duo, "--seeds-format", "duo-totp", "--period", "30")
	if code != 1 || !strings.Contains(stderr, "--period 30 but") {
		t.Fatalf("contradicting --period: exit %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "token2", "sync", "--reader", reader, "--seeds", duo, "--seeds-format", "duo-totp")
	if code != 0 || !strings.Contains(stdout, "sha1/60") || tok.State().Period != 60 {
		t.Fatalf("duo-totp: exit %d %s%s", code, stdout, stderr)
	}
	// A step the token cannot take is invalid data (1), found before any write.
	if err := os.WriteFile(duo, []byte("86596120077,"+hex.EncodeToString(secret)+",45\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before = tok.State().ConfigWrites
	code, _, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--seeds", duo, "--seeds-format", "duo-totp")
	if code != 1 || !strings.Contains(stderr, "45 s step") || tok.State().ConfigWrites != before {
		t.Fatalf("45 s step: exit %d %s", code, stderr)
	}
	// A serial listed twice is refused (convert.FindSerial), not the first taken.
	line := "86596120077," + hex.EncodeToString(secret) + ",60\n"
	if err := os.WriteFile(duo, []byte(line+line), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "token2", "sync", "--reader", reader, "--seeds", duo, "--seeds-format", "duo-totp")
	if code != 1 || !strings.Contains(stderr, duo+":2: serial: 86596120077 appears again (first on line 1)") || tok.State().ConfigWrites != before {
		t.Fatalf("duplicate serial: exit %d %s", code, stderr)
	}
}

// burn --generate without -o would put a seed in the token and nowhere
// else: refused as a usage error before the token is touched.
func TestToken2GenerateNeedsOutput(t *testing.T) {
	s := &simt2.Stream{}
	reader := withToken2(t, s)
	for _, args := range [][]string{
		{"token2", "burn", "--reader", reader, "--wait", "--generate"},
		{"--json", "token2", "burn", "--reader", reader, "--wait", "--generate", "--length", "32", "--hash", "sha256"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "--generate without -o FILE --to FORMAT") || stdout != "" {
			t.Fatalf("%v: exit %d %s%s", args, code, stdout, stderr)
		}
	}
	for i := 0; len(s.Tokens()) == 0; i++ {
		if i == 100 {
			t.Fatal("the emulated token never went in")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := s.Tokens()[0].State(); st.APDUs != 0 {
		t.Fatalf("%d APDUs sent", st.APDUs)
	}
}

// unwritableDir makes dir refuse new files (chmod, or for root, which
// ignores modes, the immutable attribute); it skips the test when neither
// works here.
func unwritableDir(t *testing.T, dir string) {
	t.Helper()
	probe := func() bool {
		f, err := os.CreateTemp(dir, "probe-*")
		if err != nil {
			return true
		}
		f.Close()
		os.Remove(f.Name())
		return false
	}
	if err := os.Chmod(dir, 0o500); err == nil {
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		if probe() {
			return
		}
	}
	if err := exec.Command("chattr", "+i", dir).Run(); err == nil {
		t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
		if probe() {
			return
		}
	}
	t.Skip("cannot make a directory unwritable here")
}

// An output that can be appended to but not rewritten (a PSKC file, which
// is rewritten whole through a temporary file, in a directory that takes
// no new file) is found before the first write to the token, not after
// the burn.
func TestToken2OutputRehearsedBeforeBurn(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596320005"}
	reader := withToken2(t, s)
	dir := t.TempDir()
	out := filepath.Join(dir, "tokens.pskc")
	old := &seed.Token{Serial: "86596320001", Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Secret: []byte("an-earlier-token-20b")}
	if _, err := convert.WriteFile(out, "pskc", []*seed.Token{old}, &convert.Options{}); err != nil {
		t.Fatal(err)
	}
	unwritableDir(t, dir)
	code, stdout, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--generate", "-o", out, "--to", "pskc")
	if code != 1 || !strings.Contains(stderr, "cannot take token 86596320005") || !strings.Contains(stderr, "nothing was written to the token") || strings.Contains(stderr, "WAS WRITTEN") {
		t.Fatalf("exit %d %s%s", code, stdout, stderr)
	}
	if st := s.Tokens()[0].State(); st.ConfigWrites != 0 || st.SeedWrites != 0 || !bytes.Equal(st.Log, []byte{0x41}) {
		t.Fatalf("APDUs % X: the token was written", st.Log)
	}
}

// t2Examples lists the command lines in the --help examples of token2 and
// its subcommands, in the order the help shows them.
func t2Examples(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range examplesOf(newToken2Cmd(&factory{})) {
		// The FIDO2 and Molto2 families run on their own emulators.
		if !strings.HasPrefix(l, "tokenctl token2 fido") && !strings.HasPrefix(l, "tokenctl token2 molto2") {
			out = append(out, l)
		}
	}
	if len(out) < 10 {
		t.Fatalf("found %d token2 examples", len(out))
	}
	return out
}

// examplesOf lists the command lines in the --help examples of c and of
// every command below it.
func examplesOf(c *cobra.Command) []string {
	var out []string
	for _, l := range strings.Split(c.Example, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "tokenctl ") {
			out = append(out, l)
		}
	}
	for _, sub := range c.Commands() {
		out = append(out, examplesOf(sub)...)
	}
	return out
}

// t2ExampleArgs splits an example into arguments as a shell would, with
// '…' quotes, and drops "tokenctl".
func t2ExampleArgs(ex string) []string {
	var args []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range ex {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				args = append(args, cur.String())
				cur.Reset()
			}
			in = false
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args[1:]
}

// Every token2 example names a command and flags that exist (no PC/SC
// needed).
func TestToken2HelpExamplesParse(t *testing.T) {
	for _, ex := range t2Examples(t) {
		args := t2ExampleArgs(ex)
		c, rest, err := newRoot(&factory{}).Find(args)
		if err != nil {
			t.Errorf("%s: %v", ex, err)
			continue
		}
		if err := c.ParseFlags(rest); err != nil {
			t.Errorf("%s: %v", ex, err)
			continue
		}
		if c.Args != nil {
			if err := c.Args(c, c.Flags().Args()); err != nil {
				t.Errorf("%s: %v", ex, err)
			}
		}
	}
}

// Every token2 example runs as written, exit 0, against one emulated
// token alone in the virtual readers, each in a directory holding the
// input files the examples name (not the one it writes).
func TestToken2HelpExamplesRun(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596120001"}
	reader := withToken2(t, s)
	pcsctest.LockReader(t, vpcd.Port1) // the examples give no --reader: only one may hold a card
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	pc.Release()
	secret := []byte("help-example-seed-20")
	serial := s.FirstSerial
	inputs := map[string]string{
		"seed.b32":         seed.EncodeBase32(secret) + "\n",
		"entra.csv":        "upn,serial number,secret key,time interval,manufacturer,model\n," + serial + "," + seed.EncodeBase32(secret) + ",60,Token2,OTPC-P1-i\n",
		"duo.csv":          serial + "," + hex.EncodeToString(secret) + ",30\n",
		"token2-seeds.txt": serial + " " + strings.ToUpper(hex.EncodeToString(secret)) + "\n",
	}
	for _, ex := range t2Examples(t) {
		t.Run(ex, func(t *testing.T) {
			t.Chdir(t.TempDir())
			args := t2ExampleArgs(ex)
			out := ""
			for i, a := range args {
				if a == "-o" && i+1 < len(args) {
					out = args[i+1]
				}
			}
			for name, content := range inputs {
				if name != out {
					if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if out != "" {
				if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), serial) {
					t.Fatalf("%s does not hold the token: %v\n%s", out, err, b)
				}
			}
		})
	}
}

// TestToken2HostileOutputRefusedBeforeBurn: a burn whose -o is a symbolic
// link, a file another user owns, or a file others may write is refused
// before any APDU that writes, and the token keeps the seed it had.
func TestToken2HostileOutputRefusedBeforeBurn(t *testing.T) {
	s := &simt2.Stream{FirstSerial: "86596120043"}
	reader := withToken2(t, s)
	dir := t.TempDir()
	old := []byte("0123456789abcdefghij")
	oldFile := writeSecret(t, seed.EncodeBase32(old))
	if code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", oldFile,
		"-o", filepath.Join(dir, "first.csv"), "--to", "duo"); code != 0 {
		t.Fatalf("first burn: exit %d\n%s", code, stderr)
	}
	victim := filepath.Join(dir, "victim.csv")
	os.WriteFile(victim, []byte("theirs\n"), 0o600)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(victim, link)
	open := filepath.Join(dir, "open.csv")
	os.WriteFile(open, nil, 0o600)
	os.Chmod(open, 0o622)
	cases := map[string]string{"symlink": link, "group/world-writable": open}
	if os.Geteuid() == 0 {
		theirs := filepath.Join(dir, "theirs.csv")
		os.WriteFile(theirs, nil, 0o600)
		os.Chown(theirs, 65534, 65534)
		cases["another user's file"] = theirs
	}
	newFile := writeSecret(t, seed.EncodeBase32([]byte("ABCDEFGHIJ0123456789")))
	before := s.Tokens()[0].State()
	for name, out := range cases {
		code, _, stderr := runCLI(t, "token2", "burn", "--reader", reader, "--wait", "--secret-file", newFile, "-o", out, "--to", "duo")
		if code == 0 || strings.Contains(stderr, "WAS WRITTEN") {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		st := s.Tokens()[0].State()
		if st.SeedWrites != before.SeedWrites || st.ConfigWrites != before.ConfigWrites || st.Auths != before.Auths || !bytes.Equal(st.Seed, old) {
			t.Fatalf("%s: the token was written (seed writes %d→%d, config %d→%d)", name, before.SeedWrites, st.SeedWrites, before.ConfigWrites, st.ConfigWrites)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "theirs\n" {
		t.Fatalf("the symlink's target changed: %q", b)
	}
}

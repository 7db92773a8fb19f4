package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	simyk "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

func TestBatchUsage(t *testing.T) {
	dir := t.TempDir()
	led := filepath.Join(dir, "l.ledger")
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", filepath.Join(dir, "k"), led); code != 0 {
		t.Fatal(errOut)
	}
	t.Setenv("TOKENCTL_LEDGER", "")
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data")) // no default ledger there
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"batch", "token2"}, 2, "no ledger"},
		{[]string{"batch", "token2", "--ledger", led, "--period", "45"}, 2, `--period "45"`},
		{[]string{"batch", "token2", "--ledger", led, "--hash", "sha512"}, 2, "--hash"},
		{[]string{"batch", "token2", "--ledger", led, "--bytes", "64"}, 2, "--bytes 64"},
		{[]string{"batch", "token2", "--ledger", led, "--count", "-1", "--reader", "no such reader"}, 2, "--count -1"},
		{[]string{"batch", "token2", "--ledger", led, "--reader", "no such reader"}, 3, "no such reader"},
		{[]string{"batch", "yubikey", "--ledger", led, "--mode", "chalresp"}, 2, "--mode"},
		{[]string{"batch", "yubikey", "--ledger", led, "--slot", "3"}, 2, "--slot 3"},
		{[]string{"batch", "yubikey", "--ledger", led, "--mode", "hotp", "--digits", "7"}, 2, "--digits 7"},
		{[]string{"batch", "token2", "--ledger", filepath.Join(dir, "missing.ledger")}, 1, "missing.ledger"},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}

// jsonResults reads the JSON lines of a batch.
func jsonResults(t *testing.T, out string) (results []map[string]any, summary map[string]any) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if s, ok := m["summary"].(map[string]any); ok {
			summary = s
		} else {
			results = append(results, m)
		}
	}
	return results, summary
}

func TestBatchToken2CLI(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "t.age")
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", key, led); code != 0 {
		t.Fatal(errOut)
	}
	stream := &simt2.Stream{Port: vpcd.Port0, FirstSerial: "86596000001", Count: 3, Host: pcsctest.Host(t, vpcd.Port0)}
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	code, out, errOut := runCLI(t, "--json", "batch", "token2", "--ledger", led, "--reader", vpcd.ReaderName(vpcd.Port0),
		"--count", "3", "--batch", "cli", "--hash", "sha256", "--period", "60", "--operator", "tester")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res, sum := jsonResults(t, out)
	if len(res) != 3 || sum["done"] != 3.0 || sum["batch"] != "cli" {
		t.Fatalf("results %v, summary %v", res, sum)
	}
	if res[0]["serial"] != "86596000001" || res[0]["outcome"] != "programmed" || res[0]["model"] != "miniOTP-2-i" {
		t.Fatalf("result %v", res[0])
	}
	if !strings.Contains(errOut, "present token 3 of 3") || !strings.Contains(errOut, "remove the token") {
		t.Fatalf("operator messages: %s", errOut)
	}
	duo := filepath.Join(dir, "duo.csv")
	if code, _, errOut := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--batch", "cli", "--to", "duo", "-o", duo); code != 1 || !strings.Contains(errOut, "SHA-1") {
		t.Fatalf("Duo takes SHA-1 only: exit %d %s", code, errOut)
	}
	pi := filepath.Join(dir, "pi.csv")
	if code, _, errOut := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--batch", "cli", "--to", "privacyidea", "-o", pi); code != 0 {
		t.Fatal(errOut)
	}
	got := readSeeds(t, pi, "privacyidea", nil)
	for _, tk := range stream.Tokens() {
		st := tk.State()
		g := got[st.Serial]
		if g == nil || !bytes.Equal(g.Secret, st.Seed) || len(st.Seed) != 32 || st.Hash != seed.SHA256 || st.Period != 60 || g.EffectivePeriod() != 60 {
			t.Fatalf("token %s: export and emulator differ", st.Serial)
		}
		// The batch's report and its messages carry no seed.
		for _, enc := range []string{seed.EncodeHex(st.Seed), strings.ToLower(seed.EncodeHex(st.Seed)), seed.EncodeBase32(st.Seed), string(st.Seed)} {
			if strings.Contains(out, enc) || strings.Contains(errOut, enc) {
				t.Fatalf("token %s: its seed is in the batch's output", st.Serial)
			}
		}
	}
}

func TestBatchYubiKeyHOTPCLI(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "y.ledger"), filepath.Join(dir, "y.age")
	t.Setenv("YPASS", "yubikey batch passphrase")
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", key, "--passphrase-env", "YPASS", led); code != 0 {
		t.Fatal(errOut)
	}
	stream := &simyk.Stream{Port: vpcd.Port1, FirstSerial: 40000001, Count: 3, Host: pcsctest.Host(t, vpcd.Port1)}
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	code, out, errOut := runCLI(t, "batch", "yubikey", "--ledger", led, "--transport", "ccid", "--reader", vpcd.ReaderName(vpcd.Port1),
		"--count", "3", "--mode", "hotp", "--digits", "8", "--slot", "2", "--random-access-code")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\tprogrammed\t") != 3 {
		t.Fatalf("stdout %q", out)
	}
	hotp := filepath.Join(dir, "duo-hotp.csv")
	if code, _, errOut := runCLI(t, "ledger", "export", "--ledger", led, "--passphrase-env", "YPASS", "--to", "duo", "-o", hotp); code != 0 {
		t.Fatal(errOut)
	}
	got := readSeeds(t, hotp, "duo", &convert.Options{Kind: seed.HOTP, Digits: 8}) // Duo lines do not say
	ylog := filepath.Join(dir, "yubico.csv")
	if code, _, errOut := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--to", "yubico", "-o", ylog); code != 0 {
		t.Fatal(errOut)
	}
	ylogged := readSeeds(t, ylog, "yubico", nil)
	for _, k := range stream.Keys() {
		s := strconv.FormatUint(uint64(k.SerialNumber()), 10)
		slot := k.Slot(2)
		if !slot.Configured || k.Slot(1).Configured {
			t.Fatalf("key %s: slot 2 not programmed, or slot 1 touched", s)
		}
		cfg, err := yubikey.ParseConfig(slot.Config)
		if err != nil {
			t.Fatal(err)
		}
		g := got[s]
		if g == nil || !bytes.Equal(g.Secret, cfg.HMACKey()) {
			t.Fatalf("key %s: Duo HOTP line and key differ (%v)", s, g)
		}
		// Each slot has its own access code, exported in the Yubico log.
		if y := ylogged[s]; y == nil || len(slot.AccessCode) != 6 || y.Label("access_code") != hex.EncodeToString(slot.AccessCode) {
			t.Fatalf("key %s: access code %x, Yubico log %v", s, slot.AccessCode, y)
		}
		// The code the key types is the one the exported secret gives.
		typed, err := k.Press(2)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := seed.HOTPCode(g.Secret, g.Counter, seed.SHA1, 8)
		if !strings.HasSuffix(typed, want) {
			t.Fatalf("key %s typed %q, the exported secret gives %s", s, typed, want)
		}
	}
}

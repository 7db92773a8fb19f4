package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/buildinfo"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestSimToken2Command drives "tokenctl-sim token2 --count 2" in process,
// burning its two tokens through pcscd with the token2 package.
func TestSimToken2Command(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	reader := vpcd.ReaderName(vpcd.Port0)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run([]string{"token2", "--count", "2", "--serial", "86596320098", "--drift", "-30s", "--fail-after-apdu", "4", "--fault-token", "2"}, &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	burn := func() error {
		if err := pc.WaitForCard(ctx, reader); err != nil {
			t.Fatal(err)
		}
		card, err := pc.Connect(reader)
		if err != nil {
			t.Fatal(err)
		}
		defer card.Close()
		_, err = token2.NewSession(card).Burn([]byte("sim-command-seed-20b"), token2.Params{Hash: seed.SHA1, Period: 30})
		return err
	}
	for i, wantErr := range []bool{false, true, false} { // token 2 is pulled once after its config write
		err := burn()
		if (err != nil) != wantErr {
			t.Fatalf("burn %d: %v", i+1, err)
		}
		if err := pc.WaitForRemoval(ctx, reader); err != nil {
			t.Fatal(err)
		}
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("sim token2 --count 2 did not end")
	}
	// No pause for the next test on this reader: pcscd has already seen
	// the last token leave (WaitForRemoval above).
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"86596320098 (C302-i) inserted", "86596320099 PULLED by fault injection after 4 APDUs", "86596320099 taken out after 9 APDUs", "display shows", "all 2 tokens presented"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stderr)
		}
	}
	noSecret(t, []byte("sim-command-seed-20b"), r.stdout, r.stderr)
}

func TestSimYubiKeyTouchOutNeedsCount(t *testing.T) {
	if code, _, _ := runCLI(t, "yubikey", "--touch-out", filepath.Join(t.TempDir(), "typed.txt")); code != 2 {
		t.Errorf("--touch-out without --count: exit %d, want 2", code)
	}
}

// noSecret fails when the secret, raw, hex or base32, is in an output.
func noSecret(t *testing.T, secret []byte, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		up := strings.ToUpper(o)
		for _, e := range []string{hex.EncodeToString(secret), seed.EncodeBase32(secret)} {
			if strings.Contains(up, strings.ToUpper(e)) {
				t.Fatalf("secret appears in output:\n%s", o)
			}
		}
		if strings.Contains(o, string(secret)) {
			t.Fatal("raw secret appears in output")
		}
	}
}

// TestVersion: the emulator binary answers --version as tokenctl does,
// under its own name.
func TestVersion(t *testing.T) {
	defer buildinfo.Stamp("v1.2.0", "0123abc", "2026-12-01")()
	var out, errw strings.Builder
	if code := run([]string{"--version"}, &out, &errw); code != 0 || !strings.HasPrefix(out.String(), "tokenctl-sim version v1.2.0 (2026-12-01)\ncommit 0123abc\n") {
		t.Fatalf("exit %d: %q %q", code, out.String(), errw.String())
	}
}

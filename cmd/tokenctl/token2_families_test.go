package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simmolto "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// inReader puts an emulated card in vpcd's first reader for the test.
func cardInReader(t *testing.T, insert func(ctx context.Context) (*vpcd.Conn, <-chan error, error)) string {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	conn, served, err := insert(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Remove()
		<-served
		cancel()
	})
	// pcscd polls vpcd: wait until it reports the card, as an operator
	// would see the reader's light.
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	if err := pc.WaitForCard(ctx, vpcd.ReaderName(vpcd.Port0)); err != nil {
		t.Fatal(err)
	}
	return vpcd.ReaderName(vpcd.Port0)
}

// TestToken2FIDOHOTPCLI: 'token2 fido hotp --generate' seals a 20-byte
// seed into an emulated key over pcscd; the key holds exactly the seed and
// digits of the Duo line, which has counter 0; the key's code at counter 0
// is that seed's; the forbidden command never reached the key.
func TestToken2FIDOHOTPCLI(t *testing.T) {
	key := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed([]byte("cli test"))})
	reader := cardInReader(t, func(ctx context.Context) (*vpcd.Conn, <-chan error, error) {
		return t2fido.Insert(ctx, vpcd.Port0, key)
	})
	if code, out, errs := runCLI(t, "token2", "fido", "info", "--reader", reader, "--wait=10s"); code != 0 || !strings.Contains(out, "Token2 OTP") {
		t.Fatalf("info: exit %d\n%s%s", code, out, errs)
	}
	duo := filepath.Join(t.TempDir(), "duo.csv")
	code, out, errs := runCLI(t, "token2", "fido", "hotp", "--reader", reader, "--serial", "T2F2-0001", "--generate", "--digits", "8", "--long-press", "-o", duo, "--to", "duo-hotp")
	if code != 0 || strings.TrimSpace(out) != "T2F2-0001" {
		t.Fatalf("hotp: exit %d\n%s%s", code, out, errs)
	}
	st := key.State()
	b, _ := os.ReadFile(duo)
	want := fmt.Sprintf("T2F2-0001,%s,0", strings.ToUpper(hex.EncodeToString(st.Seed)))
	if len(st.Seed) != 20 || st.Digits != 8 || !strings.Contains(string(b), want) {
		t.Fatalf("key holds %d bytes, %d digits; duo.csv:\n%s", len(st.Seed), st.Digits, b)
	}
	if c, _ := key.Code(0); c == "" {
		t.Fatal("the key types no code")
	} else if want, _ := seed.HOTPCode(st.Seed, 0, seed.SHA1, 8); c != want {
		t.Fatalf("code at 0: %s, want %s", c, want)
	}
	if !st.Options.LongPress || len(key.Forbidden()) != 0 {
		t.Fatalf("options %+v, forbidden %d", st.Options, len(key.Forbidden()))
	}
	noSecret(t, st.Seed, out, errs)
	// The serial is in the file: a second key with that serial is refused
	// before it is written.
	writes := key.State().ButtonWrites
	if code, _, errs := runCLI(t, "token2", "fido", "hotp", "--reader", reader, "--serial", "T2F2-0001", "--generate", "-o", duo, "--to", "duo-hotp"); code != 1 || key.State().ButtonWrites != writes {
		t.Fatalf("serial already in the file: exit %d, %d writes: %s", code, key.State().ButtonWrites-writes, errs)
	}
}

// TestToken2Molto2FillFromEntra: a 100-profile Molto2 is filled from a
// 100-row Entra file in one command; every profile's seed, title, digits
// and period read back as given; a second run refuses the profiles in use
// and writes nothing; a wrong customer key stops at the first refusal with
// the attempts left in the error, the device's counter down by one.
func TestToken2Molto2FillFromEntra(t *testing.T) {
	dev := simmolto.New(simmolto.Options{Profiles: 100})
	reader := cardInReader(t, func(ctx context.Context) (*vpcd.Conn, <-chan error, error) {
		return simmolto.Insert(ctx, vpcd.Port0, dev, pcsctest.Host(t, vpcd.Port0))
	})
	rows := uploadtest.EntraRows(100, nil)
	file := uploadtest.EntraFile(t, rows)
	code, out, errs := runCLI(t, "token2", "molto2", "burn", "--reader", reader, "--seeds", file, "--from", "entra")
	if code != 0 {
		t.Fatalf("burn: exit %d\n%s%s", code, out, errs)
	}
	st := dev.State()
	for i, r := range rows {
		p := st.Profiles[i]
		if string(p.Seed) != string(r.Secret) || p.Title != r.Serial || p.Period != r.Period || p.Digits != 6 {
			t.Fatalf("profile %d: %q %d s %d digits, want %q %d s", i, p.Title, p.Period, p.Digits, r.Serial, r.Period)
		}
	}
	seeds := st.SeedWrites
	code, _, errs = runCLI(t, "token2", "molto2", "burn", "--reader", reader, "--seeds", file, "--from", "entra")
	if code != 1 || !strings.Contains(errs, "already holds a seed") || dev.State().SeedWrites != seeds {
		t.Fatalf("second run: exit %d, %d seed writes: %s", code, dev.State().SeedWrites-seeds, errs)
	}
	left := dev.State().AttemptsLeft
	t.Setenv("MOLTO_KEY", "NOT-THE-RIGHT-KEY")
	code, _, errs = runCLI(t, "token2", "molto2", "delete", "--reader", reader, "--profile", "5", "--key-env", "MOLTO_KEY")
	if code != 3 || !strings.Contains(errs, fmt.Sprintf("%d attempts left", left-1)) || dev.State().AttemptsLeft != left-1 || !dev.State().Profiles[5].InUse() {
		t.Fatalf("wrong key: exit %d, attempts %d→%d: %s", code, left, dev.State().AttemptsLeft, errs)
	}
	code, out, _ = runCLI(t, "--json", "token2", "molto2", "list", "--reader", reader)
	if code != 0 || strings.Count(out, `"in_use": true`) != 100 {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
}

// runExamples runs every example of the commands under path ("token2
// fido") as written, exit 0, in a directory holding inputs.
func runExamples(t *testing.T, path string, inputs map[string]string) {
	t.Helper()
	c, _, err := newRoot(&factory{}).Find(strings.Fields(path))
	if err != nil {
		t.Fatal(err)
	}
	exs := examplesOf(c)
	if len(exs) < 2 {
		t.Fatalf("%s: %d examples", path, len(exs))
	}
	for _, ex := range exs {
		t.Run(ex, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, content := range inputs {
				if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if code, out, errs := runCLI(t, t2ExampleArgs(ex)...); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestToken2FamilyHelpExamplesRun: the --help examples of token2 fido and
// token2 molto2 run as written against their emulators.
func TestToken2FamilyHelpExamplesRun(t *testing.T) {
	secret := []byte("help-example-seed-20")
	t.Run("fido", func(t *testing.T) {
		key := t2fido.New(t2fido.Options{})
		cardInReader(t, func(ctx context.Context) (*vpcd.Conn, <-chan error, error) {
			return t2fido.Insert(ctx, vpcd.Port0, key)
		})
		pcsctest.LockReader(t, vpcd.Port1) // examples without --reader: only one may hold a card
		runExamples(t, "token2 fido", map[string]string{"seed.hex": hex.EncodeToString(secret)})
	})
	t.Run("molto2", func(t *testing.T) {
		dev := simmolto.New(simmolto.Options{Profiles: 100, Firmware: "2.1"})
		cardInReader(t, func(ctx context.Context) (*vpcd.Conn, <-chan error, error) {
			return simmolto.Insert(ctx, vpcd.Port0, dev, pcsctest.Host(t, vpcd.Port0))
		})
		pcsctest.LockReader(t, vpcd.Port1)
		t.Setenv("MOLTO_KEY", "TOKEN2MOLTO1-KEY")
		runExamples(t, "token2 molto2", map[string]string{
			"seed.b32":  seed.EncodeBase32(secret),
			"molto.key": "TOKEN2MOLTO1-KEY\n",
			"entra.csv": "upn,serial number,secret key,time interval,manufacturer,model\n,M2-1," + seed.EncodeBase32(secret) + ",30,Token2,Molto2\n",
		})
	})
}

// TestToken2Molto2GeneratedRecordedAsProfileSerial: a generated seed
// burned into profile 3 is recorded under DEVICE-03, the serial batch
// molto2 gives the same profile (molto2.ProfileSerial), with the seed the
// profile holds.
func TestToken2Molto2GeneratedRecordedAsProfileSerial(t *testing.T) {
	dev := simmolto.New(simmolto.Options{Profiles: 50, Serial: "7654321"})
	reader := cardInReader(t, func(ctx context.Context) (*vpcd.Conn, <-chan error, error) {
		return simmolto.Insert(ctx, vpcd.Port0, dev, pcsctest.Host(t, vpcd.Port0))
	})
	out := filepath.Join(t.TempDir(), "duo.csv")
	code, stdout, errs := runCLI(t, "token2", "molto2", "burn", "--reader", reader, "--profile", "3", "--period", "60", "--generate", "-o", out, "--to", "duo-totp")
	if code != 0 {
		t.Fatalf("burn: exit %d\n%s%s", code, stdout, errs)
	}
	p := dev.State().Profiles[3]
	b, _ := os.ReadFile(out)
	if want := fmt.Sprintf("7654321-03,%s,60", strings.ToUpper(hex.EncodeToString(p.Seed))); len(p.Seed) != 20 || !strings.Contains(string(b), want) {
		t.Fatalf("profile 3 holds %d bytes; duo.csv:\n%s", len(p.Seed), b)
	}
	noSecret(t, p.Seed, stdout, errs)
}

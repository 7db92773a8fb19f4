package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	simmolto "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// TestBatchFIDOAndMolto2ToLedger: a box of two FIDO2 keys and the profiles
// of a Molto2 go through 'batch fido' and 'batch molto2' into one ledger,
// which exports the keys to Duo (HOTP, counter 0) and the profiles to
// Entra, each seed once and equal to what the device holds.
func TestBatchFIDOAndMolto2ToLedger(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "t.age")
	if code, _, errs := runCLI(t, "ledger", "init", "--identity-out", key, led); code != 0 {
		t.Fatal(errs)
	}
	reader := vpcd.ReaderName(vpcd.Port0)

	serials := filepath.Join(dir, "serials.txt")
	os.WriteFile(serials, []byte("T2F2-0001\nT2F2-0002\n"), 0o600)
	stream := &t2fido.Stream{Port: vpcd.Port0, Count: 2, Host: pcsctest.Host(t, vpcd.Port0), Idle: time.Second}
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	code, out, errs := runCLI(t, "batch", "fido", "--ledger", led, "--reader", reader, "--serials", serials, "--count", "2", "--digits", "8")
	if code != 0 {
		t.Fatalf("batch fido: exit %d\n%s%s", code, out, errs)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	duo := filepath.Join(dir, "duo.csv")
	if code, _, errs := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--family", "fido2", "--to", "duo-hotp", "-o", duo); code != 0 {
		t.Fatal(errs)
	}
	got := readSeeds(t, duo, "duo-hotp", nil)
	keys := stream.Keys()
	if len(got) != 2 || len(keys) != 2 {
		t.Fatalf("%d exported, %d keys", len(got), len(keys))
	}
	for i, k := range keys {
		st := k.State()
		g := got[[]string{"T2F2-0001", "T2F2-0002"}[i]]
		if g == nil || !bytes.Equal(g.Secret, st.Seed) || st.Digits != 8 || g.Counter != 0 || len(k.Forbidden()) != 0 {
			t.Fatalf("key %d: export and key differ (%d digits)", i, st.Digits)
		}
		noSecret(t, st.Seed, out, errs)
	}

	dev := simmolto.New(simmolto.Options{Profiles: 50})
	conn, served, err := simmolto.Insert(ctx, vpcd.Port0, dev, pcsctest.Host(t, vpcd.Port0))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { conn.Remove(); <-served }()
	rows := uploadtest.EntraRows(5, nil)
	code, out, errs = runCLI(t, "batch", "molto2", "--ledger", led, "--reader", reader, "--seeds", uploadtest.EntraFile(t, rows), "--first-profile", "2")
	if code != 0 {
		t.Fatalf("batch molto2: exit %d\n%s%s", code, out, errs)
	}
	entra := filepath.Join(dir, "entra.csv")
	if code, _, errs := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--family", "molto2", "--to", "entra", "-o", entra); code != 0 {
		t.Fatal(errs)
	}
	exported := readSeeds(t, entra, "entra", nil)
	st := dev.State()
	if len(exported) != 5 {
		t.Fatalf("%d profiles exported", len(exported))
	}
	for i, r := range rows {
		p := st.Profiles[2+i]
		g := exported[st.Serial+"-0"+string(rune('2'+i))]
		if g == nil || !bytes.Equal(g.Secret, r.Secret) || !bytes.Equal(p.Seed, r.Secret) || p.Title != r.Serial || g.EffectivePeriod() != r.Period {
			t.Fatalf("profile %d: export %v, device %q", 2+i, g != nil, p.Title)
		}
	}
	// Again: the profiles are in the ledger; nothing is written twice.
	writes := dev.State().SeedWrites
	code, out, errs = runCLI(t, "batch", "molto2", "--ledger", led, "--reader", reader, "--seeds", uploadtest.EntraFile(t, rows), "--first-profile", "2")
	if dev.State().SeedWrites != writes {
		t.Fatalf("second batch wrote %d seeds (exit %d)\n%s%s", dev.State().SeedWrites-writes, code, out, errs)
	}
	// A seed file holding no token fills nothing (it used to fill the
	// device with generated seeds from profile 0 on).
	code, out, errs = runCLI(t, "batch", "molto2", "--ledger", led, "--reader", reader, "--seeds", uploadtest.EntraFile(t, nil), "--from", "entra")
	if code != 1 || dev.State().SeedWrites != writes || !strings.Contains(errs, "holds no token") {
		t.Fatalf("empty seed file: exit %d, %d seeds written\n%s%s", code, dev.State().SeedWrites-writes, out, errs)
	}
}

package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestLedgerWriterWithoutKeyGainsNothing: someone who can write the ledger
// file (SQL on it) but holds neither its identity nor its station key:
// an edited setting or a swapped recipient makes export exit 1 with
// nothing written, and verify names the record; a station on another
// machine records nothing until given the station key, and then does.
func TestLedgerWriterWithoutKeyGainsNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TOKENCTL_CONFIG_DIR", filepath.Join(dir, "this-machine"))
	led, key := filepath.Join(dir, "tokens.ledger"), filepath.Join(dir, "tokens.age")
	if code, _, e := runCLI(t, "ledger", "init", "--identity-out", key, led); code != 0 {
		t.Fatalf("init: %s", e)
	}
	vendor := filepath.Join(dir, "vendor.csv")
	if code, _, e := runCLI(t, "seed", "generate", "--count", "3", "--serial-prefix", "AU", "--to", "entra", "--manufacturer", "Token2", "--model", "C202", "-o", vendor); code != 0 {
		t.Fatalf("seeds: %s", e)
	}
	if code, _, e := runCLI(t, "ledger", "import", "--ledger", led, vendor); code != 0 {
		t.Fatalf("import: %s", e)
	}
	if code, out, e := runCLI(t, "ledger", "verify", "--ledger", led); code != 0 || !strings.Contains(out, "3 records authentic") {
		t.Fatalf("verify: %d %s %s", code, out, e)
	}
	db, err := sql.Open("sqlite", led)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE tokens SET period = 60 WHERE serial = 'AU2'`); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "duo.csv")
	code, _, e := runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--to", "duo", "-o", out)
	if code != 1 || !strings.Contains(e, "AU2") || !strings.Contains(e, "fails authentication") {
		t.Fatalf("export of an edited ledger: exit %d\n%s", code, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("export wrote a file")
	}
	if code, _, e := runCLI(t, "ledger", "verify", "--ledger", led); code != 1 || !strings.Contains(e, "AU2") {
		t.Fatalf("verify of an edited ledger: exit %d\n%s", code, e)
	}
	// Skipped on request: named, left out, the rest exported.
	code, _, e = runCLI(t, "ledger", "export", "--ledger", led, "--identity-file", key, "--to", "duo", "--skip-bad-records", "-o", out)
	if code != 0 || !strings.Contains(e, "AU2") || !strings.Contains(e, "left out") {
		t.Fatalf("export --skip-bad-records: exit %d\n%s", code, e)
	}
	if b, _ := os.ReadFile(out); strings.Contains(string(b), "AU2") || strings.Count(string(b), "\n") != 2 {
		t.Fatalf("exported:\n%s", b)
	}
	db.Exec(`UPDATE tokens SET period = 30 WHERE serial = 'AU2'`)

	// A station on another machine (its own configuration): no key, no
	// records; the station key lets it record, and is remembered.
	sk := filepath.Join(dir, "station.key")
	if code, _, e := runCLI(t, "ledger", "station-key", "--ledger", led, "-o", sk); code != 0 {
		t.Fatalf("station-key: %s", e)
	}
	mustMode600(t, sk)
	t.Setenv("TOKENCTL_CONFIG_DIR", filepath.Join(dir, "station"))
	more := filepath.Join(dir, "more.csv")
	runCLI(t, "seed", "generate", "--count", "1", "--serial-prefix", "ST", "--to", "entra", "--manufacturer", "Token2", "--model", "C202", "-o", more)
	if code, _, e := runCLI(t, "ledger", "import", "--ledger", led, more); code != 2 || !strings.Contains(e, "station key") {
		t.Fatalf("import without the station key: exit %d\n%s", code, e)
	}
	if code, _, e := runCLI(t, "ledger", "import", "--ledger", led, "--station-key", sk, more); code != 0 {
		t.Fatalf("import with the station key: exit %d\n%s", code, e)
	}
	// The attacker swaps the recipient for theirs: refused at open.
	if _, err := db.Exec(`UPDATE meta SET value = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj' WHERE key = 'recipient'`); err != nil {
		t.Fatal(err)
	}
	if code, _, e := runCLI(t, "ledger", "import", "--ledger", led, more); code != 1 || !strings.Contains(e, "fails authentication") {
		t.Fatalf("import after the recipient was swapped: exit %d\n%s", code, e)
	}
}

// TestDefaultLedgerPlace: with no ledger named, init makes it in the
// user's local data folder (private), and the other commands open it; before
// it exists they say where it would be.
func TestDefaultLedgerPlace(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TOKENCTL_CONFIG_DIR", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("TOKENCTL_LEDGER", "")
	def := filepath.Join(dir, "data", "tokenctl", "tokens.ledger")
	if code, _, e := runCLI(t, "ledger", "list"); code != 2 || !strings.Contains(e, def) {
		t.Fatalf("list before init: exit %d\n%s", code, e)
	}
	if code, _, e := runCLI(t, "ledger", "init", "--identity-out", filepath.Join(dir, "k.age")); code != 0 {
		t.Fatalf("init: %s", e)
	}
	mustMode600(t, def)
	if code, _, e := runCLI(t, "ledger", "verify"); code != 0 {
		t.Fatalf("verify of the default ledger: exit %d\n%s", code, e)
	}
}

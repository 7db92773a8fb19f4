package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
)

// readSeeds reads a seed file through the convert registry.
func readSeeds(t *testing.T, path, format string, o *convert.Options) map[string]*seed.Token {
	t.Helper()
	toks, err := convert.ReadAll(path, format, o)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*seed.Token{}
	for _, tk := range toks {
		if m[tk.Serial] != nil {
			t.Fatalf("%s: serial %s twice", path, tk.Serial)
		}
		m[tk.Serial] = tk
	}
	return m
}

func mustMode600(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %o, want 600", path, st.Mode().Perm())
	}
}

func TestLedgerCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	led := filepath.Join(dir, "tokens.ledger")
	key := filepath.Join(dir, "keys", "tokens.age")
	os.Mkdir(filepath.Dir(key), 0o700)
	// Flags, not the environment, so that the test can run in parallel
	// (TestLedgerEnv covers $TOKENCTL_LEDGER, $TOKENCTL_OPERATOR and
	// --passphrase-env).
	pass, badPass, pskcPW := filepath.Join(dir, "pass.txt"), filepath.Join(dir, "bad-pass.txt"), filepath.Join(dir, "pskc-pw.txt")
	os.WriteFile(pass, []byte("a long ledger passphrase\n"), 0o600)
	os.WriteFile(badPass, []byte("not the passphrase\n"), 0o600)
	os.WriteFile(pskcPW, []byte("pskc password\n"), 0o600)
	lg := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--ledger", led)...)
	}

	// init: key required somewhere; then with both an identity file and a passphrase.
	if code, _, errOut := runCLI(t, "ledger", "init", led); code != 2 || !strings.Contains(errOut, "--identity-out") {
		t.Fatalf("init without key: %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "--json", "ledger", "init", "--identity-out", key, "--passphrase-file", pass, led)
	if code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	var ini struct {
		Recipient  string `json:"recipient"`
		Passphrase bool   `json:"passphrase"`
	}
	if err := json.Unmarshal([]byte(out), &ini); err != nil || !strings.HasPrefix(ini.Recipient, "age1") || !ini.Passphrase {
		t.Fatalf("init JSON %q: %v", out, err)
	}
	mustMode600(t, led)
	mustMode600(t, key)
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", filepath.Join(dir, "k2"), led); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("init over a ledger: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", key, filepath.Join(dir, "other.ledger")); code != 1 || !strings.Contains(errOut, "not overwriting a key") {
		t.Fatalf("init over a key: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.ledger")); err == nil {
		t.Fatal("ledger created although its key could not be written")
	}

	// A vendor file of factory seeds.
	entra := filepath.Join(dir, "vendor.csv")
	if code, _, errOut := runCLI(t, "seed", "generate", "--count", "6", "--serial-prefix", "8659612", "--serial-width", "4",
		"--to", "entra", "--manufacturer", "Token2", "--model", "C202", "-o", entra); code != 0 {
		t.Fatalf("seed generate: %s", errOut)
	}
	vendor := readSeeds(t, entra, "entra", nil)

	code, out, errOut = lg("--json", "ledger", "import", "--batch", "po-4711", "--operator", "alice", entra)
	if code != 0 || !strings.Contains(out, `"imported": 6`) {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	// Again: every row clashes, nothing recorded, each named by file and line.
	code, _, errOut = lg("ledger", "import", entra)
	if code != 1 || strings.Count(errOut, "is already in the ledger") != 6 || !strings.Contains(errOut, entra+":2: serial: 86596120001") {
		t.Fatalf("re-import: %d %s", code, errOut)
	}

	// list and show
	code, out, _ = lg("--json", "ledger", "list", "--batch", "po-4711")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || code != 0 || len(recs) != 6 {
		t.Fatalf("list: %d %v %s", code, err, out)
	}
	if recs[0]["state"] != "programmed" || recs[0]["family"] != "imported" || recs[0]["operator"] != "alice" || recs[0]["kind"] != "totp" {
		t.Fatalf("record %v", recs[0])
	}
	code, out, _ = lg("ledger", "list")
	if code != 0 || strings.Count(out, "po-4711") != 6 || !strings.Contains(out, "totp/sha1/6/30s") {
		t.Fatalf("list text: %s", out)
	}
	code, out, _ = lg("ledger", "show", "86596120003")
	if code != 0 || !strings.Contains(out, "imported by alice: from "+entra) || !strings.Contains(out, "state:       programmed") {
		t.Fatalf("show: %s", out)
	}
	if code, _, errOut := lg("ledger", "show", "nope"); code != 1 || !strings.Contains(errOut, "not in the ledger: nope") {
		t.Fatalf("show unknown: %d %s", code, errOut)
	}

	// Nothing printed anywhere carries a secret.
	for _, tk := range vendor {
		for _, s := range []string{seed.EncodeHex(tk.Secret), strings.ToLower(seed.EncodeHex(tk.Secret)), seed.EncodeBase32(tk.Secret)} {
			if strings.Contains(out, s) {
				t.Fatal("show printed a secret")
			}
		}
	}

	// export needs the key.
	duo := filepath.Join(dir, "duo.csv")
	if code, _, errOut := lg("ledger", "export", "--to", "duo", "-o", duo); code != 2 || !strings.Contains(errOut, "--identity-file") {
		t.Fatalf("export without key: %d %s", code, errOut)
	}
	wrong := filepath.Join(dir, "wrong.ledger")
	wrongKey := filepath.Join(dir, "wrong.age")
	if code, _, errOut := runCLI(t, "ledger", "init", "--identity-out", wrongKey, wrong); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := lg("ledger", "export", "--to", "duo", "-o", duo, "--identity-file", wrongKey); code != 1 || !strings.Contains(errOut, "does not open") {
		t.Fatalf("export with the wrong key: %d %s", code, errOut)
	}
	if code, _, errOut := lg("ledger", "export", "--to", "duo", "-o", duo, "--passphrase-file", badPass); code != 1 || !strings.Contains(errOut, "does not open") {
		t.Fatalf("export with the wrong passphrase: %d %s", code, errOut)
	}
	if _, err := os.Stat(duo); err == nil {
		t.Fatal("output written on failure")
	}

	// Export with the identity file, then with the passphrase: the same seeds as the vendor file.
	for i, keyArgs := range [][]string{{"--identity-file", key}, {"--passphrase-file", pass}} {
		out := filepath.Join(dir, "duo"+string(rune('a'+i))+".csv")
		args := append([]string{"ledger", "export", "--to", "duo", "-o", out, "--batch", "po-4711"}, keyArgs...)
		if code, _, errOut := lg(args...); code != 0 {
			t.Fatalf("export %v: %d %s", keyArgs, code, errOut)
		}
		mustMode600(t, out)
		got := readSeeds(t, out, "duo", &convert.Options{Kind: seed.TOTP})
		if len(got) != len(vendor) {
			t.Fatalf("%d tokens exported, want %d", len(got), len(vendor))
		}
		for s, v := range vendor {
			if g := got[s]; g == nil || !bytes.Equal(g.Secret, v.Secret) || g.EffectivePeriod() != v.EffectivePeriod() {
				t.Fatalf("serial %s: exported token differs", s)
			}
		}
	}
	// Selections: a serial list; a state with nothing in it.
	pi := filepath.Join(dir, "pi.csv")
	if code, _, errOut := lg("ledger", "export", "--to", "privacyidea", "-o", pi, "--serial", "86596120002,86596120005", "--identity-file", key); code != 0 {
		t.Fatal(errOut)
	}
	if got := readSeeds(t, pi, "privacyidea", nil); len(got) != 2 || !bytes.Equal(got["86596120005"].Secret, vendor["86596120005"].Secret) {
		t.Fatalf("privacyidea export: %d tokens", len(got))
	}
	if code, _, errOut := lg("ledger", "export", "--to", "duo", "-o", duo, "--state", "pending", "--identity-file", key); code != 1 || !strings.Contains(errOut, "no token") {
		t.Fatalf("empty selection: %d %s", code, errOut)
	}
	// Target rules apply: Entra is fine, a Duo-YubiKey file is not for TOTP tokens.
	if code, _, errOut := lg("ledger", "export", "--to", "duo-yubikey", "-o", duo, "--identity-file", key); code != 1 {
		t.Fatalf("rules not applied: %d %s", code, errOut)
	}
	// PSKC, password-encrypted, round trip.
	pskcOut := filepath.Join(dir, "t.pskcxml")
	if code, _, errOut := lg("ledger", "export", "--to", "pskc", "--pskc-password-file", pskcPW, "-o", pskcOut, "--identity-file", key); code != 0 {
		t.Fatal(errOut)
	}
	if got := readSeeds(t, pskcOut, "pskc", &convert.Options{PSKCPassword: []byte("pskc password")}); len(got) != 6 || !bytes.Equal(got["86596120001"].Secret, vendor["86596120001"].Secret) {
		t.Fatal("pskc export differs")
	}
	if code, _, _ := lg("ledger", "list", "--state", "bogus"); code != 2 {
		t.Fatal("bad state accepted")
	}
	mustMode600(t, pi)
	mustMode600(t, pskcOut)

	// Inputs that are not seed files are invalid data (exit 1), nothing recorded;
	// a file several formats fit needs --from (exit 2).
	notes, header, duoish := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "header.csv"), filepath.Join(dir, "duoish.csv")
	os.WriteFile(notes, []byte("call the vendor about the second box\n"), 0o600)
	os.WriteFile(header, []byte("upn,serial number,secret key,time interval,manufacturer,model\n"), 0o600)
	os.WriteFile(duoish, []byte("90001,3132333435363738393031323334353637383930,30\n"), 0o600)
	for _, c := range []struct {
		file, want string
		code       int
	}{
		{notes, "cannot tell the input format", 1},
		{header, header + ": no tokens in the file", 1},
		{duoish, "could be duo-hotp or duo-totp", 2},
	} {
		if code, _, errOut := lg("ledger", "import", c.file); code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("ledger import %s: exit %d, %s; want %d and %q", filepath.Base(c.file), code, errOut, c.code, c.want)
		}
		if code, _, errOut := runCLI(t, "code", "--seeds", c.file, "--serial", "90001"); c.file != header && (code != c.code || !strings.Contains(errOut, c.want)) {
			t.Errorf("code --seeds %s: exit %d, %s; want %d and %q", filepath.Base(c.file), code, errOut, c.code, c.want)
		}
	}

	// assign: every line checked first, nothing assigned on a problem.
	users := filepath.Join(dir, "users.csv")
	os.WriteFile(users, []byte("serial,user\n86596120001,alice@example.com\n# handed out later\n86596120009,bob@example.com\n86596120001,carol@example.com\n"), 0o600)
	code, _, errOut = lg("ledger", "assign", "--operator", "alice", "--file", users)
	if code != 1 || !strings.Contains(errOut, users+":4: serial: 86596120009 is not in the ledger") ||
		!strings.Contains(errOut, users+":5: serial: 86596120001 given twice (first at "+users+":2)") {
		t.Fatalf("assign with bad lines: %d %s", code, errOut)
	}
	if _, out, _ := lg("ledger", "show", "86596120001"); !strings.Contains(out, "user:        -") {
		t.Fatal("a refused assign file assigned a user")
	}
	os.WriteFile(users, []byte("serial,user\n86596120001,alice@example.com\n86596120002,bob@example.com\n"), 0o600)
	if code, out, errOut := lg("ledger", "assign", "--operator", "alice", "--file", users); code != 0 || !strings.Contains(out, "2 tokens assigned") {
		t.Fatalf("assign: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := lg("ledger", "assign", "--operator", "alice", "86596120003", "dave@example.com"); code != 0 {
		t.Fatalf("assign one: %s", errOut)
	}
	if code, _, _ := lg("ledger", "assign", "86596120003"); code != 2 {
		t.Fatal("assign without a user accepted")
	}
	if _, out, _ := lg("ledger", "show", "86596120002"); !strings.Contains(out, "user:        bob@example.com") || !strings.Contains(out, "assigned by alice: bob@example.com") {
		t.Fatalf("show after assign: %s", out)
	}
	// Entra's export carries the assigned users as UPNs.
	entraOut := filepath.Join(dir, "entra-out.csv")
	if code, _, errOut := lg("ledger", "export", "--to", "entra", "-o", entraOut, "--identity-file", key); code != 0 {
		t.Fatal(errOut)
	}
	mustMode600(t, entraOut)
	got := readSeeds(t, entraOut, "entra", nil)
	if len(got) != 6 || got["86596120001"].User != "alice@example.com" || got["86596120003"].User != "dave@example.com" || got["86596120004"].User != "" ||
		!bytes.Equal(got["86596120002"].Secret, vendor["86596120002"].Secret) {
		t.Fatalf("entra export: %d tokens, users %q %q", len(got), got["86596120001"].User, got["86596120003"].User)
	}
}

// TestLedgerEnv: the environment names the ledger ($TOKENCTL_LEDGER), the
// operator ($TOKENCTL_OPERATOR) and holds the passphrase (--passphrase-env).
func TestLedgerEnv(t *testing.T) {
	dir := t.TempDir()
	led, entra := filepath.Join(dir, "env.ledger"), filepath.Join(dir, "vendor.csv")
	t.Setenv("TOKENCTL_CONFIG_DIR", filepath.Join(dir, "cfg"))
	t.Setenv("TOKENCTL_LEDGER", led)
	t.Setenv("TOKENCTL_OPERATOR", "erin")
	t.Setenv("LEDGER_PASS", "a long ledger passphrase")
	if code, _, e := runCLI(t, "ledger", "init", "--passphrase-env", "LEDGER_PASS"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	if code, _, e := runCLI(t, "seed", "generate", "--count", "2", "--serial-prefix", "EV", "--to", "entra", "--manufacturer", "Token2", "--model", "C202", "-o", entra); code != 0 {
		t.Fatalf("seeds: %s", e)
	}
	if code, _, e := runCLI(t, "ledger", "import", "--batch", "env", entra); code != 0 {
		t.Fatalf("import: %s", e)
	}
	if code, out, e := runCLI(t, "ledger", "show", "EV1"); code != 0 || !strings.Contains(out, "operator:    erin") || !strings.Contains(out, "imported by erin") {
		t.Fatalf("show: %d %s %s", code, out, e)
	}
	vendor := readSeeds(t, entra, "entra", nil)
	out := filepath.Join(dir, "out.csv")
	if code, _, e := runCLI(t, "ledger", "export", "--to", "entra", "-o", out, "--passphrase-env", "LEDGER_PASS"); code != 0 {
		t.Fatalf("export: %s", e)
	}
	if got := readSeeds(t, out, "entra", nil); len(got) != 2 || !bytes.Equal(got["EV2"].Secret, vendor["EV2"].Secret) {
		t.Fatalf("export: %d tokens", len(got))
	}
}

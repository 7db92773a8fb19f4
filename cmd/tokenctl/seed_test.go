package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/seed"
)

// readTestSeeds reads a file of the test format back.
func readTestSeeds(t *testing.T, path string) []*seed.Token {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &testReader{s: bufio.NewScanner(f), file: path}
	var out []*seed.Token
	for {
		tok, _, err := r.Read()
		if err != nil {
			if err == io.EOF {
				return out
			}
			t.Fatal(err)
		}
		out = append(out, tok)
	}
}

func TestSeedGenerateTestFormat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "seeds.txt")
	code, stdout, errOut := runCLI(t, "seed", "generate", "--count", "25", "--serial-prefix", "TK", "--serial-width", "4",
		"--serial-start", "98", "--to", testFormat, "-o", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	if errOut != "wrote 25 totp sha1 seeds (20 bytes) to "+out+" ("+testFormat+")\n" {
		t.Errorf("stderr %q", errOut)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", st.Mode(), err)
	}
	toks := readTestSeeds(t, out)
	if len(toks) != 25 {
		t.Fatalf("%d tokens, want 25", len(toks))
	}
	seen := map[string]bool{}
	for i, tok := range toks {
		if want := "TK" + strconv.Itoa(10000 + 98 + i)[1:]; tok.Serial != want {
			t.Errorf("serial %d = %q, want %q", i, tok.Serial, want)
		}
		if tok.Kind != seed.TOTP || tok.Hash != seed.SHA1 || tok.Digits != 6 || tok.Period != 30 || len(tok.Secret) != 20 {
			t.Errorf("token %d: %v", i, tok)
		}
		h := seed.EncodeHex(tok.Secret)
		if seen[h] {
			t.Fatal("two tokens got the same secret")
		}
		seen[h] = true
	}
	// Nothing but the output is left in the directory (no temp file).
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
	// The stderr never shows a generated secret.
	for h := range seen {
		assertNoSecret(t, []string{errOut}, h)
	}

	// An existing output is not replaced without --force.
	before, _ := os.ReadFile(out)
	code, _, errOut = runCLI(t, "seed", "generate", "--count", "1", "--serial-prefix", "X", "--to", testFormat, "-o", out)
	if code != 1 || !strings.Contains(errOut, "exists and may hold seeds already in use") {
		t.Errorf("overwrite: exit %d, %q", code, errOut)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Error("existing file changed")
	}
	code, _, errOut = runCLI(t, "seed", "generate", "--count", "1", "--serial-prefix", "X", "--to", testFormat, "-o", out, "--force")
	if code != 0 || len(readTestSeeds(t, out)) != 1 {
		t.Errorf("--force: exit %d, %q", code, errOut)
	}
}

func TestSeedGenerateParameters(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args           []string
		kind           seed.Kind
		hash           seed.Hash
		digits, period int
		counter        uint64
		secretLen      int
	}{
		{[]string{"--hash", "sha256"}, seed.TOTP, seed.SHA256, 6, 30, 0, 32},
		{[]string{"--hash", "sha512", "--digits", "8", "--period", "60"}, seed.TOTP, seed.SHA512, 8, 60, 0, 64},
		{[]string{"--kind", "hotp", "--counter", "7", "--bytes", "16"}, seed.HOTP, seed.SHA1, 6, 30, 7, 16},
	} {
		out := filepath.Join(t.TempDir(), "s")
		args := append([]string{"seed", "generate", "--count", "3", "--serial-prefix", "P", "--to", testFormat, "-o", out}, c.args...)
		if code, _, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		for _, tok := range readTestSeeds(t, out) {
			if tok.Kind != c.kind || tok.Hash != c.hash || tok.Digits != c.digits || tok.EffectivePeriod() != c.period ||
				tok.Counter != c.counter || len(tok.Secret) != c.secretLen {
				t.Errorf("%v: got %v period %d counter %d", c.args, tok, tok.Period, tok.Counter)
			}
		}
	}
}

func TestSeedGenerateSerialsFile(t *testing.T) {
	t.Parallel()
	serials := writeFile(t, "serials.txt", "\xef\xbb\xbf# box 17\r\nA-0001\r\n\r\n  A-0002  \r\nA-0003\r\n")
	out := filepath.Join(t.TempDir(), "s")
	code, _, errOut := runCLI(t, "seed", "generate", "--serials", serials, "--to", testFormat, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	toks := readTestSeeds(t, out)
	if len(toks) != 3 || toks[0].Serial != "A-0001" || toks[1].Serial != "A-0002" || toks[2].Serial != "A-0003" {
		t.Fatalf("tokens %v", toks)
	}
	code, _, errOut = runCLI(t, "seed", "generate", "--serials", serials, "--count", "2", "--to", testFormat, "-o", out+"2")
	if code != 2 || !strings.Contains(errOut, "--count 2, but "+serials+" holds 3 serials") {
		t.Errorf("count mismatch: exit %d, %q", code, errOut)
	}

	bad := writeFile(t, "bad.txt", strings.Join([]string{
		"S1", "S2", "S1", "1.00013E+12", strings.Repeat("x", 129), "has space", "S2",
	}, "\n"))
	code, _, errOut = runCLI(t, "seed", "generate", "--serials", bad, "--to", testFormat, "-o", out+"3")
	for _, want := range []string{
		bad + ":3: serial: S1 appears again (first on line 1)",
		bad + ":4: serial: \"1.00013E+12\" looks damaged by a spreadsheet",
		bad + ":5: serial: 129 characters, at most 128",
		bad + ":6: serial: a line of 9 characters with ' ' in it: only letters",
		bad + ":7: serial: S2 appears again (first on line 2)",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("bad serials: missing %q in %q", want, errOut)
		}
	}
	if code != 1 {
		t.Errorf("bad serials: exit %d", code)
	}
	if _, err := os.Stat(out + "3"); !os.IsNotExist(err) {
		t.Error("output written despite bad serials")
	}
	empty := writeFile(t, "empty.txt", "# nothing\n\n")
	if code, _, errOut := runCLI(t, "seed", "generate", "--serials", empty, "--to", testFormat); code != 1 || !strings.Contains(errOut, "no serials") {
		t.Errorf("empty serials: exit %d, %q", code, errOut)
	}
}

func TestSeedGenerateStdoutAndJSON(t *testing.T) {
	t.Parallel()
	code, stdout, errOut := runCLI(t, "seed", "generate", "--count", "2", "--serial-prefix", "Z", "--to", testFormat)
	if code != 0 || !strings.HasPrefix(stdout, "#zz-test-seeds\nZ1 totp sha1 6 30 0 ") || strings.Count(stdout, "\n") != 3 || errOut != "" {
		t.Errorf("stdout: exit %d, %q, %q", code, stdout, errOut)
	}
	code, _, errOut = runCLI(t, "--json", "seed", "generate", "--count", "2", "--serial-prefix", "Z", "--to", testFormat)
	if code != 2 || !strings.Contains(errOut, "give -o FILE") {
		t.Errorf("--json to stdout: exit %d, %q", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "s")
	code, stdout, _ = runCLI(t, "--json", "seed", "generate", "--count", "2", "--serial-prefix", "Z", "--kind", "hotp", "--to", testFormat, "-o", out)
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 {
		t.Fatalf("json: %v %q", err, stdout)
	}
	if rep["count"] != float64(2) || rep["format"] != testFormat || rep["output"] != out || rep["kind"] != "hotp" ||
		rep["first_serial"] != "Z1" || rep["last_serial"] != "Z2" || rep["secret_bytes"] != float64(20) || rep["counter"] != float64(0) {
		t.Errorf("json report: %s", stdout)
	}
	for _, tok := range readTestSeeds(t, out) {
		assertNoSecret(t, []string{stdout}, seed.EncodeHex(tok.Secret), seed.EncodeBase32(tok.Secret))
	}
}

func TestSeedGenerateUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--count", "1", "--serial-prefix", "X"}, "--to is required"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", "nope"}, "unknown format"},
		{[]string{"--count", "1", "--to", testFormat}, "no serials"},
		{[]string{"--serial-prefix", "X", "--to", testFormat}, "--count is required"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--serials", "f", "--to", testFormat}, "none of the others can be"},
		{[]string{"--count", "1", "--serial-prefix", "X Y", "--to", testFormat}, "--serial-prefix"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--digits", "7"}, "--digits 7"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--period", "45"}, "--period 45"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--kind", "yubico"}, "--kind"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--hash", "md5"}, "--hash"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--bytes", "9"}, "--bytes 9"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--kind", "hotp", "--period", "60"}, "--period applies to TOTP"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "--counter", "5"}, "--counter applies to HOTP"},
		{[]string{"--count", "-1", "--serial-prefix", "X", "--to", testFormat}, "--count -1"},
		{[]string{"--count", "1", "--serial-prefix", "X", "--to", testFormat, "extra"}, "unknown command"},
	} {
		code, _, errOut := runCLI(t, append([]string{"seed", "generate"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.err) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.err)
		}
	}
	// Short secrets work, with a warning.
	out := filepath.Join(t.TempDir(), "s")
	code, _, errOut := runCLI(t, "seed", "generate", "--count", "1", "--serial-prefix", "X", "--to", testFormat, "--bytes", "10", "-o", out)
	if code != 0 || !strings.Contains(errOut, "warning: 10-byte secrets are shorter than the 16 bytes") {
		t.Errorf("--bytes 10: exit %d, %q", code, errOut)
	}
}

// The real server formats: their rules refuse what the server cannot
// import, once, before anything is generated; what they take converts
// to codes oathtool agrees with.
func TestSeedGenerateServerFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		exit int
		err  string
	}{
		{[]string{"--to", "duo", "--hash", "sha256"}, 2, "--to duo: hash:"},
		{[]string{"--to", "entra", "--kind", "hotp"}, 2, "--to entra:"},
	} {
		args := append([]string{"seed", "generate", "--count", "5", "--serial-prefix", "S", "-o", filepath.Join(dir, "x")}, c.args...)
		code, _, errOut := runCLI(t, args...)
		if code != c.exit || !strings.Contains(errOut, c.err) || strings.Count(errOut, c.err) != 1 {
			t.Errorf("%v: exit %d, %q; want %d and %q once", c.args, code, errOut, c.exit, c.err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Error("refused generation left a file")
	}

	// Duo TOTP lines, 60 s: serial,HEX,60. The code of each agrees with
	// oathtool and with 'tokenctl code --seeds'.
	out := filepath.Join(dir, "duo.csv")
	code, _, errOut := runCLI(t, "seed", "generate", "--count", "4", "--serial-prefix", "D", "--period", "60", "--to", "duo", "-o", out)
	if code != 0 {
		t.Fatalf("duo: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("duo: %d lines", len(lines))
	}
	ot := requireOathtool(t)
	for i, l := range lines {
		f := strings.Split(l, ",")
		if len(f) != 3 || f[0] != "D"+strconv.Itoa(i+1) || len(f[1]) != 40 || f[2] != "60" {
			t.Fatalf("duo line %q", l)
		}
		code, got, errOut := runCLI(t, "code", "--seeds", out, "--from", "duo-totp", "--serial", f[0], "--time", "1700000000")
		if code != 0 {
			t.Fatalf("code --seeds: exit %d: %s", code, errOut)
		}
		want, err := exec.Command(ot, "--totp", "-s", "60s", "--now", "@1700000000", f[1]).Output()
		if err != nil || string(want) != got {
			t.Errorf("serial %s: code %q, oathtool %q (%v)", f[0], got, want, err)
		}
	}
}

// Seeds generated into a password-protected PSKC file decrypt with
// python-pskc (a real peer) to secrets whose codes oathtool and
// 'tokenctl code --seeds' agree on.
func TestSeedGeneratePSKCWithPythonPSKC(t *testing.T) {
	t.Parallel()
	testpeer.Check(t, "python3-pskc", "/usr/bin/python3", "-c", "import pskc")
	ot := requireOathtool(t)
	out := filepath.Join(t.TempDir(), "gen.pskc")
	pw := writeFile(t, "pw", "correct horse battery\n")
	code, _, errOut := runCLI(t, "seed", "generate", "--count", "3", "--serial-prefix", "PS", "--hash", "sha256", "--digits", "8", "--period", "60",
		"--to", "pskc", "--pskc-password-file", pw, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	py := `import pskc, sys
p = pskc.PSKC(sys.argv[1]); p.encryption.derive_key(sys.argv[2])
for k in p.keys: print(k.serial, k.secret.hex(), k.algorithm_suite, k.response_length, k.time_interval)`
	res, err := exec.Command("/usr/bin/python3", "-c", py, out, "correct horse battery").CombinedOutput()
	if err != nil {
		t.Fatalf("python-pskc: %v: %s", err, res)
	}
	lines := strings.Split(strings.TrimSpace(string(res)), "\n")
	if len(lines) != 3 {
		t.Fatalf("python-pskc read %d keys: %s", len(lines), res)
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) != 5 || f[0] != "PS"+strconv.Itoa(i+1) || len(f[1]) != 64 || strings.ToUpper(f[2]) != "HMAC-SHA256" || f[3] != "8" || f[4] != "60" {
			t.Fatalf("python-pskc key %q", l)
		}
		want, err := exec.Command(ot, "--totp=sha256", "-d", "8", "-s", "60s", "--now", "@1700000000", f[1]).Output()
		if err != nil {
			t.Fatal(err)
		}
		code, got, errOut := runCLI(t, "code", "--seeds", out, "--serial", f[0], "--pskc-password-file", pw, "--time", "1700000000")
		if code != 0 || got != string(want) {
			t.Errorf("%s: code %q (exit %d, %s), oathtool %q", f[0], got, code, errOut, want)
		}
	}
	// Without the password: exit 1, and no secret anywhere.
	code, got, errOut := runCLI(t, "code", "--seeds", out, "--serial", "PS1")
	if code != 1 || got != "" || !strings.Contains(errOut, "no token could be read") {
		t.Errorf("no password: exit %d, %q, %q", code, got, errOut)
	}
	assertNoSecret(t, []string{errOut}, strings.Fields(lines[0])[1])
}

// requireOathtool returns oathtool's path; skips without it, except under
// CI=true, where its absence is a failure.
func requireOathtool(t *testing.T) string {
	t.Helper()
	return testpeer.Command(t, "oathtool")
}

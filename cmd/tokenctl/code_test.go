package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
)

// testFormat is a tiny seed-file format registered for these tests only, so
// that code/check/seed generate are tested against the registry API and not
// against another package's dialects:
//
//	#zz-test-seeds
//	serial kind hash digits period counter HEX
const testFormat = "zz-test-seeds"

func init() {
	convert.Register(convert.Format{
		Name:    testFormat,
		Summary: "test only",
		Open: func(r io.Reader, file string, o *convert.Options) (seed.Reader, error) {
			return &testReader{s: bufio.NewScanner(r), file: file}, nil
		},
		Create: func(w io.Writer, o *convert.Options) (seed.Writer, error) {
			return &testWriter{w: w}, nil
		},
		Sniff: func(head []byte) bool { return bytes.HasPrefix(head, []byte("#zz-test-seeds")) },
	})
}

type testReader struct {
	s    *bufio.Scanner
	file string
	line int
}

func (r *testReader) Read() (*seed.Token, int, error) {
	for r.s.Scan() {
		r.line++
		l := strings.TrimSpace(r.s.Text())
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Fields(l)
		bad := func(field, msg string) (*seed.Token, int, error) {
			return nil, r.line, &seed.FieldError{File: r.file, Line: r.line, Field: field, Msg: msg}
		}
		if len(f) != 7 {
			return bad("", fmt.Sprintf("%d fields, want 7", len(f)))
		}
		k, err := seed.ParseKind(f[1])
		if err != nil {
			return bad("kind", err.Error())
		}
		h, err := seed.ParseHash(f[2])
		if err != nil {
			return bad("hash", err.Error())
		}
		d, _ := strconv.Atoi(f[3])
		p, _ := strconv.Atoi(f[4])
		ctr, _ := strconv.ParseUint(f[5], 10, 64)
		sec, err := seed.DecodeHex(f[6])
		if err != nil {
			return bad("secret", err.Error())
		}
		return &seed.Token{Serial: f[0], Kind: k, Hash: h, Digits: d, Period: p, Counter: ctr, Secret: sec}, r.line, nil
	}
	return nil, 0, io.EOF
}

type testWriter struct {
	w io.Writer
	n int
}

func (w *testWriter) Write(t *seed.Token) error {
	if w.n == 0 {
		if _, err := io.WriteString(w.w, "#zz-test-seeds\n"); err != nil {
			return err
		}
	}
	w.n++
	_, err := fmt.Fprintf(w.w, "%s %s %s %d %d %d %s\n", t.Serial, t.Kind, t.Hash, t.EffectiveDigits(), t.EffectivePeriod(), t.Counter, seed.EncodeHex(t.Secret))
	return err
}

func (w *testWriter) Close() error { return nil }

const rfcHex = "3132333435363738393031323334353637383930"
const rfcB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertNoSecret fails when any secret text, or a long piece of it, shows
// up in the outputs.
func assertNoSecret(t *testing.T, outs []string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, o := range outs {
			for i := 0; i+8 <= len(s); i++ {
				if strings.Contains(strings.ToUpper(o), strings.ToUpper(s[i:i+8])) {
					t.Fatalf("output shows a piece of the secret (%q): %q", s[i:i+8], o)
				}
			}
		}
	}
}

func TestCodeRFCVectors(t *testing.T) {
	t.Parallel()
	seedB32 := writeFile(t, "seedB32", rfcB32)
	seedHex := writeFile(t, "seedHex", rfcHex)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--secret-file", seedB32, "--time", "59", "--digits", "8"}, "94287082"},
		{[]string{"--secret-file", seedB32, "--time", "@1111111109", "--digits", "8"}, "07081804"},
		{[]string{"--secret-file", seedB32, "--time", "2005-03-18T01:58:29Z", "--digits", "8"}, "07081804"},
		{[]string{"--secret-file", seedB32, "--time", "2005-03-18T02:58:29+01:00", "--digits", "8"}, "07081804"},
		{[]string{"--secret-file", seedHex, "--encoding", "hex", "--counter", "0"}, "755224"},
		{[]string{"--secret-file", seedHex, "--encoding", "hex", "--counter", "9"}, "520489"},
		{[]string{"--secret-file", seedHex, "--encoding", "hex", "--hash", "sha256", "--time", "59", "--digits", "8"}, ""}, // secret too short for the SHA-256 vector; only checks it runs
	} {
		code, out, errOut := runCLI(t, append([]string{"code"}, c.args...)...)
		if code != 0 {
			t.Fatalf("code %v: exit %d: %s", c.args, code, errOut)
		}
		if c.want != "" && out != c.want+"\n" {
			t.Errorf("code %v = %q, want %q", c.args, out, c.want+"\n")
		}
	}
	// The RFC 6238 SHA-256 vector with its own 32-byte secret.
	seed256 := writeFile(t, "seed256", "3132333435363738393031323334353637383930313233343536373839303132")
	_, out, _ := runCLI(t, "code", "--secret-file", seed256, "--encoding", "hex", "--hash", "sha256", "--digits", "8", "--time", "1234567890")
	if out != "91819424\n" {
		t.Errorf("SHA-256 vector: %q", out)
	}
}

func TestCodeJSON(t *testing.T) {
	t.Parallel()
	seedB32 := writeFile(t, "seedB32", rfcB32)
	code, out, errOut := runCLI(t, "--json", "code", "--secret-file", seedB32, "--time", "1111111109", "--digits", "8")
	if code != 0 {
		t.Fatal(errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["code"] != "07081804" || rep["kind"] != "totp" || rep["time"] != "2005-03-18T01:58:29Z" ||
		rep["valid_for_seconds"] != float64(1) || rep["step"] != float64(37037036) {
		t.Errorf("json: %s", out)
	}
	if _, ok := rep["counter"]; ok {
		t.Errorf("TOTP report has a counter: %s", out)
	}
	code, out, _ = runCLI(t, "--json", "code", "--secret-file", seedB32, "--counter", "7")
	rep = nil
	json.Unmarshal([]byte(out), &rep)
	if code != 0 || rep["code"] != "162583" || rep["counter"] != float64(7) || rep["kind"] != "hotp" {
		t.Errorf("HOTP json: %s", out)
	}
	assertNoSecret(t, []string{out}, rfcB32, rfcHex)
}

func TestCodeSecretFileAndStdin(t *testing.T) {
	t.Parallel()
	// Lower case, spaced, padded base32 in a file: what people paste.
	p := writeFile(t, "s.b32", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq====\n")
	_, out, errOut := runCLI(t, "code", "--secret-file", p, "--counter", "1")
	if out != "287082\n" {
		t.Errorf("file: %q %s", out, errOut)
	}
	envOf(t).stdin = rfcHex + "\n"
	_, out, errOut = runCLI(t, "code", "--secret-file", "-", "--encoding", "hex", "--counter", "2")
	if out != "359152\n" {
		t.Errorf("stdin: %q %s", out, errOut)
	}
}

// The code agrees with oathtool for random seeds given through a file and
// through the environment.
func TestCodeAgreesWithOathtool(t *testing.T) {
	ot := requireOathtool(t)
	dir := t.TempDir()
	for i := 0; i < 24; i++ {
		h := []seed.Hash{seed.SHA1, seed.SHA256, seed.SHA512}[i%3]
		digits := []int{6, 8}[(i/3)%2]
		period := []int{30, 60}[(i/6)%2]
		secret, _ := seed.Generate(h.DefaultSecretLen())
		n, _ := rand.Int(rand.Reader, big.NewInt(4_000_000_000))
		unix := strconv.FormatInt(n.Int64(), 10)
		hexs := seed.EncodeHex(secret)
		want, err := exec.Command(ot, "--totp="+h.String(), "-d", strconv.Itoa(digits), "-s", strconv.Itoa(period)+"s", "--now", "@"+unix, hexs).Output()
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"code", "--hash", h.String(), "--digits", strconv.Itoa(digits), "--period", strconv.Itoa(period), "--time", unix}
		if i%2 == 0 {
			p := filepath.Join(dir, fmt.Sprintf("s%d", i))
			os.WriteFile(p, []byte(seed.EncodeBase32(secret)+"\n"), 0o600)
			args = append(args, "--secret-file", p)
		} else {
			t.Setenv("TK_RAND_SEED", hexs)
			args = append(args, "--secret-env", "TK_RAND_SEED", "--encoding", "hex")
		}
		code, out, errOut := runCLI(t, args...)
		if code != 0 || out != string(want) {
			t.Errorf("%v: got %q (exit %d, %s), oathtool %q", args, out, code, errOut, want)
		}
		// HOTP (oathtool: SHA-1 only).
		if h == seed.SHA1 {
			ctr := strconv.Itoa(i * 1000)
			want, _ := exec.Command(ot, "--hotp", "-d", strconv.Itoa(digits), "-c", ctr, hexs).Output()
			t.Setenv("TK_RAND_SEED", hexs)
			_, out, _ := runCLI(t, "code", "--secret-env", "TK_RAND_SEED", "--encoding", "hex", "--digits", strconv.Itoa(digits), "--counter", ctr)
			if out != string(want) {
				t.Errorf("HOTP counter %s: got %q, oathtool %q", ctr, out, want)
			}
		}
	}
}

func seedFile(t *testing.T, lines ...string) string {
	return writeFile(t, "seeds.txt", "#zz-test-seeds\n"+strings.Join(lines, "\n")+"\n")
}

func TestCodeFromSeedFile(t *testing.T) {
	t.Parallel()
	const sha256Secret = "3132333435363738393031323334353637383930313233343536373839303132"
	f := seedFile(t,
		"broken line",
		"H1 hotp sha1 6 30 3 "+rfcHex,
		"T1 totp sha256 8 30 0 "+sha256Secret,
		"Y1 yubico-otp sha1 6 30 0 "+rfcHex,
		"D1 totp sha1 6 30 0 "+rfcHex,
		"D1 totp sha1 6 30 0 "+rfcHex,
	)
	for _, c := range []struct {
		args []string
		exit int
		out  string
		err  string
	}{
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "H1"}, 0, "969429\n", ""},
		{[]string{"--seeds", f, "--serial", "H1"}, 0, "969429\n", ""}, // format detected
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "H1", "--counter", "9"}, 0, "520489\n", ""},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "T1", "--time", "1234567890"}, 0, "91819424\n", ""},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "NOPE"}, 1, "", "serial NOPE not found (1 records could not be read, the first: " + f + ":2: 2 fields, want 7)"},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "Y1"}, 1, "", "yubico-otp token, which has no OATH code"},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "D1"}, 1, "", f + ":7: serial: D1 appears again (first on line 6)"},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "H1", "--time", "59"}, 2, "", "HOTP token"},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "T1", "--counter", "1"}, 2, "", "TOTP token"},
		{[]string{"--seeds", f, "--from", testFormat, "--serial", "T1", "--hash", "sha1"}, 2, "", "--hash applies to --secret-file"},
		{[]string{"--seeds", f, "--from", "no-such-format", "--serial", "T1"}, 2, "", "unknown format"},
		{[]string{"--seeds", f}, 2, "", "--serial and --seeds go together"},
		{[]string{"--seeds", filepath.Join(t.TempDir(), "missing"), "--serial", "X"}, 1, "", "no such file"},
	} {
		code, out, errOut := runCLI(t, append([]string{"code"}, c.args...)...)
		if code != c.exit || out != c.out || !strings.Contains(errOut, c.err) {
			t.Errorf("code %v: exit %d, %q, %q; want %d, %q, %q", c.args, code, out, errOut, c.exit, c.out, c.err)
		}
		assertNoSecret(t, []string{errOut}, rfcHex, sha256Secret)
	}
}

func TestCodeUsageErrors(t *testing.T) {
	t.Setenv("TK_SEED", rfcB32)
	t.Setenv("TK_BAD", "GEZDGNBVGY3TQOJQ1EZDGNBVGY3TQOJQ")
	for _, c := range []struct {
		args []string
		exit int
		err  string
	}{
		{nil, 2, "no token given"},
		{[]string{"--secret-env", "TK_SEED", "--serial", "X", "--seeds", "f"}, 2, "not both"},
		{[]string{"--secret-env", "TK_SEED", "--digits", "5"}, 2, "--digits 5"},
		{[]string{"--secret-env", "TK_SEED", "--hash", "md5"}, 2, "--hash"},
		{[]string{"--secret-env", "TK_SEED", "--encoding", "rot13"}, 2, "--encoding"},
		{[]string{"--secret-env", "TK_SEED", "--counter", "-1"}, 2, "--counter"},
		{[]string{"--secret-env", "TK_SEED", "--counter", "1", "--time", "5"}, 2, "exclude each other"},
		{[]string{"--secret-env", "TK_SEED", "--time", "yesterday"}, 2, "--time"},
		{[]string{"--secret-env", "TK_SEED", "--from", "duo"}, 2, "--from applies to --seeds"},
		{[]string{"--secret-env", "TK_SEED", "extra"}, 2, "unknown command"},
		{[]string{"--secret-env", "TK_UNSET_VAR"}, 1, "TK_UNSET_VAR is not set"},
		{[]string{"--secret-env", "TK_BAD"}, 1, "$TK_BAD: base32: invalid character at position 17"},
		{[]string{"--secret-env", "TK_SEED", "--encoding", "hex"}, 1, "$TK_SEED: hex: invalid character"},
	} {
		code, out, errOut := runCLI(t, append([]string{"code"}, c.args...)...)
		if code != c.exit || out != "" || !strings.Contains(errOut, c.err) {
			t.Errorf("code %v: exit %d, %q, %q; want %d and %q", c.args, code, out, errOut, c.exit, c.err)
		}
		assertNoSecret(t, []string{errOut}, rfcB32, "GEZDGNBVGY3TQOJQ1EZDGNBVGY3TQOJQ")
	}
}

func TestCheckTOTPDrift(t *testing.T) {
	t.Parallel()
	seedB32 := writeFile(t, "seedB32", rfcB32)
	now := time.Unix(1_800_000_000, 0)
	for _, c := range []struct {
		off, period int
		want        string
	}{
		{-3, 30, "matches step -3 (-90 s): the token's clock is 90 s slow\n"},
		{2, 60, "matches step +2 (+120 s): the token's clock is 120 s fast\n"},
		{0, 30, "matches the step of --time (0 s): the token's clock is right\n"},
		{10, 30, "matches step +10 (+300 s): the token's clock is 300 s fast\n"},
	} {
		secret, _ := seed.DecodeBase32(rfcB32)
		tc, _ := seed.TOTPCode(secret, now.Add(time.Duration(c.off*c.period)*time.Second), seed.SHA1, 6, c.period)
		args := []string{"check", "--secret-file", seedB32, "--period", strconv.Itoa(c.period), "--time", strconv.FormatInt(now.Unix(), 10), "--code", tc[:3] + " " + tc[3:]}
		code, out, errOut := runCLI(t, args...)
		if code != 0 || out != c.want {
			t.Errorf("offset %d: exit %d, %q, %s; want %q", c.off, code, out, errOut, c.want)
		}
		code, out, _ = runCLI(t, append([]string{"--json"}, args...)...)
		var rep struct {
			Match        bool
			OffsetSteps  *int `json:"offset_steps"`
			DriftSeconds *int `json:"drift_seconds"`
			Window       int
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.Match || rep.OffsetSteps == nil ||
			*rep.OffsetSteps != c.off || *rep.DriftSeconds != c.off*c.period || rep.Window != 10 {
			t.Errorf("offset %d json: %s", c.off, out)
		}
	}
	// 11 steps off: outside the default window (exit 1, JSON says no match),
	// inside --window 11.
	secret, _ := seed.DecodeBase32(rfcB32)
	tc, _ := seed.TOTPCode(secret, now.Add(-11*30*time.Second), seed.SHA1, 6, 30)
	ts := strconv.FormatInt(now.Unix(), 10)
	code, out, errOut := runCLI(t, "check", "--secret-file", seedB32, "--time", ts, "--code", tc)
	if code != 1 || out != "" || !strings.Contains(errOut, "matches no step within 10 steps (300 s)") {
		t.Errorf("outside window: exit %d, %q, %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "--json", "check", "--secret-file", seedB32, "--time", ts, "--code", tc)
	if code != 1 || !strings.Contains(out, `"match": false`) {
		t.Errorf("outside window json: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "check", "--secret-file", seedB32, "--time", ts, "--code", tc, "--window", "11")
	if code != 0 || !strings.Contains(out, "step -11 (-330 s)") {
		t.Errorf("window 11: exit %d, %q", code, out)
	}
	assertNoSecret(t, []string{out, errOut}, rfcB32, rfcHex)
}

func TestCheckHOTP(t *testing.T) {
	t.Parallel()
	f := seedFile(t, "H1 hotp sha1 6 30 3 "+rfcHex)
	// RFC 4226 code for counter 8 is 399871: 5 past the file's counter 3.
	code, out, errOut := runCLI(t, "check", "--seeds", f, "--serial", "H1", "--code", "399871")
	if code != 0 || out != "matches counter 8 (offset +5 from 3): the token was pressed 5 times without a login; next code at counter 9\n" {
		t.Errorf("exit %d, %q, %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "--json", "check", "--seeds", f, "--serial", "H1", "--code", "399871")
	var rep struct {
		Match                              bool
		Offset                             int
		Counter, MatchCounter, NextCounter uint64
	}
	json.Unmarshal([]byte(out), &rep)
	if code != 0 || !rep.Match || rep.Offset != 5 || rep.Counter != 3 {
		t.Errorf("json: %s", out)
	}
	// Counter 2's code is behind the file's counter: no match.
	code, _, errOut = runCLI(t, "check", "--seeds", f, "--serial", "H1", "--code", "359152")
	if code != 1 || !strings.Contains(errOut, "matches no counter from 3 to 23") {
		t.Errorf("behind: exit %d, %q", code, errOut)
	}
	// --window 4 stops short of counter 8.
	code, _, _ = runCLI(t, "check", "--seeds", f, "--serial", "H1", "--code", "399871", "--window", "4")
	if code != 1 {
		t.Errorf("window 4: exit %d", code)
	}
	// A secret with --counter is HOTP too.
	seedB32 := writeFile(t, "seedB32", rfcB32)
	code, out, _ = runCLI(t, "check", "--secret-file", seedB32, "--counter", "0", "--code", "755224")
	if code != 0 || !strings.Contains(out, "matches counter 0 (offset 0)") {
		t.Errorf("--counter 0: exit %d, %q", code, out)
	}
}

func TestCheckUsage(t *testing.T) {
	t.Parallel()
	seedB32 := writeFile(t, "seedB32", rfcB32)
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--secret-file", seedB32}, "--code is required"},
		{[]string{"--secret-file", seedB32, "--code", "12345"}, "code has 5 characters, the token makes 6 digits"},
		{[]string{"--secret-file", seedB32, "--code", "12345a"}, "not a digit"},
		{[]string{"--secret-file", seedB32, "--code", "123456", "--window", "-1"}, "--window -1"},
	} {
		code, _, errOut := runCLI(t, append([]string{"check"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.err) {
			t.Errorf("check %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.err)
		}
	}
}

func TestCodeCheckHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"code", "check"} {
		_, out, _ := runCLI(t, cmd, "--help")
		if !strings.Contains(out, "Examples:\n  tokenctl "+cmd) && !strings.Contains(out, "Examples:\n  # ") {
			t.Errorf("%s --help has no example:\n%s", cmd, out)
		}
		if !strings.Contains(out, "tokenctl "+cmd+" --") {
			t.Errorf("%s --help example does not run %s", cmd, cmd)
		}
	}
}

// Real vendor and server files, read through the registered formats.
func TestCodeCheckRealFormats(t *testing.T) {
	t.Parallel()
	// A spreadsheet-damaged Entra CSV (BOM, ';', CRLF, 'timeinterval',
	// lower-case spaced base32), format detected.
	entra := writeFile(t, "token2.csv", "\xef\xbb\xbfupn;serial number;secret key;timeinterval;manufacturer;model\r\n"+
		";60234567;gezd gnbv gy3t qojq gezd gnbv gy3t qojq;60;Token2;c202\r\n")
	// RFC 6238 SHA-1 at 59 s with a 60 s step is step 0: RFC 4226 counter 0.
	code, out, errOut := runCLI(t, "code", "--seeds", entra, "--serial", "60234567", "--time", "59")
	if code != 0 || out != "755224\n" {
		t.Errorf("entra: exit %d, %q, %s", code, out, errOut)
	}
	// At 60*4+1 s, the code of step 1 means 3 steps (180 s) slow.
	code, out, errOut = runCLI(t, "check", "--seeds", entra, "--from", "azure", "--serial", "60234567", "--time", "241", "--code", "287082")
	if code != 0 || out != "matches step -3 (-180 s): the token's clock is 180 s slow\n" {
		t.Errorf("entra check: exit %d, %q, %s", code, out, errOut)
	}
	// privacyIDEA HOTP with its counter.
	pi := writeFile(t, "pi.csv", "# privacyIDEA export\nOATH1, "+rfcHex+", HOTP, 6, 3\n")
	code, out, errOut = runCLI(t, "code", "--seeds", pi, "--from", "privacyidea", "--serial", "OATH1")
	if code != 0 || out != "969429\n" {
		t.Errorf("privacyidea: exit %d, %q, %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "check", "--seeds", pi, "--from", "privacyidea", "--serial", "OATH1", "--code", "520489")
	if code != 0 || !strings.HasPrefix(out, "matches counter 9 (offset +6 from 3)") {
		t.Errorf("privacyidea check: exit %d, %q, %s", code, out, errOut)
	}
	assertNoSecret(t, []string{out, errOut}, rfcHex, rfcB32)
}

// Formats that do not state kind, digits or step take them from --kind,
// --digits and --period.
func TestCodeFillInsForTerseFormats(t *testing.T) {
	t.Parallel()
	hexf := writeFile(t, "h.csv", "H1,"+rfcHex+"\n")
	for _, c := range []struct {
		args []string
		exit int
		out  string
		err  string
	}{
		{[]string{"--from", "hex", "--serial", "H1", "--time", "59"}, 2, "", "does not say whether serial H1 is TOTP or HOTP: give --kind"},
		{[]string{"--from", "hex", "--serial", "H1", "--time", "59", "--kind", "totp", "--period", "60", "--digits", "8"}, 0, "84755224\n", ""},
		{[]string{"--from", "hex", "--serial", "H1", "--kind", "hotp", "--counter", "2"}, 0, "359152\n", ""},
		{[]string{"--from", "hex", "--serial", "H1", "--kind", "hotp", "--digits", "9"}, 2, "", "--digits 9"},
	} {
		code, out, errOut := runCLI(t, append([]string{"code", "--seeds", hexf}, c.args...)...)
		if code != c.exit || out != c.out || !strings.Contains(errOut, c.err) {
			t.Errorf("%v: exit %d, %q, %q; want %d, %q, %q", c.args, code, out, errOut, c.exit, c.out, c.err)
		}
	}
	// Duo lines with a counter: HOTP at 4, the code 5 presses later.
	duo := writeFile(t, "d.csv", "D1,"+rfcHex+",4\n")
	code, out, errOut := runCLI(t, "check", "--seeds", duo, "--from", "duo", "--kind", "hotp", "--serial", "D1", "--code", "520489")
	if code != 0 || !strings.HasPrefix(out, "matches counter 9 (offset +5 from 4)") {
		t.Errorf("duo hotp: exit %d, %q, %s", code, out, errOut)
	}
	// With a secret, --kind must agree with --counter.
	seedB32 := writeFile(t, "seedB32", rfcB32)
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--kind", "hotp"}, "give the counter with --counter"},
		{[]string{"--kind", "totp", "--counter", "1"}, "exclude each other"},
		{[]string{"--kind", "yubico"}, "--kind"},
		{[]string{"--counter", "1", "--period", "60"}, "--period applies to TOTP"},
	} {
		code, _, errOut := runCLI(t, append([]string{"code", "--secret-file", seedB32}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.err) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.err)
		}
	}
	code, out, _ = runCLI(t, "code", "--secret-file", seedB32, "--kind", "hotp", "--counter", "1")
	if code != 0 || out != "287082\n" {
		t.Errorf("--kind hotp --counter 1: %d %q", code, out)
	}
}

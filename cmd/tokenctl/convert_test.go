package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/testpeer"
)

// Test inputs are generated here; no vendor file is copied.

const cvEntraHdr = "upn,serial number,secret key,time interval,manufacturer,model\n"

// b32 of "12345678901234567890" (the RFC 4226 test secret) and its hex.
const (
	cvB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	cvHex = "3132333435363738393031323334353637383930"
)

func cvWrite(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func cvList(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestConvertEntraToDuoKeepsStep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "token2.csv", "\xef\xbb\xbfupn,serial number,secret key,timeinterval,manufacturer,model\r\n"+
		",86596120001,"+cvB32+",30,Token2,C202\r\n"+
		",86596120002,"+strings.ToLower(cvB32)+"====,60,Token2,C202\r\n"+
		",86596120003,GEZD GNBV GY3T QOJQ GEZD-GNBV-GY3T-QOJQ,60,Token2,C202\r\n")
	out := filepath.Join(dir, "duo.csv")
	code, stdout, stderr := runCLI(t, "convert", "--from", "entra", "--to", "duo", "-o", out, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(out)
	want := "86596120001," + cvHex + ",30\n86596120002," + cvHex + ",60\n86596120003," + cvHex + ",60\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	if stdout != "" || !strings.Contains(stderr, "3 rows read (entra), 3 written") {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
	// Detection: without --from the header tells it is an Entra CSV; to stdout.
	code, stdout, _ = runCLI(t, "convert", "--to", "duo-totp", in)
	if code != 0 || stdout != want {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

func TestConvertKeepsHashAndCounter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sha256 := strings.Repeat("ab", 32)
	pi := cvWrite(t, dir, "pi.csv", "# privacyIDEA export\nP1, "+cvHex+", HOTP, 8, 1234\nP2, "+sha256+", TOTP, 6, 60\n")
	code, out, stderr := runCLI(t, "convert", "--from", "privacyidea", "--to", "linotp", pi)
	// LinOTP has no counter column: the HOTP token with counter 1234 is refused.
	if code != 1 || out != "" || !strings.Contains(stderr, pi+":2: counter: 1234: the LinOTP CSV has no counter column and the token would restart at 0\n") {
		t.Fatalf("exit %d out %q stderr %q", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "convert", "--from", "privacyidea", "--to", "otpauth", pi)
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "algorithm=SHA1&digits=8&counter=1234") || !strings.Contains(lines[1], "algorithm=SHA256&digits=6&period=60") {
		t.Fatalf("%s", out)
	}
	// otpauth → privacyIDEA → LinOTP → privacyIDEA keeps hash, digits, step and counter.
	uris := cvWrite(t, dir, "u.txt", out)
	code, piOut, stderr := runCLI(t, "convert", "--to", "privacyidea", uris)
	if code != 0 || piOut != "P1, "+strings.ToUpper(cvHex)+", HOTP, 8, 1234\nP2, "+strings.ToUpper(sha256)+", TOTP, 6, 60\n" {
		t.Fatalf("exit %d %s\n%s", code, stderr, piOut)
	}
	lin := cvWrite(t, dir, "lin.csv", "L2, "+sha256+", totp, 6, 60, sha256\nL3, "+cvHex+cvHex+cvHex+"3132, hotp, 8, 30, sha512\n")
	code, out, stderr = runCLI(t, "convert", "--from", "linotp", "--to", "privacyidea", lin)
	if code != 1 || !strings.Contains(stderr, lin+":2: hash: sha512 with a 62-byte seed: privacyIDEA infers the hash from the seed length and would import it as sha1\n") {
		t.Fatalf("exit %d %q %q", code, out, stderr)
	}
	// LinOTP keeps hash, digits and step: to otpauth and back.
	code, out, stderr = runCLI(t, "convert", "--from", "linotp", "--to", "otpauth", lin)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[0], "algorithm=SHA256&digits=6&period=60") || !strings.Contains(lines[1], "algorithm=SHA512&digits=8&counter=0") {
		t.Fatalf("exit %d %s\n%s", code, stderr, out)
	}
	code, back, stderr := runCLI(t, "convert", "--to", "linotp", cvWrite(t, dir, "lu.txt", out))
	if code != 0 || back != "L2, "+strings.ToUpper(sha256)+", totp, 6, 60, sha256\nL3, "+strings.ToUpper(cvHex+cvHex+cvHex)+"3132, hotp, 8, 30, sha512\n" {
		t.Fatalf("exit %d %s\n%s", code, stderr, back)
	}
}

// The broken-input corpus of issue 2: exact, line-numbered errors, exit 1,
// and nothing written.
func TestConvertBrokenCorpus(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("S", 129)
	cases := []struct {
		name, from, to, input string
		want                  []string // lines on stderr (name = the input path)
	}{
		{"duplicate serials", "entra", "duo",
			cvEntraHdr + ",1001," + cvB32 + ",30,T,M\n,1002," + cvB32 + ",30,T,M\n,1001," + cvB32 + ",30,T,M\n",
			[]string{`IN:4: serial: duplicate "1001" among the totp6 tokens (first at IN:2)`}},
		{"129-character serial", "entra", "duo",
			cvEntraHdr + "," + long + "," + cvB32 + ",30,T,M\n",
			[]string{"IN:2: serial: 129 characters, at most 128"}},
		{"spreadsheet serial", "entra", "entra",
			cvEntraHdr + ",86596120001," + cvB32 + ",30,T,M\n,1.00013E+12," + cvB32 + ",30,T,M\n",
			[]string{`IN:3: serial: "1.00013E+12" was damaged by a spreadsheet (scientific notation); re-export the column as text`}},
		{"SHA-256 to Duo", "privacyidea", "duo",
			"X1, " + strings.Repeat("ab", 32) + ", TOTP, 6, 30\n",
			[]string{"IN:1: hash: sha256: Duo imports SHA-1 tokens only"}},
		{"odd-length hex", "duo-totp", "hex",
			"D1," + cvHex + "A,30\n",
			[]string{"IN:1: secret: not hex: odd number of hex digits (41); Token2's PowerShell converter (Base32toHex-Convert.ps1) writes such hex from base32 seeds: convert the vendor's original base32 file instead"}},
		{"Token2 script odd hex", "token2-ps", "duo",
			"86596120001 " + strings.Repeat("AB", 32) + "C\n",
			[]string{"IN:1: step: Token2's script drops the time step: 30 s assumed for every token of this file (give --period 60 for 60-second tokens) (warning)",
				"IN:1: secret: 65 hex digits: odd number of hex digits: the corruption of Token2's PowerShell converter (Base32toHex-Convert.ps1) on base32 seeds whose length is not a whole number of bytes; convert the vendor's original base32 file instead"}},
		{"missing Entra header", "entra", "duo",
			",1001," + cvB32 + ",30,T,M\n",
			[]string{"IN:1: header: missing: an Entra CSV must start with the header upn,serial number,secret key,time interval,manufacturer,model"}},
		{"wrong column count", "entra", "duo",
			cvEntraHdr + ",1001," + cvB32 + ",30,T,M\n,1002," + cvB32 + ",30,T\n",
			[]string{"IN:3: columns: 5 columns, want 6 as in the header"}},
		{"Duo step and HOTP to Entra", "privacyidea", "entra",
			"A1, " + cvHex + ", TOTP, 6, 45\nA2, " + cvHex + ", HOTP, 6, 0\n",
			[]string{"IN:1: time interval: 45 s: Entra takes 30 or 60", "IN:1: manufacturer: empty: Entra requires it (give --manufacturer)",
				"IN:1: model: empty: Entra requires it (give --model)", "IN:2: token type: hotp: Entra imports TOTP tokens only"}},
		{"mixed Duo types", "privacyidea", "duo",
			"A1, " + cvHex + ", TOTP, 6, 30\nA2, " + cvHex + ", TOTP, 8, 30\n",
			[]string{"IN:2: token type: totp8, but IN:1 is totp6: duo imports one token type per file (use --split for one file per type)"}},
		{"short secret", "duo-hotp", "duo",
			"H1,31323334353637383930,0\nH2,313233343536373839,0\nH3," + cvHex + ",x\n",
			[]string{"IN:1: secret: 10 bytes; RFC 4226 asks for at least 16 (warning)", "IN:2: secret: 9 bytes, at least 10 needed (RFC 4226 asks for 16)",
				`IN:3: counter: "x" is not a counter value`}},
		{"truncated secret", "entra", "duo",
			cvEntraHdr + ",1001," + cvB32 + ",30,T,M\n,1002," + cvB32[:29] + ",30,T,M\n,1003," + cvB32[:28] + ",30,T,M\n,1004," + cvB32[:30] + ",30,T,M\n",
			[]string{"IN:3: secret: 18 bytes, but 20 bytes on IN:2: truncated? (said once) (warning)",
				"IN:4: secret key: not base32: last character has bits past the final byte (damaged or truncated?)",
				"IN:5: secret key: not base32: 30 characters is not a whole number of bytes (truncated?)"}},
		{"every problem of a row", "entra", "duo",
			cvEntraHdr + ",," + cvB32[:30] + "1,3o,T,M\n",
			[]string{"IN:2: secret key: not base32: invalid character at position 31", `IN:2: time interval: "3o" is not a number from 1 to 86400`, "IN:2: serial: missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in := cvWrite(t, dir, "in.csv", c.input)
			out := filepath.Join(dir, "out.csv")
			code, stdout, stderr := runCLI(t, "convert", "--from", c.from, "--to", c.to, "-o", out, in)
			var want strings.Builder
			for _, l := range c.want {
				want.WriteString(strings.ReplaceAll(l, "IN", in) + "\n")
			}
			errs := 0
			for _, l := range c.want {
				if !strings.HasSuffix(l, "(warning)") {
					errs++
				}
			}
			if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want.String()) {
				t.Fatalf("exit %d, stdout %q, stderr\n%s\nwant\n%s", code, stdout, stderr, want.String())
			}
			if !strings.Contains(stderr, fmt.Sprintf("tokenctl: invalid input: %d error", errs)) || !strings.HasSuffix(stderr, "nothing written\n") {
				t.Fatalf("summary: %s", stderr)
			}
			if l := cvList(t, dir); len(l) != 1 {
				t.Fatalf("files left: %v", l)
			}
			if strings.Contains(stderr, cvB32[:16]) || strings.Contains(stderr, cvHex[:16]) {
				t.Fatalf("secret in stderr: %s", stderr)
			}
			// validate reports the same problems, and exit 1.
			code, _, vstderr := runCLI(t, "validate", "--from", c.from, "--to", c.to, in)
			if code != 1 || !strings.HasPrefix(vstderr, want.String()) {
				t.Fatalf("validate: exit %d\n%s", code, vstderr)
			}
		})
	}
}

func TestConvertSplitAndSkipInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "pi.csv", "A1, "+cvHex+", TOTP, 6, 30\nA2, "+cvHex+", TOTP, 8, 60\nA3, "+cvHex+", HOTP, 6, 5\nA1, "+cvHex+", HOTP, 6, 9\nA4, "+strings.Repeat("ab", 32)+", TOTP, 6, 30\n")
	out := filepath.Join(dir, "duo.csv")
	code, _, stderr := runCLI(t, "convert", "--from", "privacyidea", "--to", "duo", "--split", "-o", out, in)
	if code != 1 || !strings.Contains(stderr, in+":5: hash: sha256: Duo imports SHA-1 tokens only") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if l := cvList(t, dir); len(l) != 1 {
		t.Fatalf("files left: %v", l)
	}
	code, stdout, stderr := runCLI(t, "--json", "convert", "--from", "privacyidea", "--to", "duo", "--split", "--skip-invalid", "-o", out, in)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	var rep struct {
		Read     int      `json:"rows_read"`
		Written  int      `json:"rows_written"`
		Rejected int      `json:"rows_rejected"`
		Outputs  []string `json:"outputs"`
		Rejects  string   `json:"rejects_file"`
		Problems []struct {
			Line    int
			Field   string
			Message string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Read != 5 || rep.Written != 4 || rep.Rejected != 1 || len(rep.Outputs) != 3 || rep.Rejects != out+".rejects" || rep.Problems[0].Line != 5 {
		t.Fatalf("%+v", rep)
	}
	want := map[string]string{
		"duo-totp6.csv":   "A1," + cvHex + ",30\n",
		"duo-totp8.csv":   "A2," + cvHex + ",60\n",
		"duo-hotp6.csv":   "A3," + cvHex + ",5\nA1," + cvHex + ",9\n",
		"duo.csv.rejects": "# " + in + ":5: hash: sha256: Duo imports SHA-1 tokens only\nA4, " + strings.Repeat("ab", 32) + ", TOTP, 6, 30\n",
	}
	for name, content := range want {
		p := filepath.Join(dir, name)
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Errorf("%s: %v\n%s\nwant\n%s", name, err, got, content)
		}
		if st, err := os.Stat(p); err == nil && st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", name, st.Mode())
		}
	}
}

func TestConvertUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "d.csv", "1,"+cvHex+",30\n")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"convert", "--to", "duo", in}, "the input could be duo-hotp or duo-totp: give --from"},
		{[]string{"convert", "--from", "nope", "--to", "duo", in}, `unknown input format "nope"`},
		{[]string{"convert", "--from", "duo-totp", "--to", "token2-ps", in}, "format token2-ps cannot be written"},
		{[]string{"convert", "--from", "duo-totp", "--to", "entra", "--split", "-o", filepath.Join(dir, "x"), in}, "--split: entra files take every token type"},
		{[]string{"convert", "--from", "duo-totp", in}, `required flag(s) "to" not set`},
		{[]string{"convert", "--from", "duo-totp", "--to", "duo", "--secret-encoding", "rot13", in}, "--secret-encoding"},
		{[]string{"convert", "--from", "duo-totp", "--to", "duo", "--rejects", filepath.Join(dir, "r"), "-o", filepath.Join(dir, "o"), in}, "--rejects names the rejects file of --skip-invalid"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d %s", c.args, code, stderr)
		}
	}
}

func TestValidateAndFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "e.csv", cvEntraHdr+",1001,"+strings.ToLower(cvB32)+",60,Token2,C202\n")
	code, stdout, stderr := runCLI(t, "validate", "--to", "entra", in)
	// Microsoft documents a-z as well as A-Z: no warning for lower case.
	if code != 0 || stdout != "1 rows (entra) valid for entra\n" || stderr != "" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	if l := cvList(t, dir); len(l) != 1 {
		t.Fatalf("validate wrote files: %v", l)
	}
	code, stdout, _ = runCLI(t, "formats")
	rows := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			rows[f[0]] = strings.Join(f[1:4], " ")
		}
	}
	if code != 0 || rows["entra"] != "azure yes yes" || rows["token2-ps"] != "- yes -" || rows["entra-graph"] != "graph - yes" {
		t.Fatalf("%s", stdout)
	}
	code, stdout, _ = runCLI(t, "formats", "--json")
	var list []struct {
		Name        string
		Read, Write bool
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) < 12 {
		t.Fatalf("%s", stdout)
	}
}

func TestConvertStdin(t *testing.T) {
	t.Parallel()
	// IN '-' reads standard input (the detection sees it too).
	envOf(t).stdin = "otpauth://totp/ACME:1001?secret=" + cvB32 + "&issuer=ACME&period=60\n"
	code, stdout, stderr := runCLI(t, "convert", "--to", "entra", "--manufacturer", "ACME", "--model", "soft", "-")
	if code != 0 || stdout != cvEntraHdr+",1001,"+cvB32+",60,ACME,soft\n" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
}

// The converted Duo hex and step give the same codes in oathtool as the
// vendor's base32 and interval: the conversion kept secret and time step.
func TestConvertAgreesWithOathtool(t *testing.T) {
	t.Parallel()
	testpeer.Command(t, "oathtool")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("upn,serial number,secret key,timeinterval,manufacturer,model\r\n")
	secrets := []string{"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"}
	for i, s := range secrets {
		fmt.Fprintf(&b, ",T%d,%s,%d,Token2,C202\r\n", i, s, 30+30*(i%2))
	}
	in := cvWrite(t, dir, "e.csv", b.String())
	code, out, stderr := runCLI(t, "convert", "--from", "entra", "--to", "duo", in)
	if code != 0 {
		t.Fatal(stderr)
	}
	const at = "2026-11-24 08:00:00 UTC"
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, ",")
		fromHex := oathtool(t, "--totp", "-s", f[2]+"s", "-N", at, f[1])
		fromB32 := oathtool(t, "--totp", "-b", "-s", fmt.Sprint(30+30*(i%2))+"s", "-N", at, secrets[i])
		if fromHex != fromB32 || len(fromHex) != 6 {
			t.Fatalf("row %d: hex gives %q, base32 gives %q", i, fromHex, fromB32)
		}
	}
}

func oathtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("oathtool", args...).Output()
	if err != nil {
		t.Fatalf("oathtool %v: %v", args[:len(args)-1], err)
	}
	return strings.TrimSpace(string(out))
}

// Python's csv module reads our Entra output cell for cell, quotes and
// commas included, and our reader reads what Python's csv writes.
func TestEntraCSVAgreesWithPython(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		testpeer.Missing(t, "/usr/bin/python3: "+err.Error())
	}
	dir := t.TempDir()
	src := cvWrite(t, dir, "u.txt", "otpauth://totp/1001?secret="+cvB32+"&period=60\n")
	code, out, stderr := runCLI(t, "convert", "--to", "entra", "--manufacturer", `Token2, "Swiss"`, "--model", "C202;b", src)
	if code != 0 {
		t.Fatal(stderr)
	}
	entra := cvWrite(t, dir, "e.csv", out)
	py := `import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print(repr(rows[1]))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, delimiter=";")
    w.writerow(["UPN", "Serial Number", "Secret Key", "Time Interval", "Manufacturer", "Model"])
    w.writerow(["o'neil@example.com", "1002", "` + cvB32 + `", "30", 'Tok"en, 2', "C 202"])
`
	pyOut := filepath.Join(dir, "py.csv")
	got, err := exec.Command("/usr/bin/python3", "-c", py, entra, pyOut).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	want := `['', '1001', '` + cvB32 + `', '60', 'Token2, "Swiss"', 'C202;b']`
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("python read %s\nwant %s", got, want)
	}
	code, out, stderr = runCLI(t, "convert", "--from", "entra", "--to", "entra", pyOut)
	if code != 0 || !strings.HasSuffix(out, `o''neil@example.com,1002,`+cvB32+`,30,"Tok""en, 2",C 202`+"\n") {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
}

func TestConvertNoClobber(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "d.csv", "1,"+cvHex+",30\n")
	out := cvWrite(t, dir, "out.csv", "precious seeds\n")
	code, _, stderr := runCLI(t, "convert", "--from", "duo-totp", "--to", "hex", "-o", out, in)
	if code != 1 || !strings.Contains(stderr, out+": file exists and may hold seeds already in use: choose another name, or --force to replace it") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "precious seeds\n" {
		t.Fatal("output replaced")
	}
	// Split files and the rejects file are protected too.
	cvWrite(t, dir, "s-totp6.csv", "x\n")
	code, _, stderr = runCLI(t, "convert", "--from", "duo-totp", "--to", "duo", "--split", "-o", filepath.Join(dir, "s.csv"), in)
	if code != 1 || !strings.Contains(stderr, "s-totp6.csv: file exists") {
		t.Fatalf("exit %d %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "convert", "--force", "--from", "duo-totp", "--to", "hex", "-o", out, in)
	if got, _ := os.ReadFile(out); code != 0 || string(got) != "1,"+cvHex+"\n" {
		t.Fatalf("exit %d %s %q", code, stderr, got)
	}
}

// Every example in the help of convert and validate runs as written, on
// input files generated here under the names the examples use, and exits 0.
func TestConvertHelpExamplesRun(t *testing.T) {
	entra := cvEntraHdr + ",T2001," + cvB32 + ",30,Token2,C202\n,T2002,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,60,Token2,C202\n"
	inputs := map[string]string{
		"token2-seeds.csv": entra,
		"vendor.csv":       entra + ",T2003,GEZDGNBV,30,Token2,C202\n", // a 5-byte secret: rejected
		"pi-export.csv":    "P1, " + cvHex + ", HOTP, 8, 17\nP2, " + cvHex + ", TOTP, 6, 60\n",
		"export.csv":       "P1, " + cvHex + ", TOTP, 6, 30\nP2, " + cvHex + ", TOTP, 6, 60\n",
		"duo.csv":          "D1," + cvHex + ",60\n",
		// Excel on a French Windows: sep= line, ';', CRLF, Windows-1252 ("é" is 0xE9).
		"excel-export.csv": "sep=;\r\nupn;serial number;secret key;time interval;manufacturer;model\r\nJos\xe9@x.com;T2001;" + cvB32 + ";30;Token2;C202\r\n",
	}
	var examples []string
	for _, c := range []string{newConvertCmd(&factory{}).Example, newValidateCmd(&factory{}).Example} {
		for _, l := range strings.Split(c, "\n") {
			l = strings.TrimSpace(l)
			if i := strings.Index(l, " #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			if strings.HasPrefix(l, "tokenctl ") {
				examples = append(examples, l)
			}
		}
	}
	if len(examples) < 7 {
		t.Fatalf("found %d examples", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Chdir(t.TempDir())
			args := strings.Fields(ex)[1:]
			out := ""
			for i, a := range args {
				if a == "-o" && i+1 < len(args) {
					out = args[i+1]
				}
			}
			for name, content := range inputs {
				if name != out {
					cvWrite(t, ".", name, content)
				}
			}
			if strings.Contains(ex, "pskc") {
				cvWrite(t, ".", "psk.hex", strings.Repeat("a5", 16)+"\n")
				code, _, stderr := runCLI(t, "seed", "generate", "--count", "2", "--serial-prefix", "HW", "--kind", "hotp",
					"--to", "pskc", "--pskc-key-file", "psk.hex", "-o", "delivery.pskcxml")
				if code != 0 {
					t.Fatalf("generating the PSKC delivery: exit %d %s", code, stderr)
				}
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if out != "" {
				matches, _ := filepath.Glob(strings.TrimSuffix(out, filepath.Ext(out)) + "*")
				if len(matches) == 0 {
					t.Fatalf("no output %s", out)
				}
			}
		})
	}
}

// Seeds go to a standard output that is not a terminal, /dev/null (a
// character device) included.
func TestConvertToDevNull(t *testing.T) {
	t.Parallel()
	in := cvWrite(t, t.TempDir(), "d.csv", "1,"+cvHex+",30\n")
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var stderr strings.Builder
	if code := run([]string{"convert", "--from", "duo-totp", "--to", "hex", in}, null, &stderr); code != 0 {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
}

// A problem with a whole file (here an Entra CSV without its header) is
// not one rejected row: --skip-invalid or not, exit 1, no output and no
// rejects file.
func TestConvertSkipInvalidFileLevelError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "nohdr.csv", ",1001,"+cvB32+",30,T,M\n,1002,"+cvB32+",30,T,M\n,1003,"+cvB32+",30,T,M\n")
	out := filepath.Join(dir, "duo.csv")
	code, _, stderr := runCLI(t, "convert", "--from", "entra", "--to", "duo", "--skip-invalid", "-o", out, in)
	if code != 1 || !strings.HasPrefix(stderr, in+":1: header: missing: an Entra CSV must start with the header") ||
		!strings.Contains(stderr, "nothing written (--skip-invalid skips bad rows, not unusable files)") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if l := cvList(t, dir); len(l) != 1 {
		t.Fatalf("files left: %v", l)
	}
}

// An input whose format cannot be detected is invalid data (exit 1, the
// file named at the line the formats look at); an ambiguous one is a usage
// error (exit 2: only the user can choose).
func TestConvertUndetectableInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := cvWrite(t, dir, "notes.txt", "\nhello, this is not a seed file\n")
	code, _, stderr := runCLI(t, "convert", "--to", "duo", "-o", filepath.Join(dir, "o.csv"), in)
	if code != 1 || !strings.HasPrefix(stderr, in+":2: format: not a seed file format tokenctl recognises") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "validate", "--to", "duo", in)
	if code != 1 || !strings.HasPrefix(stderr, in+":2: format:") {
		t.Fatalf("validate: exit %d\n%s", code, stderr)
	}
	amb := cvWrite(t, dir, "a.csv", "1001,"+cvHex+",30\n")
	if code, _, stderr = runCLI(t, "convert", "--to", "entra", amb); code != 2 || !strings.Contains(stderr, "could be duo-hotp or duo-totp") {
		t.Fatalf("ambiguous: exit %d\n%s", code, stderr)
	}
	if l := cvList(t, dir); len(l) != 2 {
		t.Fatalf("files: %v", l)
	}
}

// Excel's encodings on Windows: a Windows-1252 file is refused without
// --encoding (a code page cannot be guessed without risking mojibake) and
// converted with it; UTF-16 LE with a BOM ("Unicode text", tabs) is
// detected. The output is UTF-8 either way.
func TestConvertExcelEncodings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cp := cvWrite(t, dir, "cp.csv", "sep=;\r\nupn;serial number;secret key;time interval;manufacturer;model\r\nJos\xe9@x.com;T1;"+cvB32+";30;M\xfcller;C202\r\n")
	code, out, stderr := runCLI(t, "convert", "--to", "entra", cp)
	if code != 1 || out != "" || !strings.Contains(stderr, cp+":3: encoding: not UTF-8 (byte 4)") || !strings.Contains(stderr, "--encoding windows-1252") {
		t.Fatalf("exit %d %q %q", code, out, stderr)
	}
	want := cvEntraHdr + "José@x.com,T1," + cvB32 + ",30,Müller,C202\n"
	code, out, stderr = runCLI(t, "convert", "--encoding", "windows-1252", "--to", "entra", cp)
	if code != 0 || out != want {
		t.Fatalf("exit %d %q %q", code, out, stderr)
	}
	// validate --to entra says what the server would not read as is.
	code, _, stderr = runCLI(t, "validate", "--encoding", "cp1252", "--to", "entra", cp)
	for _, w := range []string{"sep=", "separated by ';'", "decoded from windows-1252"} {
		if code != 0 || !strings.Contains(stderr, w) {
			t.Errorf("exit %d: no word about %q in %q", code, w, stderr)
		}
	}
	// UTF-16 LE with BOM, tab-separated.
	text := "upn\tserial number\tsecret key\ttime interval\tmanufacturer\tmodel\r\nJosé@x.com\tT1\t" + cvB32 + "\t30\tMüller\tC202\r\n"
	u16 := []byte{0xff, 0xfe}
	for _, r := range text {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	in16 := cvWrite(t, dir, "u16.txt", string(u16))
	code, out, stderr = runCLI(t, "convert", "--to", "entra", in16)
	if code != 0 || out != want {
		t.Fatalf("exit %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "convert", "--encoding", "latin9", "--to", "entra", cp); code != 2 || !strings.Contains(stderr, "--encoding") {
		t.Fatalf("exit %d %s", code, stderr)
	}
}

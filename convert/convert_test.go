package convert

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

const rfcSecret = "12345678901234567890"

func totp(serial string, period int) *seed.Token {
	return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: seed.SHA1, Period: period, Secret: []byte(rfcSecret)}
}

func TestWriteFileAndReadAll(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.csv")
	toks := []*seed.Token{totp("1", 30), totp("2", 60)}
	rep, err := WriteFile(p, "azure", toks, &Options{Manufacturer: "Token2", Model: "C202"})
	if err != nil || rep.Written != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	if string(toks[0].Secret) != rfcSecret {
		t.Fatal("WriteFile wiped the caller's secret")
	}
	back, err := ReadAll(p, "entra", nil)
	if err != nil || len(back) != 2 || back[1].Period != 60 || string(back[1].Secret) != rfcSecret || back[0].Manufacturer != "Token2" {
		t.Fatalf("%v %v", err, back)
	}
	// Invalid tokens: nothing written, file untouched, problems located.
	bad := []*seed.Token{totp("3", 45), {Serial: "4", Kind: seed.HOTP, Secret: []byte(rfcSecret)}}
	rep, err = WriteFile(p, "entra", bad, &Options{Manufacturer: "T", Model: "M"})
	if !errors.Is(err, ErrInvalid) || rep.Errors != 2 || rep.Problems[0].File != "token" || rep.Problems[0].Line != 1 || rep.Problems[1].Line != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	if again, _ := ReadAll(p, "entra", nil); len(again) != 2 {
		t.Fatal("file changed")
	}
	// To stdout.
	var out bytes.Buffer
	if _, err := WriteFile("-", "duo", toks, &Options{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1,3132333435363738393031323334353637383930,30\n2,3132333435363738393031323334353637383930,60\n" {
		t.Fatalf("%q", out.String())
	}
}

func TestAppendFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "entra.csv")
	o := &Options{Manufacturer: "Token2", Model: "C202"}
	for i, s := range []string{"A", "B"} {
		if err := AppendFile(p, "entra", totp(s, 30+30*i), o); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(p)
	want := "upn,serial number,secret key,time interval,manufacturer,model\n,A,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C202\n,B,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60,Token2,C202\n"
	if string(got) != want {
		t.Fatalf("got\n%s", got)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	err := AppendFile(p, "entra", totp("A", 30), o)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `serial: "A" is already in`) {
		t.Fatalf("%v", err)
	}
	err = AppendFile(p, "entra", totp("C", 45), o)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), p+": time interval: 45 s: Entra takes 30 or 60") {
		t.Fatalf("%v", err)
	}
	// Duo: the kind is enforced by the format name; serials are unique.
	d := filepath.Join(dir, "duo.csv")
	if err := AppendFile(d, "duo-totp", totp("A", 30), nil); err != nil {
		t.Fatal(err)
	}
	h := &seed.Token{Serial: "H", Kind: seed.HOTP, Secret: []byte(rfcSecret), Counter: 3}
	if err := AppendFile(d, "duo-totp", h, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), d+": token type: hotp token in a duo-totp file") {
		t.Fatalf("%v", err)
	}
	if err := AppendFile(d, "duo-totp", totp("A", 60), nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"A" is already in`) {
		t.Fatalf("%v", err)
	}
	// entra-graph has a trailer and cannot be read: refused.
	var ue *UsageError
	if err := AppendFile(filepath.Join(dir, "g.json"), "entra-graph", totp("A", 30), o); err != nil {
		t.Fatalf("new graph file: %v", err)
	}
	if err := AppendFile(filepath.Join(dir, "g.json"), "entra-graph", totp("B", 30), o); !errors.As(err, &ue) {
		t.Fatalf("%v", err)
	}
	// A world-readable file is not extended.
	os.Chmod(d, 0o644)
	if err := AppendFile(d, "duo-totp", totp("B", 30), nil); err == nil || !strings.Contains(err.Error(), "open to others") {
		t.Fatalf("appending to a world-readable file: %v", err)
	}
}

func TestRunStdinAndDetect(t *testing.T) {
	in := "otpauth://totp/X:1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60\n"
	var out bytes.Buffer
	rep, err := Run([]string{"-"}, "", "duo", "", &Options{Stdin: strings.NewReader(in), Stdout: &out})
	if err != nil || rep.From != "otpauth" || out.String() != "1,3132333435363738393031323334353637383930,60\n" {
		t.Fatalf("%v %+v %q", err, rep, out.String())
	}
	// A file no format claims is invalid data (not a usage error), located
	// to the line the formats look at; an empty one has no tokens.
	var ue *UsageError
	for in, want := range map[string]string{
		"\n# notes\njust text\n": "<stdin>:2: format: not a seed file format tokenctl recognises",
		"\xef\xbb\xbf \n\n":      "<stdin>: no tokens in the file: it is empty or blank",
	} {
		rep, err = Run([]string{"-"}, "", "duo", "", &Options{Stdin: strings.NewReader(in), Stdout: io.Discard})
		if errors.As(err, &ue) || !errors.Is(err, ErrInvalid) || len(rep.Problems) != 1 || !rep.Problems[0].Fatal {
			t.Fatalf("%q: %v %+v", in, err, rep)
		}
		fe := rep.Problems[0]
		if got := (&seed.FieldError{File: fe.File, Line: fe.Line, Field: fe.Field, Msg: fe.Message}).Error(); !strings.HasPrefix(got, want) {
			t.Fatalf("%q: %s", in, got)
		}
	}
	// Several formats fit: only the user can say which (usage).
	_, err = Run([]string{"-"}, "", "entra", "", &Options{Stdin: strings.NewReader("1," + strings.Repeat("ab", 20) + ",30\n"), Stdout: io.Discard})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "could be duo-hotp or duo-totp") {
		t.Fatalf("%v", err)
	}
}

func TestRunEveryProblemAndNothingWritten(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	var b strings.Builder
	b.WriteString("upn,serial number,secret key,time interval,manufacturer,model\n")
	for i := 0; i < 50; i++ {
		period := 30
		if i%10 == 9 {
			period = 45
		}
		fmt.Fprintf(&b, ",%d,%s,%d,T,M\n", i, seed.EncodeBase32([]byte(rfcSecret)), period)
	}
	os.WriteFile(in, []byte(b.String()), 0o600)
	out := filepath.Join(dir, "out.csv")
	var seen []string
	rep, err := Run([]string{in}, "entra", "duo", out, &Options{OnProblem: func(fe *seed.FieldError) { seen = append(seen, fe.Error()) }})
	if !errors.Is(err, ErrInvalid) || rep.Errors != 5 || len(seen) != 5 || rep.Read != 50 || rep.Written != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	if seen[4] != in+":51: step: 45 s: Duo takes 30 or 60" {
		t.Fatalf("%q", seen[4])
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("output written")
	}
}

func TestSpreadsheetNumber(t *testing.T) {
	for s, want := range map[string]bool{"1.00013E+12": true, "8.6596E11": true, "1e5": true, "1,5E+03": true,
		"86596120001": false, "E12": false, "1.5": false, "ABE12": false, "1E": false, "1.0E+": false, "GOE12X": false} {
		if spreadsheetNumber(s) != want {
			t.Errorf("%q: %v", s, !want)
		}
	}
}

func TestSerialSet(t *testing.T) {
	for _, reserve := range []int{0, 1000, 300000} {
		testSerialSet(t, reserve)
	}
}

func testSerialSet(t *testing.T, reserve int) {
	s := newSerialSet()
	s.reserve(reserve)
	for i := 0; i < 100000; i++ {
		if !s.add("", fmt.Sprint(i)) {
			t.Fatalf("%d seen twice", i)
		}
	}
	for i := 0; i < 100000; i += 997 {
		if s.add("", fmt.Sprint(i)) {
			t.Fatalf("%d not remembered", i)
		}
	}
	if s.add("x", "5") == false || s.add("x", "5") == true {
		t.Fatal("namespaces are not separate")
	}
}

// entraRows writes n generated Entra rows to w (half 30 s, half 60 s).
func entraRows(w io.Writer, n int) {
	bw := bytesWriter{w: w}
	bw.s("upn,serial number,secret key,timeinterval,manufacturer,model\n")
	sec := make([]byte, 20)
	for i := 0; i < n; i++ {
		for j := range sec {
			sec[j] = byte(i*31 + j*7)
		}
		bw.s(fmt.Sprintf(",%011d,%s,%d,Token2,C202\n", 86500000000+i, seed.EncodeBase32(sec), 30+30*(i%2)))
	}
}

type bytesWriter struct{ w io.Writer }

func (b bytesWriter) s(s string) { io.WriteString(b.w, s) }

// BenchmarkEntraToDuo converts generated Entra rows to Duo TOTP lines with
// the whole pipeline (read, validate, uniqueness, write to a temp file).
func BenchmarkEntraToDuo(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in.csv")
	f, _ := os.Create(in)
	const rows = 100000
	bw := bufio.NewWriter(f)
	entraRows(bw, rows)
	bw.Flush()
	f.Close()
	out := filepath.Join(dir, "out.csv")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run([]string{in}, "entra", "duo", out, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// FuzzConvert runs arbitrary input through detection, every rule and a
// writer (recycling tokens as the CLI does): no panic, problems always
// located, and a run without errors writes exactly its valid rows.
func FuzzConvert(f *testing.F) {
	f.Add("upn,serial number,secret key,timeinterval,manufacturer,model\n,1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60,T,M\n", "duo")
	f.Add("# version: 2\nu,r,x,P1,3132333435363738393031323334353637383930,TOTP,8,60\n", "entra")
	f.Add("otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=4\n", "privacyidea")
	f.Add("86596120001 3132333435363738393031323334353637383930\n", "otpauth")
	f.Fuzz(func(t *testing.T, in, to string) {
		var out bytes.Buffer
		rep, err := Run([]string{"-"}, "", to, "", &Options{Stdin: strings.NewReader(in), Stdout: &out, Split: false})
		var ue *UsageError
		if errors.As(err, &ue) {
			return
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			if rep == nil {
				t.Fatalf("%v", err)
			}
			return
		}
		for _, p := range rep.Problems {
			if p.File == "" || p.Message == "" {
				t.Fatalf("unlocated problem %+v", p)
			}
		}
		if err == nil && rep.Written != rep.Read {
			t.Fatalf("read %d, wrote %d, no error", rep.Read, rep.Written)
		}
		if err != nil && out.Len() > 0 {
			t.Fatalf("output despite errors")
		}
	})
}

func TestAppendPrivacyIDEAKeepsVersion(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pi.csv")
	a := totp("A", 30)
	a.User = "alice"
	if err := AppendFile(p, "privacyidea", a, nil); err != nil {
		t.Fatal(err)
	}
	if err := AppendFile(p, "privacyidea", totp("B", 60), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := "# version: 2\nalice, , , A, 3132333435363738393031323334353637383930, TOTP, 6, 30\n, , , B, 3132333435363738393031323334353637383930, TOTP, 6, 60\n"
	if string(got) != want {
		t.Fatalf("got\n%s", got)
	}
}

// The pipeline streams: allocations per row stay constant (one string for
// the serial; tokens and secret buffers are recycled), so a file of any
// size converts without its rows piling up in memory.
func TestStreamingAllocations(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	f, _ := os.Create(in)
	bw := bufio.NewWriter(f)
	const rows = 20000
	entraRows(bw, rows)
	bw.Flush()
	f.Close()
	out := filepath.Join(dir, "out.csv")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := Run([]string{in}, "entra", "duo", out, nil)
	runtime.ReadMemStats(&after)
	if err != nil || rep.Written != rows {
		t.Fatal(err)
	}
	perRow := float64(after.Mallocs-before.Mallocs) / rows
	bytesPerRow := float64(after.TotalAlloc-before.TotalAlloc) / rows
	t.Logf("%.2f allocations and %.0f bytes a row", perRow, bytesPerRow)
	if perRow > 1.5 || bytesPerRow > 200 {
		t.Fatalf("%.2f allocations and %.0f bytes a row", perRow, bytesPerRow)
	}
}

// Token2's script output has no step: a TOTP conversion is warned, once,
// on the first token's line, that 30 s is assumed; an HOTP one (--kind
// hotp) has no step to assume.
func TestToken2PSStepWarning(t *testing.T) {
	in := "\n86596120001 3132333435363738393031323334353637383930\n86596120002 3132333435363738393031323334353637383930\n"
	for _, c := range []struct {
		kind     seed.Kind
		warnings int
		out      string
	}{
		{seed.KindUnknown, 1, "86596120001,3132333435363738393031323334353637383930,30\n86596120002,3132333435363738393031323334353637383930,30\n"},
		{seed.HOTP, 0, "86596120001,3132333435363738393031323334353637383930,0\n86596120002,3132333435363738393031323334353637383930,0\n"},
	} {
		var out bytes.Buffer
		rep, err := Run([]string{"-"}, "token2-ps", "duo", "", &Options{Kind: c.kind, Stdin: strings.NewReader(in), Stdout: &out})
		if err != nil || rep.Warnings != c.warnings || out.String() != c.out {
			t.Errorf("kind %v: %v, %d warnings %+v, %q", c.kind, err, rep.Warnings, rep.Problems, out.String())
		}
		if c.warnings > 0 && (rep.Problems[0].Line != 2 || rep.Problems[0].Field != "step") {
			t.Errorf("warning not on the first token's line: %+v", rep.Problems)
		}
	}
}

// Entra takes at most 128 base32 characters (80 bytes); a longer secret is
// refused by name.
func TestEntraSecretLimit(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{80, ""}, {81, "secret key: 130 base32 characters, Entra takes at most 128"}} {
		tok := totp("1", 30)
		tok.Secret = bytes.Repeat([]byte{7}, c.n)
		tok.Manufacturer, tok.Model = "T", "M"
		probs, err := Check("entra", tok)
		var got []string
		for _, p := range probs {
			got = append(got, p.Field+": "+p.Msg)
		}
		if err != nil || strings.Join(got, "\n") != c.want {
			t.Errorf("%d bytes: %v %q, want %q", c.n, err, got, c.want)
		}
	}
}

// A serial,secret list whose secrets read as both hex and base32 is
// refused until --secret-encoding says which; then it converts.
func TestSecretEncodingResolvesAmbiguity(t *testing.T) {
	const sec = "ABCDEF23ABCDEF23ABCDEF23ABCDEF23" // 16 bytes as hex, 20 as base32
	in := "A1," + sec + "\n"
	var out bytes.Buffer
	o := &Options{Kind: seed.TOTP, Stdin: strings.NewReader(in), Stdout: &out}
	rep, err := Run([]string{"-"}, "serial-secret", "duo", "", o)
	if !errors.Is(err, ErrInvalid) || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "valid as both hex and base32") {
		t.Fatalf("%v %+v", err, rep)
	}
	for enc, want := range map[seed.Encoding]string{
		seed.Hex:    "A1," + sec + ",30\n",
		seed.Base32: "A1," + seed.EncodeHex(mustB32(t, sec)) + ",30\n",
	} {
		out.Reset()
		o := &Options{Kind: seed.TOTP, SecretEncoding: enc, Stdin: strings.NewReader(in), Stdout: &out}
		if _, err := Run([]string{"-"}, "serial-secret", "duo", "", o); err != nil || out.String() != want {
			t.Errorf("%v: %v %q, want %q", enc, err, out.String(), want)
		}
	}
}

func mustB32(t *testing.T, s string) []byte {
	t.Helper()
	b, err := seed.DecodeBase32(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A canceled conversion stops, writes nothing and leaves no temporary file.
func TestRunCanceled(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	f, _ := os.Create(in)
	entraRows(f, 1000)
	f.Close()
	cancel := make(chan struct{})
	close(cancel)
	out := filepath.Join(dir, "out.csv")
	rep, err := Run([]string{in}, "entra", "duo", out, &Options{SkipInvalid: true, Cancel: cancel})
	if !errors.Is(err, ErrCanceled) || rep.Read != batchSize {
		t.Fatalf("%v %+v", err, rep)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("files left: %v", es)
	}
}

func TestOptionsHidePSKCSecrets(t *testing.T) {
	o := Options{PSKCKey: []byte("KEYKEYKEYKEYKEY!"), PSKCPassword: []byte("hunter2hunter2"), Split: true}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", &o), fmt.Sprintf("%#v", o), fmt.Sprintf("%v", []Options{o})} {
		if strings.Contains(s, "KEYKEY") || strings.Contains(s, "hunter2") || strings.Contains(s, "75 69") || !strings.Contains(s, "PSKCKey:<16 bytes>") {
			t.Fatalf("%s", s)
		}
	}
}

// A duplicate names the file and line of the first occurrence, across
// inputs (the serial set keeps a 32-bit location per serial).
func TestDuplicateNamesFirstOccurrence(t *testing.T) {
	dir := t.TempDir()
	b32 := seed.EncodeBase32([]byte(rfcSecret))
	hdr := "upn,serial number,secret key,time interval,manufacturer,model\n"
	a := filepath.Join(dir, "a.csv")
	os.WriteFile(a, []byte(hdr+"u1@x,1001,"+b32+",30,T,M\n"), 0o600)
	empty := filepath.Join(dir, "c.pi")
	os.WriteFile(empty, []byte("# nothing\n\n\n\n"), 0o600)
	b := filepath.Join(dir, "b.csv")
	os.WriteFile(b, []byte(hdr+"\nu2@x,1002,"+b32+",30,T,M\nu1@x,1001,"+b32+",30,T,M\nu3@x,1002,"+b32+",30,T,M\n"), 0o600)
	var got []string
	o := &Options{OnProblem: func(fe *seed.FieldError) {
		if !fe.Warning { // Duo files carry no user: a warning, said once
			got = append(got, fe.Error())
		}
	}}
	if _, err := Validate([]string{a, b}, "entra", "duo", o); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
	want := []string{
		b + `:4: serial: duplicate "1001" among the totp6 tokens (first at ` + a + `:2)`,
		b + `:5: serial: duplicate "1002" among the totp6 tokens (first at ` + b + `:3)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	Validate([]string{a, b}, "entra", "entra", o)
	if len(got) != 2 || got[0] != b+`:4: serial: duplicate "1001" (first at `+a+`:2)` {
		t.Fatalf("%q", got)
	}
	// An input without rows in between, and standard input.
	got = nil
	o.Stdin = strings.NewReader(hdr + "u9@x,1001," + b32 + ",30,T,M\n")
	Validate([]string{a, empty, "-"}, "", "duo", o)
	if len(got) != 2 || got[1] != `<stdin>:2: serial: duplicate "1001" among the totp6 tokens (first at `+a+`:2)` {
		t.Fatalf("%q", got)
	}
}

func TestLocations(t *testing.T) {
	var l locations
	l.start("a")
	a3, a9 := l.at(3), l.at(9)
	l.start("empty")
	l.start("b")
	b1, b0 := l.at(1), l.at(0)
	for loc, want := range map[uint32]string{a3: "a:3", a9: "a:9", b1: "b:1", b0: ""} {
		if got := l.name(loc); got != want {
			t.Errorf("%d: %q, want %q", loc, got, want)
		}
	}
	l.start("c")
	if l.at(1<<32-1) != 0 {
		t.Error("a line past the space has a location")
	}
}

package convert

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func TestGenerate(t *testing.T) {
	gen := func(h seed.Hash) *seed.Generator {
		return &seed.Generator{Proto: seed.Token{Kind: seed.TOTP, Hash: h, Period: 60}, Bytes: 20, Count: 3,
			Pattern: seed.SerialPattern{Prefix: "G", Width: 2, Start: 1}}
	}
	// Duo takes SHA-1 only: refused once, as a usage error, nothing made.
	g := gen(seed.SHA256)
	_, err := Generate("", "duo", g, &Options{Stdout: &bytes.Buffer{}})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--to duo: hash: ") || strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("sha256 to duo: %v", err)
	}
	if _, n, _ := g.Read(); n != 1 {
		t.Errorf("the refused generator was already read")
	}
	var out bytes.Buffer
	rep, err := Generate("-", "duo", gen(seed.SHA1), &Options{Stdout: &out})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err != nil || rep.Written != 3 || len(lines) != 3 || !strings.HasPrefix(lines[0], "G01,") || !strings.HasSuffix(lines[2], ",60") {
		t.Fatalf("duo: %v, %+v, %q", err, rep, out.String())
	}
	if _, err := Generate("", "no-such", gen(seed.SHA1), nil); !errors.As(err, &ue) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestGenerateSpec: the checks of a person's request name the flag at
// fault, as usage errors, and a valid one yields the generator asked for.
func TestGenerateSpec(t *testing.T) {
	given := func(flags ...string) func(string) bool {
		return func(f string) bool { return slices.Contains(flags, f) }
	}
	base := func() GenerateSpec {
		return GenerateSpec{To: "duo", Count: 3, Kind: "totp", Hash: "sha1", Digits: 6, Period: 30,
			Pattern: seed.SerialPattern{Prefix: "TK", Start: 1, Width: 3}, Given: given("serial-prefix")}
	}
	for _, c := range []struct {
		edit func(*GenerateSpec)
		want string
	}{
		{func(s *GenerateSpec) { s.To = "" }, "--to is required"},
		{func(s *GenerateSpec) { s.To = "nope" }, `--to "nope": unknown format`},
		{func(s *GenerateSpec) { s.Kind = "yubico" }, "--kind "},
		{func(s *GenerateSpec) { s.Hash = "md5" }, "--hash: "},
		{func(s *GenerateSpec) { s.Digits = 7 }, "--digits 7: want 6 or 8"},
		{func(s *GenerateSpec) { s.Period = 45 }, "--period 45: want 30 or 60"},
		{func(s *GenerateSpec) { s.Kind, s.Given = "hotp", given("serial-prefix", "period") }, "--period applies to TOTP"},
		{func(s *GenerateSpec) { s.Given = given("serial-prefix", "counter") }, "--counter applies to HOTP"},
		{func(s *GenerateSpec) { s.Bytes, s.Given = 9, given("serial-prefix", "bytes") }, "--bytes 9: want 10.."},
		{func(s *GenerateSpec) { s.Count = -1 }, "--count -1: want 1.."},
		{func(s *GenerateSpec) { s.Pattern.Width = 41 }, "--serial-width 41: want 0..40"},
		{func(s *GenerateSpec) { s.Count = 0 }, "--count is required with --serial-prefix"},
		{func(s *GenerateSpec) { s.Pattern.Prefix = "a b" }, "--serial-prefix "},
		{func(s *GenerateSpec) { s.Given = nil }, "no serials: "},
		{func(s *GenerateSpec) { s.Serials, s.Given = "-", given("serial-width") }, "--serial-start and --serial-width go with --serial-prefix"},
		{func(s *GenerateSpec) { s.Serials, s.Stdin = "-", strings.NewReader("A\nB\n") }, "--count 3, but - holds 2 serials"},
	} {
		s := base()
		c.edit(&s)
		_, _, err := s.Generator()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v", c.want, err)
		}
	}
	s := base()
	s.Kind, s.Hash, s.Counter, s.Given = "hotp", "sha256", 7, given("serial-prefix", "counter")
	f, g, err := s.Generator()
	if err != nil || f.Name != "duo" || g.Bytes != 32 || g.Proto.Kind != seed.HOTP || g.Proto.Counter != 7 || g.Proto.Period != 0 || g.Serial(2) != "TK003" {
		t.Fatalf("hotp sha256: %v %+v", err, g)
	}
	s = base()
	s.Count, s.Serials, s.Stdin, s.Given = 0, "-", strings.NewReader("A\n# c\nB\n"), nil
	if _, g, err := s.Generator(); err != nil || g.Count != 2 || g.Serial(1) != "B" {
		t.Fatalf("serials: %v %+v", err, g)
	}
}

// TestGenerateReported: the report states the parameters, not secrets,
// and WriteProblems prints the first problem or warning and a count.
func TestGenerateReported(t *testing.T) {
	var out bytes.Buffer
	g := &seed.Generator{Proto: seed.Token{Kind: seed.HOTP, Hash: seed.SHA1, Digits: 6, Counter: 4}, Bytes: 12, Count: 3,
		Pattern: seed.SerialPattern{Prefix: "G", Start: 1}}
	rep, err := GenerateReported("-", "duo-hotp", g, &Options{Stdout: &out})
	if err != nil || rep.Format != "duo-hotp" || rep.Count != 3 || rep.FirstSerial != "G1" || rep.LastSerial != "G3" || *rep.Counter != 4 || rep.Period != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	if len(rep.Warnings) != 3 || !strings.Contains(rep.Warnings[0], "16") {
		t.Fatalf("12-byte secrets: want a warning per token, got %q", rep.Warnings)
	}
	var w bytes.Buffer
	rep.WriteProblems(&w)
	if lines := strings.Split(strings.TrimSpace(w.String()), "\n"); len(lines) != 2 || lines[1] != "... and 2 more warnings" {
		t.Errorf("warnings printed: %q", w.String())
	}
	if s := rep.String(); s != "wrote 3 hotp sha1 seeds (12 bytes) to - (duo-hotp)" {
		t.Errorf("String: %q", s)
	}
}

package seed

import (
	"io"
	"strings"
	"testing"
)

func TestReadSerialsProblems(t *testing.T) {
	in := strings.Join([]string{"S1", "S2", "S1", "1.00013E+12", strings.Repeat("x", 129), "has space", "S2", "a,b,c"}, "\n")
	_, err := ReadSerials("-", strings.NewReader(in))
	if err == nil {
		t.Fatal("bad serials accepted")
	}
	want := strings.Join([]string{
		"standard input:3: serial: S1 appears again (first on line 1)",
		`standard input:4: serial: "1.00013E+12" looks damaged by a spreadsheet (a number in exponent form)`,
		"standard input:5: serial: 129 characters, at most 128",
		"standard input:6: serial: a line of 9 characters with ' ' in it: only letters, digits and . _ - / : are allowed",
		"standard input:7: serial: S2 appears again (first on line 2)",
		"standard input:8: serial: a line of 5 characters with ',' in it: only letters, digits and . _ - / : are allowed (--serials takes one serial a line: is this a seed file?)",
	}, "\n")
	if err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	got, err := ReadSerials("-", strings.NewReader("\xef\xbb\xbf# box\r\nA-1\r\n\r\n  A-2 \r\n"))
	if err != nil || strings.Join(got, " ") != "A-1 A-2" {
		t.Errorf("clean file: %q, %v", got, err)
	}
	if _, err := ReadSerials("-", strings.NewReader("# only\n")); err == nil || err.Error() != "standard input: no serials" {
		t.Errorf("no serials: %v", err)
	}
}

func TestSerialPatternAndGenerator(t *testing.T) {
	p := SerialPattern{Prefix: "TK", Start: 9, Width: 3}
	if s := p.Serial(0) + " " + p.Serial(991); s != "TK009 TK1000" {
		t.Errorf("serials %s", s)
	}
	for _, c := range []struct {
		p     SerialPattern
		count int
		err   string
	}{
		{SerialPattern{Prefix: "X Y"}, 1, "prefix"},
		{SerialPattern{Width: 41}, 1, "width 41"},
		{SerialPattern{Start: ^uint64(0) - 1}, 2, "start"},
	} {
		if err := c.p.Check(c.count); err == nil || !strings.HasPrefix(err.Error(), c.err) {
			t.Errorf("%+v: %v, want %q", c.p, err, c.err)
		}
	}
	if err := (SerialPattern{Start: ^uint64(0) - 1}).Check(1); err != nil {
		t.Errorf("last number: %v", err)
	}
	g := &Generator{Proto: Token{Kind: TOTP, Digits: 8}, Bytes: 20, Count: 2, Pattern: p}
	var secrets []string
	for {
		tok, n, err := g.Read()
		if err == io.EOF {
			break
		}
		if err != nil || tok.Digits != 8 || len(tok.Secret) != 20 || tok.Serial != p.Serial(n-1) {
			t.Fatalf("token %d: %v %v", n, tok, err)
		}
		secrets = append(secrets, string(tok.Secret))
	}
	if len(secrets) != 2 || secrets[0] == secrets[1] || g.Err() != nil {
		t.Errorf("%d tokens, err %v", len(secrets), g.Err())
	}
	if g := (&Generator{Bytes: 0, Count: 1}); func() error { g.Read(); return g.Err() }() == nil {
		t.Error("a failed generation has no error")
	}
}

// FuzzReadSerials: a serials file either gives unique, clean serials, one
// per data line, or an error naming a line; never a panic.
func FuzzReadSerials(f *testing.F) {
	for _, s := range []string{"A1\nA2\n", "\xef\xbb\xbf# c\r\nA1\r\n\r\nA2", "A\nA\n", "1.00013E+12\n", "x y\n", "", "\n\n#\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ReadSerials("-", strings.NewReader(s))
		if err != nil {
			if !strings.Contains(err.Error(), "standard input") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, v := range got {
			if v == "" || len(v) > 128 || seen[v] || strings.IndexFunc(v, func(r rune) bool { return !SerialRuneOK(r) }) >= 0 {
				t.Fatalf("bad serial %q accepted", v)
			}
			seen[v] = true
		}
		data := 0
		for i, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if i == 0 {
				l = strings.TrimPrefix(l, "\xef\xbb\xbf")
			}
			if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
				data++
			}
		}
		if data != len(got) {
			t.Fatalf("%d data lines, %d serials", data, len(got))
		}
	})
}

package convert

import (
	"bytes"
	"errors"
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

package upload

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
)

func noRules(*seed.Token) []*seed.FieldError { return nil }

func TestLoadDetectsAndChecks(t *testing.T) {
	rows := uploadtest.EntraRows(4, []string{"ann@contoso.com"})
	path := uploadtest.EntraFile(t, rows)
	toks, err := Load(path, "", nil, noRules)
	if err != nil || len(toks) != 4 || toks[0].User != "ann@contoso.com" || toks[2].Period != 60 || string(toks[1].Secret) != string(rows[1].Secret) {
		t.Fatalf("%v %d", err, len(toks))
	}
	// A rule broken by token 3 rejects the file, naming file, token and
	// field, never the secret.
	rule := func(tk *seed.Token) []*seed.FieldError {
		if tk.Serial == rows[2].Serial {
			return []*seed.FieldError{{Field: "time interval", Msg: "60 s: not here"}}
		}
		return nil
	}
	toks, err = Load(path, "entra", nil, rule)
	if !errors.Is(err, convert.ErrInvalid) || toks != nil || !strings.Contains(err.Error(), path+":3: time interval: 60 s") {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), seed.EncodeBase32(rows[2].Secret)) {
		t.Fatal("secret in the error")
	}
	// The same serial twice.
	dup := append(rows, rows[0])
	_, err = Load(uploadtest.EntraFile(t, dup), "entra", nil, noRules)
	if !errors.Is(err, convert.ErrInvalid) || !strings.Contains(err.Error(), ":5: serial") || !strings.Contains(err.Error(), "also at token 1") {
		t.Fatalf("%v", err)
	}
	// A bad secret: the reader's error, file and line.
	b, _ := os.ReadFile(path)
	bad := strings.Replace(string(b), seed.EncodeBase32(rows[1].Secret), "!!!!", 1)
	os.WriteFile(path, []byte(bad), 0o600)
	if _, err = Load(path, "entra", nil, noRules); !errors.Is(err, convert.ErrInvalid) || !strings.Contains(err.Error(), ":3") {
		t.Fatalf("%v", err)
	}
}

package upload

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
)

// TestJobRun: a file is loaded and checked before any client is made; the
// tokens reach the uploader, are wiped after, and a failed token is the
// run's error with the report kept.
func TestJobRun(t *testing.T) {
	rows := uploadtest.EntraRows(3, []string{"ann@contoso.com"})
	path := uploadtest.EntraFile(t, rows)
	made := false
	refuse := func(tk *seed.Token) []*seed.FieldError {
		return []*seed.FieldError{{Field: "serial", Msg: "no"}}
	}
	j := Job{File: path, Rules: refuse, Server: "entra"}
	rep, err := j.Run(context.Background(), func(func(Result)) (Uploader, error) { made = true; return nil, nil })
	if !errors.Is(err, convert.ErrInvalid) || rep != nil || made {
		t.Fatalf("a file breaking the rules: %v %v made=%v", err, rep, made)
	}
	var seen []*seed.Token
	j.Rules = noRules
	rep, err = j.Run(context.Background(), func(on func(Result)) (Uploader, error) {
		return func(_ context.Context, toks []*seed.Token) (*Report, error) {
			seen = toks
			r := &Report{Server: "entra"}
			for i, tk := range toks {
				res := Result{Serial: tk.Serial, ObjectID: "id", Created: true}
				if i == 1 {
					res.Error = "refused"
				}
				on(res) // no ledger: nothing to record
				r.Add(res)
			}
			return r, nil
		}, nil
	})
	if !errors.Is(err, ErrFailed) || rep == nil || rep.Created != 3 || rep.Failed != 1 || len(seen) != 3 {
		t.Fatalf("upload: %v %+v", err, rep)
	}
	for _, tk := range seen {
		if len(tk.Secret) == 0 || strings.Trim(string(tk.Secret), "\x00") != "" {
			t.Errorf("token %s not wiped after the run", tk.Serial)
		}
	}
	want := errors.New("client refused")
	if _, err = j.Run(context.Background(), func(func(Result)) (Uploader, error) { return nil, want }); err != want {
		t.Errorf("client error: %v", err)
	}
}

package upload

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/ledger"
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
	rep, err := j.Run(context.Background(), func(*x509.CertPool, func(Result)) (Uploader, error) { made = true; return nil, nil })
	if !errors.Is(err, convert.ErrInvalid) || rep != nil || made {
		t.Fatalf("a file breaking the rules: %v %v made=%v", err, rep, made)
	}
	var seen []*seed.Token
	j.Rules = noRules
	rep, err = j.Run(context.Background(), func(_ *x509.CertPool, on func(Result)) (Uploader, error) {
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
	if _, err = j.Run(context.Background(), func(*x509.CertPool, func(Result)) (Uploader, error) { return nil, want }); err != want {
		t.Errorf("client error: %v", err)
	}
}

// TestJobRunLedger: from a ledger, the job uploads export's default
// selection (the programmed token, not the pending one), records where
// each went, and names the ledger in rule problems; no file and no
// ledger, or both, is a usage error.
func TestJobRunLedger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, idf := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "k.age")
	l, err := ledger.CreateFiles(ctx, path, idf, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, serial := range []string{"1001", "1002"} {
		s, _ := seed.Generate(20)
		r, err := l.Reserve(ctx, &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Secret: s}, ledger.Entry{Family: ledger.Token2})
		if err == nil && i == 0 {
			_, err = l.MarkProgrammed(ctx, r, "op")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	j := Job{Access: &ledger.Access{Path: path, Keys: ledger.Keys{IdentityFiles: []string{idf}}, NeedSecrets: true}, Rules: noRules, Server: "duo", Operator: "op"}
	var sent []string
	rep, err := j.Run(ctx, func(_ *x509.CertPool, on func(Result)) (Uploader, error) {
		return func(_ context.Context, toks []*seed.Token) (*Report, error) {
			r := &Report{Server: "duo"}
			for _, tk := range toks {
				sent = append(sent, tk.Serial)
				res := Result{Serial: tk.Serial, ObjectID: "id-" + tk.Serial, Created: true, At: time.Now()}
				on(res)
				r.Add(res)
			}
			return r, nil
		}, nil
	})
	if err != nil || rep == nil || !slices.Equal(sent, []string{"1001"}) {
		t.Fatalf("%v %+v sent %v", err, rep, sent)
	}
	l, err = ledger.OpenFileWith(ctx, path, ledger.Keys{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if r, err := l.Get(ctx, "1001"); err != nil || !strings.Contains(r.Labels["uploaded.duo"], "id-1001") {
		t.Fatalf("not recorded: %+v %v", r, err)
	}
	j.Rules = func(*seed.Token) []*seed.FieldError { return []*seed.FieldError{{Field: "serial", Msg: "no"}} }
	if _, err := j.Run(ctx, nil); !errors.Is(err, convert.ErrInvalid) || !strings.Contains(err.Error(), "t.ledger:1: serial") {
		t.Fatalf("rules: %v", err)
	}
	var ue *convert.UsageError
	if _, err := (&Job{}).Run(ctx, nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "FILE to upload, or --ledger") {
		t.Fatalf("no file and no ledger: %v", err)
	}
	if _, err := (&Job{File: "x.csv", Access: j.Access}).Run(ctx, nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("a file and a ledger: %v", err)
	}
	if _, err := (&Job{File: "x.csv", CAFile: filepath.Join(dir, "none.pem")}).Run(ctx, nil); !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--ca-file: ") {
		t.Fatalf("bad CA file: %v", err)
	}
}

package upload

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

// Uploader is a server's client: duo.Client.Upload, entra.Client.Upload.
type Uploader func(context.Context, []*seed.Token) (*Report, error)

// Client is the Uploader of the client c a constructor returned with err
// (Client(duo.New(cfg))).
func Client[C interface {
	Upload(context.Context, []*seed.Token) (*Report, error)
}](c C, err error) (Uploader, error) {
	if err != nil {
		return nil, err
	}
	return c.Upload, nil
}

// Job is one upload run: the tokens of a seed file, or of a ledger, sent
// to a server (tokenctl upload duo|entra).
type Job struct {
	// File ("-": Options.Stdin) in format From ("" detects it), read
	// with Options (Load); or, with no File, the tokens of the ledger
	// Access opens that Selection selects as for an export
	// (Ledger.ExportTokens: with no state, the programmed and verified
	// ones).
	File, From string
	Options    *convert.Options
	Access     *ledger.Access
	Selection  ledger.Selection
	// Rules are the server's (duo.Check, entra.CheckFill...); Server is
	// its name in the ledger ("duo", "entra"); Operator, who ran it.
	Rules    func(*seed.Token) []*seed.FieldError
	Server   string
	Operator string
	// DryRun: nothing is recorded in the ledger.
	DryRun bool
	// CAFile: PEM certificates of the CA that signs the server's
	// certificate, besides the system's (CertPool); "" for the system's.
	CAFile string
}

// Run refuses a Job with both File and Access or neither (a usage error
// naming FILE and --ledger), loads the tokens, checks them against Rules (nothing is sent unless
// all pass), and uploads them with the client newClient makes, trusting
// the roots of CertPool(CAFile) (a bad CAFile is a usage error). With a
// ledger, every token the server holds after the run (created or found,
// even when a later step failed or the run stopped after making it) is
// recorded there (Ledger.MarkUploaded: label uploaded.SERVER, its object
// id and the time). The report is nil when nothing was sent; the error
// is the upload's, else the ledger's, else Report.Err.
func (j *Job) Run(ctx context.Context, newClient func(roots *x509.CertPool, onResult func(Result)) (Uploader, error)) (*Report, error) {
	switch {
	case j.File != "" && j.Access != nil:
		return nil, &convert.UsageError{Err: errors.New("give a FILE or --ledger, not both")}
	case j.File == "" && j.Access == nil:
		return nil, &convert.UsageError{Err: errors.New("give the seed FILE to upload, or --ledger")}
	}
	roots, err := CertPool(j.CAFile)
	if err != nil {
		return nil, &convert.UsageError{Err: fmt.Errorf("--ca-file: %w", err)}
	}
	var l *ledger.Ledger
	var f ledger.Filter
	if j.File == "" {
		if f, err = j.Selection.Filter(); err == nil {
			l, err = j.Access.Open(ctx)
		}
		if err != nil {
			return nil, err
		}
		defer l.Close()
	}
	toks, err := j.tokens(ctx, l, f)
	defer func() {
		for _, t := range toks {
			t.Wipe()
		}
	}()
	if err != nil {
		return nil, err
	}
	var recErr error
	up, err := newClient(roots, func(r Result) {
		if l == nil || j.DryRun || r.ObjectID == "" {
			return
		}
		if _, err := l.MarkUploaded(ctx, r.Serial, j.Server, r.ObjectID, r.At, j.Operator); err != nil && recErr == nil {
			recErr = fmt.Errorf("serial %s is on %s but the ledger could not record it: %w", r.Serial, j.Server, err)
		}
	})
	if err != nil {
		return nil, err
	}
	rep, err := up(ctx, toks)
	switch {
	case err != nil:
	case recErr != nil:
		err = recErr
	default:
		err = rep.Err()
	}
	return rep, err
}

// tokens are the File's, or the Ledger's export selection
// (Ledger.ExportTokens: by default its programmed and verified tokens),
// checked.
func (j *Job) tokens(ctx context.Context, l *ledger.Ledger, f ledger.Filter) (toks []*seed.Token, err error) {
	if j.File != "" {
		o := j.Options
		if o == nil {
			o = &convert.Options{}
		}
		return Load(j.File, j.From, o, j.Rules)
	}
	if toks, err = l.ExportTokens(ctx, f, nil); err != nil {
		return nil, err
	}
	return toks, Check(ledger.SpecName(j.Access.Path), toks, j.Rules)
}

package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tokenctl/tokenctl/seed"
)

// ImportResult is what Import did.
type ImportResult struct {
	Imported int                `json:"imported"`
	Replaced int                `json:"replaced"`
	Warnings []*seed.FieldError `json:"-"`
}

// WarningTexts are the warnings' messages, an empty list (not nil) when
// there is none or no result.
func (r *ImportResult) WarningTexts() []string {
	out := []string{}
	if r == nil {
		return out
	}
	for _, w := range r.Warnings {
		out = append(out, w.Error())
	}
	return out
}

// MaxImportErrors bounds the problems Import collects before giving up.
const MaxImportErrors = 1000

// Source is one seed file to import: its name (in errors and in each
// record's Source) and a reader over it.
type Source struct {
	Name string
	R    seed.Reader
}

// Import records every token of vendor seed files (factory seeds: the
// tokens already hold them) as programmed, so they take part in the
// uniqueness checks and exports. It is all or nothing: a problem in any
// row (reported as file:line: field: what), a serial twice in the input or
// a serial already in the ledger (unless e.Reprogram) records nothing, and
// every such problem is returned. e.Family defaults to Imported.
func (l *Ledger) Import(ctx context.Context, srcs []Source, e Entry) (*ImportResult, []error) {
	if e.Family == "" {
		e.Family = Imported
	}
	res := &ImportResult{}
	var errs []error
	var recs []*Record
	seen := map[string]seenAt{}
	for _, src := range srcs {
		recs0, errs0 := len(recs), len(errs)
		for len(errs) < MaxImportErrors {
			tok, line, err := src.R.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				probs, fatal := fieldErrors(err, nil)
				if fatal != nil {
					return nil, append(errs, fmt.Errorf("%s: %w", src.Name, fatal))
				}
				bad := false
				for _, fe := range probs {
					if fe.Warning {
						res.Warnings = append(res.Warnings, fe)
					} else {
						errs, bad = append(errs, fe), true
					}
				}
				if bad {
					if tok != nil {
						tok.Wipe()
					}
					continue
				}
			}
			if tok == nil {
				continue
			}
			rec, fe := l.importRow(ctx, tok, src.Name, line, e, seen, len(errs) > 0)
			tok.Wipe()
			if fe != nil {
				errs = append(errs, fe)
				continue
			}
			if rec != nil {
				seen[tok.Serial] = seenAt{src.Name, line}
				recs = append(recs, rec)
			}
		}
		if len(recs) == recs0 && len(errs) == errs0 {
			// A header and nothing else, or an empty file: a wrong or cut
			// export, which must not pass for an import.
			errs = append(errs, &seed.FieldError{File: src.Name, Msg: "no tokens in the file"})
		}
	}
	if len(errs) >= MaxImportErrors {
		errs = append(errs, errors.New("too many problems, stopped reading"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := l.canWrite(); err != nil {
		return nil, []error{err}
	}
	for _, r := range recs {
		l.sign(r)
	}
	o := InsertOptions{Event: "imported", Operator: e.Operator}
	if e.Reprogram {
		o.Replace, o.MayReplace = true, l.claimable
	}
	if err := l.s.Insert(ctx, recs, o); err != nil {
		return nil, []error{err}
	}
	for _, r := range recs {
		l.wrote(r)
		res.Imported++
		if r.Replaces != 0 {
			res.Replaced++
		}
	}
	return res, nil
}

type seenAt struct {
	file string
	line int
}

// importRow checks one token and seals it (unless the import already
// failed, when it only checks).
func (l *Ledger) importRow(ctx context.Context, tok *seed.Token, file string, line int, e Entry, seen map[string]seenAt, failed bool) (*Record, error) {
	fail := func(field, msg string) error {
		return &seed.FieldError{File: file, Line: line, Field: field, Msg: msg}
	}
	if err := CheckSerial(tok.Serial); err != nil {
		return nil, fail("serial", err.Error())
	}
	if tok.Manufacturer == "" {
		tok.Manufacturer = e.Manufacturer
	}
	if tok.Model == "" {
		tok.Model = e.ModelFill
	}
	if prev, dup := seen[tok.Serial]; dup {
		return nil, fail("serial", fmt.Sprintf("%s appears twice (also %s:%d)", tok.Serial, prev.file, prev.line))
	}
	if len(tok.Secret) == 0 {
		return nil, fail("secret", "missing")
	}
	if !e.Reprogram {
		cur, err := l.s.Current(ctx, tok.Serial)
		if err == nil {
			return nil, fail("serial", fmt.Sprintf("%s is already in the ledger (record #%d, %s); import with reprogram to replace it", tok.Serial, cur.ID, cur.State))
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if failed {
		seen[tok.Serial] = seenAt{file, line}
		return nil, nil // no point sealing what will not be written
	}
	rec, err := l.newRecord(tok, e, Programmed)
	if err != nil {
		return nil, fail("secret", err.Error())
	}
	rec.Source, rec.Programmed = file, rec.Created
	return rec, nil
}

// fieldErrors collects the FieldErrors in err (joined or wrapped); any
// other error is returned as fatal.
func fieldErrors(err error, into []*seed.FieldError) ([]*seed.FieldError, error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, x := range j.Unwrap() {
			var fatal error
			if into, fatal = fieldErrors(x, into); fatal != nil {
				return into, fatal
			}
		}
		return into, nil
	}
	var fe *seed.FieldError
	if errors.As(err, &fe) {
		return append(into, fe), nil
	}
	return into, err
}

// History returns every record of serial (replaced ones too), oldest first.
func (l *Ledger) History(ctx context.Context, serial string) ([]*Record, error) {
	return l.s.History(ctx, serial)
}

// Events returns what happened to serial, oldest first.
func (l *Ledger) Events(ctx context.Context, serial string) ([]Event, error) {
	return l.s.Events(ctx, serial)
}

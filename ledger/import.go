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

// MaxImportErrors bounds the problems Import collects before giving up.
const MaxImportErrors = 1000

// Import records every token of a vendor seed file (factory seeds: the
// tokens already hold them) as programmed, so they take part in the
// uniqueness checks and exports. It is all or nothing: a problem in any
// row (reported as file:line: field: what) or a serial already in the
// ledger (unless e.Reprogram) records nothing. file names the input in
// errors and in each record's Source. e.Family defaults to Imported.
func (l *Ledger) Import(ctx context.Context, r seed.Reader, file string, e Entry) (*ImportResult, []error) {
	if e.Family == "" {
		e.Family = Imported
	}
	res := &ImportResult{}
	var errs []error
	var recs []*Record
	lineOf := map[string]int{}
	defer func() {
		for _, r := range recs {
			r.Sealed = nil
		}
	}()
	for len(errs) < MaxImportErrors {
		tok, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var fe *seed.FieldError
			if errors.As(err, &fe) {
				if fe.Warning {
					res.Warnings = append(res.Warnings, fe)
					if tok == nil {
						continue
					}
				} else {
					errs = append(errs, fe)
					continue
				}
			} else {
				return nil, append(errs, fmt.Errorf("%s: %w", file, err))
			}
		}
		if tok == nil {
			continue
		}
		fail := func(field, msg string) {
			errs = append(errs, &seed.FieldError{File: file, Line: line, Field: field, Msg: msg})
		}
		if err := CheckSerial(tok.Serial); err != nil {
			fail("serial", err.Error())
			tok.Wipe()
			continue
		}
		if prev, dup := lineOf[tok.Serial]; dup {
			fail("serial", fmt.Sprintf("serial %s appears again (first on line %d)", tok.Serial, prev))
			tok.Wipe()
			continue
		}
		lineOf[tok.Serial] = line
		if len(tok.Secret) == 0 {
			fail("secret", "no secret")
			continue
		}
		if !e.Reprogram {
			cur, err := l.s.Current(ctx, tok.Serial)
			if err == nil {
				fail("serial", fmt.Sprintf("serial %s is already in the ledger (record #%d, %s)", tok.Serial, cur.ID, cur.State))
				tok.Wipe()
				continue
			} else if !errors.Is(err, ErrNotFound) {
				tok.Wipe()
				return nil, append(errs, err)
			}
		}
		if len(errs) > 0 {
			tok.Wipe()
			continue // no point sealing what will not be written
		}
		rec, err := l.newRecord(tok, e, Programmed)
		tok.Wipe()
		if err != nil {
			fail("secret", err.Error())
			continue
		}
		rec.Source, rec.Programmed = file, rec.Created
		recs = append(recs, rec)
	}
	if len(errs) >= MaxImportErrors {
		errs = append(errs, fmt.Errorf("%s: too many problems, stopped reading", file))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	o := InsertOptions{Event: "imported", Operator: e.Operator, Detail: "from " + file}
	if e.Reprogram {
		o.Replace, o.MayReplace = true, l.claimable
	}
	if err := l.s.Insert(ctx, recs, o); err != nil {
		return nil, []error{err}
	}
	for _, r := range recs {
		res.Imported++
		if r.Replaces != 0 {
			res.Replaced++
		}
	}
	return res, nil
}

// History returns every record of serial (replaced ones too), oldest first.
func (l *Ledger) History(ctx context.Context, serial string) ([]*Record, error) {
	return l.s.History(ctx, serial)
}

// Events returns what happened to serial, oldest first.
func (l *Ledger) Events(ctx context.Context, serial string) ([]Event, error) {
	return l.s.Events(ctx, serial)
}

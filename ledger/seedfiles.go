package ledger

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
)

// The ledger and seed files: importing vendor files, exporting a selection
// in any format convert writes.

// ImportReport is what ImportFiles recorded.
type ImportReport struct {
	Batch    string   `json:"batch"`
	Imported int      `json:"imported"`
	Replaced int      `json:"replaced"`
	Warnings []string `json:"warnings"`
}

func (r *ImportReport) String() string {
	s := fmt.Sprintf("%s recorded in batch %s", plural(r.Imported, "token"), r.Batch)
	if r.Replaced > 0 {
		s += fmt.Sprintf(" (%d replacing earlier records)", r.Replaced)
	}
	return s + "\n"
}

// ImportFiles is Import of seed files, each name ("-": o.Stdin) read in
// the format from (detected when "", see convert.InputFormat) with o,
// whose Manufacturer and Model fill e's when empty; e.Batch defaults to
// "import-DATE-TIME". The report says what was recorded, with the
// warnings; every problem is in the *ProblemsError, nothing recorded.
func (l *Ledger) ImportFiles(ctx context.Context, files []string, from string, o *convert.Options, e Entry) (*ImportReport, error) {
	e.Batch = cmp.Or(e.Batch, "import-"+l.Now().Format("20060102-150405"))
	e.Manufacturer, e.ModelFill = cmp.Or(e.Manufacturer, o.Manufacturer), cmp.Or(e.ModelFill, o.Model)
	if err := l.CanWrite(); err != nil {
		return nil, err
	}
	var srcs []Source
	for _, name := range files {
		r, display := cmp.Or[io.Reader](o.Stdin, os.Stdin), "<stdin>"
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r, display = f, name
		}
		br := bufio.NewReaderSize(r, 64<<10)
		format, err := convert.InputFormat(from, br, display)
		if err != nil {
			return nil, err
		}
		rd, err := format.Open(br, display, o)
		if err != nil {
			return nil, &DataError{err}
		}
		srcs = append(srcs, Source{Name: display, R: rd})
	}
	res, errs := l.Import(ctx, srcs, e)
	rep := &ImportReport{Batch: e.Batch, Warnings: res.WarningTexts()}
	if len(errs) > 0 {
		pe := &ProblemsError{Nothing: "recorded"}
		for _, err := range errs {
			pe.Problems = append(pe.Problems, err.Error())
		}
		return rep, pe
	}
	rep.Imported, rep.Replaced = res.Imported, res.Replaced
	return rep, nil
}

// ErrNoneSelected: no record matches what is to be exported.
var ErrNoneSelected = errors.New("no token in the ledger matches the selection; nothing written")

// ExportReader reads the tokens of the records f selects for export
// (ledger export, upload --ledger): by default, with no state in f, the
// programmed and verified ones (a pending or failed record's seed may not
// be on any token). Every record is checked first: one failing
// authentication stops it, or with skip is passed to skip and left out
// (ReaderSkipping). Selecting nothing is ErrNoneSelected.
func (l *Ledger) ExportReader(ctx context.Context, f Filter, skip func(r *Record, err error)) (seed.Reader, []*Record, error) {
	if len(f.States) == 0 {
		f.States = []State{Programmed, Verified}
	}
	rd, recs, err := l.ReaderSkipping(ctx, f, skip)
	if err == nil && len(recs) == 0 {
		err = ErrNoneSelected
	}
	return rd, recs, err
}

// ExportTokens is every token ExportReader gives, for a caller that
// needs them all at once (an upload); the caller wipes them. On an error
// none is returned (those read are wiped).
func (l *Ledger) ExportTokens(ctx context.Context, f Filter, skip func(r *Record, err error)) ([]*seed.Token, error) {
	rd, _, err := l.ExportReader(ctx, f, skip)
	var toks []*seed.Token
	for err == nil {
		var t *seed.Token
		if t, _, err = rd.Read(); err == nil {
			toks = append(toks, t)
		}
	}
	if err == io.EOF {
		return toks, nil
	}
	for _, t := range toks {
		t.Wipe()
	}
	return nil, err
}

// ExportTo writes the tokens ExportReader selects to out in format to
// (convert.WriteStream with o: checked against the target's rules first,
// nothing written when one breaks them).
func (l *Ledger) ExportTo(ctx context.Context, f Filter, out, to string, o *convert.Options, skip func(r *Record, err error)) (*convert.Report, error) {
	rd, _, err := l.ExportReader(ctx, f, skip)
	if err != nil {
		return nil, err
	}
	return convert.WriteStream(out, to, rd, "ledger record", o)
}

// ExportJob is a ledger export as a user asks for it (tokenctl ledger
// export): the records Selection selects, written to Out in format To
// with Options (ExportTo).
type ExportJob struct {
	Selection
	To, Out string
	Options *convert.Options
	// Skip, when set, leaves out the records that fail authentication,
	// each given to it (ExportReader).
	Skip func(r *Record, err error)
}

// Check parses the selection and looks To up, reading no key: an unknown
// name is a usage error that starts with its flag ("--to ...").
func (e *ExportJob) Check() error {
	if _, err := e.Filter(); err != nil {
		return err
	}
	if _, ok := convert.Lookup(e.To); !ok {
		return &usageError{fmt.Sprintf("--to %q: unknown format (see tokenctl formats)", e.To)}
	}
	return nil
}

// Run writes what e asks for from l (Check's problems first, then
// ExportTo).
func (e *ExportJob) Run(ctx context.Context, l *Ledger) (*convert.Report, error) {
	if err := e.Check(); err != nil {
		return nil, err
	}
	f, _ := e.Filter()
	return l.ExportTo(ctx, f, e.Out, e.To, e.Options, e.Skip)
}

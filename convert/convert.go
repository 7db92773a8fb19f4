package convert

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/pskc"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/targets"
)

// MaxProblems bounds the problems a Report keeps; every problem is still
// counted and passed to Options.OnProblem.
const MaxProblems = 10000

// ProgressEvery is how many rows pass between Options.OnProgress calls.
const ProgressEvery = 100000

// memoryBase is the soft memory limit of a streaming conversion besides
// the serial set (Options.TuneMemory): buffers, one row, and garbage.
const memoryBase = 16 << 20

// ErrInvalid is wrapped by the error of a conversion that found invalid
// rows and therefore wrote nothing.
var ErrInvalid = errors.New("invalid input")

// ErrExists is wrapped by the error of a conversion that would replace an
// existing file while Options.NoClobber is set.
var ErrExists = errors.New("file exists")

// noClobber refuses path when it exists and o says so.
func noClobber(o *Options, path string) error {
	if !o.NoClobber {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w and may hold seeds already in use: choose another name, or --force to replace it", path, ErrExists)
	}
	return nil
}

// ErrCanceled is wrapped by the error of a conversion stopped through
// Options.Cancel.
var ErrCanceled = errors.New("canceled")

// UsageError is a request that cannot be carried out as asked (unknown
// format, format that cannot be read or written, undetectable input...).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageError says that the request, not the data, is at fault (tokenctl
// exits 2).
func (e *UsageError) UsageError() bool { return true }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Problem is one FieldError in a Report, for JSON.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Warning bool   `json:"warning,omitempty"`
	// Fatal: the problem concerns a whole input, which cannot be used at
	// all (see IsFatal); the conversion fails even with SkipInvalid.
	Fatal bool `json:"fatal,omitempty"`
}

// Report says what a conversion or validation did.
type Report struct {
	From            string    `json:"from"`
	To              string    `json:"to"`
	Inputs          []string  `json:"inputs"`
	Outputs         []string  `json:"outputs,omitempty"`
	RejectsFile     string    `json:"rejects_file,omitempty"`
	Read            int       `json:"rows_read"`
	Written         int       `json:"rows_written"`
	Rejected        int       `json:"rows_rejected"`
	Errors          int       `json:"errors"`
	Warnings        int       `json:"warnings"`
	Problems        []Problem `json:"problems"`
	ProblemsOmitted int       `json:"problems_omitted,omitempty"`
}

// Run converts the inputs (paths; "-" reads o.Stdin) from format from (""
// detects it for each input: exactly one format's Sniff must claim it) to
// format to, writing out ("" or "-" writes o.Stdout).
//
// Every row is checked against the rules of the target and every problem
// reported. An input that cannot be used as a whole (a fatal reader error,
// see IsFatal) fails the conversion, with or without o.SkipInvalid.
// Output goes to a temporary file (0600) renamed into place only
// when the whole input is valid (output for o.Stdout is held in an
// unlinked 0600 file in os.TempDir until then); on any error nothing is
// written and the error wraps ErrInvalid. With o.SkipInvalid the valid rows are written and
// the rejected ones go to a rejects file (o.Rejects, default OUT.rejects).
// With o.Split and a target that takes one token type per file (Duo), one
// file per type is written. Memory stays flat whatever the input size.
func Run(inputs []string, from, to, out string, o *Options) (*Report, error) {
	return run(paths(inputs), from, to, out, false, o)
}

// source is an input file, or tokens handed over by a caller.
type source struct {
	name string      // path, or a label for rd
	rd   seed.Reader // nil: open name
}

func paths(inputs []string) []source {
	out := make([]source, len(inputs))
	for i, p := range inputs {
		out[i] = source{name: p}
	}
	return out
}

// Validate checks the inputs against the rules of target to, reading them
// as from ("" detects), and writes nothing. The error wraps ErrInvalid when
// any row has an error (warnings alone pass).
func Validate(inputs []string, from, to string, o *Options) (*Report, error) {
	return run(paths(inputs), from, to, "", true, o)
}

type output struct {
	pend *fsutil.Pending // nil when writing to stdout or discarding
	tmp  *os.File        // unnamed temp file for stdout
	w    seed.Writer
	path string
}

type pipe struct {
	o        *Options
	to       *Format
	im       *targets.Importer // the target's importer model, when known
	rep      *Report
	seen     *serialSet
	locs     locations // where each input's lines are, for the serial set
	validate bool
	out      string
	outs     map[string]*output
	order    []string
	rejects  *fsutil.Pending
	rejectsW *bufio.Writer
	// one type per file (no --split): the first type and where it was.
	firstType, firstAt string
	hashes             []uint64 // scratch for markDuplicates
	// tokens per user (by hash of the UPN), for a target that limits them
	perUser      map[uint64]uint8
	userDropped  bool // a user the target cannot carry was reported (said once)
	textChecked  bool // the current reader checks that its text is UTF-8
	nextProgress int
	// the first secret size per hash, where, and whether another was seen
	secretLen [3]int
	secretAt  [3]string
	mixedLen  bool
	// why each input that cannot be used at all was refused (fatal reader
	// errors): the conversion fails whatever SkipInvalid says.
	refused []string
}

func run(inputs []source, from, to, out string, validate bool, o *Options) (rep *Report, err error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if len(inputs) == 0 {
		return nil, usage("no input files (give '-' for standard input)")
	}
	tf, ok := Lookup(to)
	if !ok {
		return nil, usage("unknown target format %q (see tokenctl formats)", to)
	}
	if tf.Create == nil {
		return nil, usage("format %s cannot be written", tf.Name)
	}
	if out == "-" {
		out = ""
	}
	if !utf8.ValidString(opts.Manufacturer) || !utf8.ValidString(opts.Model) {
		return nil, usage("--manufacturer and --model must be UTF-8 text")
	}
	if opts.Split && tf.TypeKey == nil {
		return nil, usage("--split: %s files take every token type; nothing to split", tf.Name)
	}
	if opts.Split && out == "" && !validate {
		return nil, usage("--split writes several files: give -o")
	}
	if opts.TuneMemory {
		prev := debug.SetMemoryLimit(-1)
		defer debug.SetMemoryLimit(prev)
		debug.SetMemoryLimit(memoryBase)
	}
	rep = &Report{To: tf.Name, Problems: []Problem{}}
	for _, in := range inputs {
		rep.Inputs = append(rep.Inputs, in.name)
	}
	p := &pipe{o: &opts, to: tf, rep: rep, seen: newSerialSet(), validate: validate, out: out, outs: map[string]*output{}, nextProgress: ProgressEvery}
	p.im = targets.Lookup(tf.Name)
	if opts.TuneMemory {
		p.seen.onGrow = func(n int) { debug.SetMemoryLimit(memoryBase + int64(n)) }
	}
	defer func() {
		if err != nil {
			p.abort()
		}
	}()
	if opts.SkipInvalid && !validate {
		rp := opts.Rejects
		if rp == "" {
			if out == "" {
				return nil, usage("--skip-invalid with standard output: give --rejects FILE")
			}
			rp = out + ".rejects"
		}
		if err = noClobber(&opts, rp); err != nil {
			return rep, err
		}
		if p.rejects, err = fsutil.CreatePending(rp); err != nil {
			return rep, err
		}
		p.rejectsW = bufio.NewWriter(p.rejects)
	}
	if out != "" && !opts.Split && !validate {
		if err = noClobber(&opts, out); err != nil {
			return rep, err
		}
	}
	var ff *Format
	if from != "" {
		if ff, ok = Lookup(from); !ok {
			return rep, usage("unknown input format %q (see tokenctl formats)", from)
		}
		if ff.Open == nil {
			return rep, usage("format %s cannot be read", ff.Name)
		}
	}
	var froms []string
	for _, in := range inputs {
		f := ff // without --from, each input is detected on its own
		if err := p.input(in, &f); err != nil {
			return rep, err
		}
		if f != nil && !slices.Contains(froms, f.Name) {
			froms = append(froms, f.Name)
		}
	}
	rep.From = strings.Join(froms, ",")
	if len(p.refused) > 0 {
		rep.Written = 0
		what := "nothing written"
		switch {
		case validate:
			what = "the target cannot import it"
		case opts.SkipInvalid:
			what = "nothing written (--skip-invalid skips bad rows, not unusable files)"
		}
		return rep, fmt.Errorf("%w: %d %s; %s; %s", ErrInvalid, rep.Errors, plural(rep.Errors, "error"), strings.Join(p.refused, "; "), what)
	}
	if rep.Errors > 0 && !opts.SkipInvalid {
		rep.Written = 0
		what := "nothing written"
		if validate {
			what = "the target would refuse them"
		}
		return rep, fmt.Errorf("%w: %d %s in %d of %d rows; %s", ErrInvalid, rep.Errors, plural(rep.Errors, "error"), rep.Rejected, rep.Read, what)
	}
	if validate {
		for _, k := range p.order {
			if err := p.outs[k].w.Close(); err != nil {
				return rep, err
			}
		}
		return rep, nil
	}
	if len(p.outs) == 0 && !opts.Split {
		if _, err := p.writer(""); err != nil {
			return rep, err
		}
	}
	return rep, p.commit()
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// input reads one input file through the pipe.
func (p *pipe) input(src source, ff **Format) error {
	p.locs.start(src.name)
	if src.name == "-" && src.rd == nil {
		p.locs.names[len(p.locs.names)-1] = "<stdin>"
	}
	if src.rd != nil {
		return p.consume(src.rd, src.name)
	}
	name := src.name
	var r io.Reader
	display := name
	if name == "-" {
		r = p.o.Stdin
		display = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(DetectHead)
	if f, ok := r.(*os.File); ok {
		p.seen.reserve(estimateRows(f, head))
	}
	if *ff == nil {
		f, err := Detect(csvfmt.SniffText(head))
		switch {
		case errors.Is(err, ErrUnknownFormat):
			// The file is there but no format claims it: invalid data
			// (exit 1), located to the line the formats look at.
			p.refuseFile(undetected(display, head))
			return nil
		case err != nil:
			// Several formats fit: only the user can say which.
			return usage("%s: %v", display, err)
		}
		*ff = f
	}
	o := *p.o
	o.lint = (*ff).Name == p.to.Name
	rd, err := (*ff).Open(br, display, &o)
	if err != nil {
		return err
	}
	read, refused := p.rep.Read, len(p.refused)
	if err := p.consume(rd, display); err != nil {
		return err
	}
	if p.rep.Read == read && len(p.refused) == refused {
		// A header and nothing else: a wrong or truncated export, which
		// would otherwise "convert" to an empty import file.
		p.refuseFile(&seed.FieldError{File: display,
			Msg: "no tokens in the file: it is empty, or holds only a header, comments or blank lines"}, "no tokens in "+display)
	}
	return nil
}

// record is one Read result waiting in a batch.
type record struct {
	t    *seed.Token
	line int
	errs []*seed.FieldError
	raw  string
	key  string // token type, for targets that take one per file
	dup  bool
	// where the serial was first seen, for a duplicate (see locations; 0
	// unknown)
	dupAt uint32
	// the user's tokens so far, this one included, for a target that
	// limits them (Entra); 0 when not counted
	perUser int
}

// batchSize is how many rows are read before their serials go into the
// uniqueness set together: inserting in a tight loop lets the processor
// overlap the cache misses of a large set, which a million-row file would
// otherwise pay one by one (measured: the set went from 30% of the time
// to a few percent).
const batchSize = 128

// consume runs every record of rd through the pipe, in order, a batch at a
// time. (Parsing in a second goroutine was tried: slower in wall time and
// twice the CPU on a shared 2-core machine.)
func (p *pipe) consume(rd seed.Reader, display string) error {
	raw, _ := rd.(interface{ Raw() string })
	wantRaw := raw != nil && p.rejectsW != nil
	// Readers that can reuse a token's memory get it back once checked
	// and written (csvfmt readers do).
	rc, _ := rd.(interface{ Recycle(*seed.Token) })
	// Readers that refuse every line that is not UTF-8 (csvfmt's) spare
	// the pipeline textRules.
	tc, _ := rd.(interface{ TextChecked() bool })
	p.textChecked = tc != nil && tc.TextChecked()
	batch := make([]record, 0, batchSize)
	flush := func() error {
		p.markDuplicates(batch)
		var err error
		for i := range batch {
			r := &batch[i]
			if err == nil {
				err = p.row(display, r)
			} else if r.t != nil {
				r.t.Wipe()
			}
			if r.t != nil && rc != nil {
				rc.Recycle(r.t)
			}
			*r = record{}
		}
		batch = batch[:0]
		if err == nil && p.o.Cancel != nil {
			select {
			case <-p.o.Cancel:
				err = fmt.Errorf("%s: %w after %d rows; nothing written", display, ErrCanceled, p.rep.Read)
			default:
			}
		}
		if p.o.OnProgress != nil && p.rep.Read >= p.nextProgress {
			p.o.OnProgress(p.rep.Read)
			p.nextProgress = p.rep.Read + ProgressEvery
		}
		return err
	}
	for {
		t, line, err := rd.Read()
		if err == io.EOF {
			return flush()
		}
		r := record{t: t, line: line}
		if err != nil {
			var ferr error
			if r.errs, ferr = flatten(err, nil); ferr != nil {
				if t != nil {
					t.Wipe()
				}
				if err := flush(); err != nil {
					return err
				}
				return p.refuse(display, ferr)
			}
		}
		if wantRaw {
			r.raw = raw.Raw()
		}
		batch = append(batch, r)
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// markDuplicates puts the serials (and Entra UPNs) of a batch into the
// uniqueness set, in order, and marks the rows seen before. Hashes are
// computed first, then inserted in a loop that does nothing else.
func (p *pipe) markDuplicates(batch []record) {
	limit := 0
	if p.im != nil {
		limit = p.im.MaxPerUser
	}
	hs := p.hashes[:0]
	for i := range batch {
		r := &batch[i]
		var h, hu uint64
		if r.t != nil {
			if p.to.TypeKey != nil {
				r.key = p.to.TypeKey(r.t)
			}
			if r.t.Serial != "" {
				h = p.seen.hash(r.key, r.t.Serial)
			}
			if limit > 0 && r.t.User != "" {
				hu = p.seen.hash("\x01upn", r.t.User)
			}
		}
		hs = append(hs, h, hu)
	}
	for i := range batch {
		r := &batch[i]
		loc := p.locs.at(r.line)
		var ok bool
		if h := hs[2*i]; h != 0 {
			r.dupAt, ok = p.seen.addHash(h, loc)
			r.dup = !ok
		}
		if h := hs[2*i+1]; h != 0 {
			if p.perUser == nil {
				p.perUser = map[uint64]uint8{}
			}
			if p.perUser[h] < 255 {
				p.perUser[h]++
			}
			r.perUser = int(p.perUser[h])
		}
	}
	p.hashes = hs
}

// estimateRows guesses how many lines a file holds from its size and the
// lines in its first bytes; 0 when it cannot tell. Capped, so that a
// strange head cannot reserve much memory.
func estimateRows(f *os.File, head []byte) int {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || len(head) == 0 {
		return 0
	}
	lines := bytes.Count(head, []byte{'\n'})
	if lines < 4 {
		return 0
	}
	n := int(st.Size() * int64(lines) / int64(len(head)))
	return min(n, 4<<20)
}

// refuse handles a fatal reader error (see IsFatal) on input display: a
// FieldError is reported like any problem, marked fatal, and the input is
// refused, which fails the conversion once every input has been checked
// (so that the others' problems are reported too). Any other error (a read
// error) ends the conversion at once.
func (p *pipe) refuse(display string, err error) error {
	var fes []*seed.FieldError
	walkFieldErrors(err, func(fe *seed.FieldError) { fes = append(fes, fe) })
	if len(fes) == 0 {
		return fmt.Errorf("%s: %w", display, err)
	}
	for _, fe := range fes[:len(fes)-1] {
		p.report(fe, true)
	}
	p.refuseFile(fes[len(fes)-1], display+" cannot be used (a problem with the whole file)")
	return nil
}

// refuseFile reports fe, a problem that makes a whole input unusable, and
// refuses the input: the conversion will fail, SkipInvalid or not. why
// says it in the conversion's error.
func (p *pipe) refuseFile(fe *seed.FieldError, why string) {
	p.report(fe, true)
	p.refused = append(p.refused, why)
}

// walkFieldErrors calls f on each FieldError in err and its wrapped errors,
// outermost first, without following a FieldError's own chain.
func walkFieldErrors(err error, f func(*seed.FieldError)) {
	switch e := err.(type) {
	case nil:
	case *seed.FieldError:
		f(e)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			walkFieldErrors(x, f)
		}
	case interface{ Unwrap() error }:
		walkFieldErrors(e.Unwrap(), f)
	}
}

// IsFatal reports whether err, returned by the seed.Reader of a Format,
// concerns the whole input rather than one record (see Format.Open): it,
// or an error it wraps, has a Fatal() bool method that returns true, or it
// is not made of *seed.FieldError (a read error). io.EOF is not an error.
func IsFatal(err error) bool {
	if err == nil || err == io.EOF {
		return false
	}
	_, ferr := flatten(err, nil)
	return ferr != nil
}

// fatalMark reports whether err says it is fatal (Fatal() bool).
func fatalMark(err error) bool {
	var f interface{ Fatal() bool }
	return errors.As(err, &f) && f.Fatal()
}

// flatten collects the FieldErrors of err; an error marked fatal, or any
// other error, is returned as fatal (see IsFatal).
func flatten(err error, into []*seed.FieldError) ([]*seed.FieldError, error) {
	if f, ok := err.(interface{ Fatal() bool }); ok && f.Fatal() {
		return into, err
	}
	switch e := err.(type) {
	case *seed.FieldError:
		return append(into, e), nil
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			var ferr error
			if into, ferr = flatten(x, into); ferr != nil {
				return into, ferr
			}
		}
		return into, nil
	}
	if fatalMark(err) {
		return into, err
	}
	var fe *seed.FieldError
	if errors.As(err, &fe) {
		return append(into, fe), nil
	}
	return into, err
}

// ErrUnknownFormat is wrapped by Detect's error when no format claims the
// input.
var ErrUnknownFormat = errors.New("cannot tell the input format")

// undetected is the problem of an input no format claims, and why it is
// refused: at its first non-blank line, which is what the formats look
// at; an empty input has no tokens.
func undetected(display string, head []byte) (*seed.FieldError, string) {
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	line := 1
	for len(h) > 0 {
		i := bytes.IndexByte(h, '\n')
		l := h
		if i >= 0 {
			l = h[:i]
		}
		if len(bytes.TrimSpace(l)) > 0 {
			return &seed.FieldError{File: display, Line: line, Field: "format",
				Msg: "not a seed file format tokenctl recognises (see tokenctl formats); if it is one, name it with --from"}, display + ": format not recognised"
		}
		if i < 0 {
			break
		}
		h, line = h[i+1:], line+1
	}
	return &seed.FieldError{File: display, Msg: "no tokens in the file: it is empty or blank"}, "no tokens in " + display
}

// Detect names the one format whose Sniff claims head. When none does,
// the error wraps ErrUnknownFormat; when several do, it names them.
func Detect(head []byte) (*Format, error) {
	var claims []*Format
	for _, f := range Formats() {
		if f.Sniff != nil && f.Open != nil && f.Sniff(head) {
			claims = append(claims, f)
		}
	}
	switch len(claims) {
	case 1:
		return claims[0], nil
	case 0:
		return nil, fmt.Errorf("%w: give --from (see tokenctl formats)", ErrUnknownFormat)
	}
	names := make([]string, len(claims))
	for i, f := range claims {
		names[i] = f.Name
	}
	sort.Strings(names)
	return nil, fmt.Errorf("the input could be %s: give --from", strings.Join(names, " or "))
}

func (p *pipe) problem(fe *seed.FieldError) { p.report(fe, false) }

// report counts and keeps a problem; fatal marks one that makes its whole
// input unusable.
func (p *pipe) report(fe *seed.FieldError, fatal bool) {
	if fe.Warning {
		p.rep.Warnings++
	} else {
		p.rep.Errors++
	}
	if len(p.rep.Problems) < MaxProblems {
		p.rep.Problems = append(p.rep.Problems, Problem{File: fe.File, Line: fe.Line, Field: fe.Field, Message: fe.Msg, Warning: fe.Warning, Fatal: fatal})
	} else {
		p.rep.ProblemsOmitted++
	}
	if p.o.OnProblem != nil {
		p.o.OnProblem(fe)
	}
}

// row checks one token (r.t nil when the line did not parse) and writes it.
func (p *pipe) row(file string, r *record) error {
	t, line, readErrs, raw, key := r.t, r.line, r.errs, r.raw, r.key
	if t != nil {
		defer t.Wipe()
	}
	if t == nil && len(readErrs) == 0 {
		return nil
	}
	bad := false
	for _, fe := range readErrs {
		if !fe.Warning {
			bad = true
		}
	}
	if t == nil && !bad {
		// A line the reader skipped with a warning (a stray header...).
		for _, fe := range readErrs {
			p.problem(fe)
		}
		return nil
	}
	p.rep.Read++
	var probs []*seed.FieldError
	if t != nil {
		if t.Manufacturer == "" {
			t.Manufacturer = p.o.Manufacturer
		}
		if t.Model == "" {
			t.Model = p.o.Model
		}
		probs = commonRules(t, bad && len(t.Secret) == 0)
		if !p.textChecked {
			probs = textRules(t, probs)
		}
		if p.to.Check != nil {
			probs = append(probs, p.to.Check(t)...)
		}
		if p.im != nil {
			probs = p.dropped(t, probs)
		}
		if p.to.TypeKey != nil && !p.o.Split {
			if p.firstType == "" {
				p.firstType, p.firstAt = key, fmt.Sprintf("%s:%d", file, line)
			} else if key != p.firstType {
				probs = append(probs, problem("token type", "%s, but %s is %s: %s imports one token type per file (use --split for one file per type)", key, p.firstAt, p.firstType, p.to.Name))
			}
		}
		if r.dup {
			among := ""
			if key != "" {
				among = " among the " + key + " tokens"
			}
			probs = append(probs, problem("serial", "duplicate %q%s (%s)", t.Serial, among, p.firstSeen(r.dupAt)))
		}
		if n, h := len(t.Secret), t.Hash; n >= MinSecretLen && t.Kind != seed.YubicoOTP && h >= 0 && int(h) < len(p.secretLen) {
			if p.secretLen[h] == 0 {
				p.secretLen[h], p.secretAt[h] = n, fmt.Sprintf("%s:%d", file, line)
			} else if n != p.secretLen[h] && !p.mixedLen {
				// Vendor files hold one secret size per hash; another is
				// often a truncated cell. Said once: mixed sizes happen.
				p.mixedLen = true
				probs = append(probs, warning("secret", "%d bytes, but %d bytes on %s: truncated? (said once)", n, p.secretLen[h], p.secretAt[h]))
			}
		}
		if im := p.im; im != nil && im.MaxPerUser > 0 && r.perUser > im.MaxPerUser {
			probs = append(probs, problem("upn", "%q has %d tokens in the input: %s allows at most %d per user (hardware tokens and authenticator apps together)", t.User, r.perUser, im.Server, im.MaxPerUser))
		}
	}
	for _, fe := range probs {
		fe.File, fe.Line = file, line
		if !fe.Warning {
			bad = true
		}
	}
	for _, fe := range readErrs {
		p.problem(fe)
	}
	for _, fe := range probs {
		p.problem(fe)
	}
	if bad {
		p.rep.Rejected++
		return p.reject(readErrs, probs, raw)
	}
	if t == nil {
		return nil // only warnings, and no token to write
	}
	if p.rep.Errors > 0 && !p.o.SkipInvalid {
		return nil // nothing will be written: only keep checking
	}
	w, err := p.writer(key)
	if err != nil {
		return err
	}
	if err := w.Write(t); err != nil {
		fe := &seed.FieldError{File: file, Line: line, Field: p.to.Name, Msg: err.Error()}
		p.problem(fe)
		p.rep.Rejected++
		return p.reject(nil, []*seed.FieldError{fe}, raw)
	}
	p.rep.Written++
	return nil
}

// dropped reports the settings of t that the target's file cannot carry
// and that its rules do not already refuse: a PSKC TimeDrift (refused
// where the server cannot resync drift, a warning elsewhere), a user
// (tokens are imported unassigned; said once).
func (p *pipe) dropped(t *seed.Token, probs []*seed.FieldError) []*seed.FieldError {
	im := p.im
	if len(t.Labels) == 0 && (p.userDropped || t.User == "") {
		return probs // the usual row: nothing to drop
	}
	if d := t.Label(pskc.LabelTimeDrift); d != "" && d != "0" && t.Kind == seed.TOTP && !im.Carry(targets.TimeDrift) {
		if im.DriftRefused {
			probs = append(probs, problem("time drift", "%s steps: %s has no drift setting and cannot resync a TOTP token, whose codes would be refused; re-read the token's clock first", d, im.Server))
		} else {
			probs = append(probs, warning("time drift", "%s steps: %s has no drift setting; the token is imported without it and the server must resync it at the first sign-in", d, im.Server))
		}
	}
	if !p.userDropped && t.User != "" && !im.Carry(targets.User) {
		p.userDropped = true
		probs = append(probs, warning("user", "%s files carry no user: the tokens are imported unassigned (said once)", p.to.Name))
	}
	return probs
}

// firstAt says where a duplicate was first seen.
func (p *pipe) firstSeen(loc uint32) string {
	if at := p.locs.name(loc); at != "" {
		return "first at " + at
	}
	return "already on an earlier line"
}

func (p *pipe) reject(a, b []*seed.FieldError, raw string) error {
	if p.rejectsW == nil {
		return nil
	}
	for _, l := range [][]*seed.FieldError{a, b} {
		for _, fe := range l {
			p.rejectsW.WriteString("# " + strings.ReplaceAll(fe.Error(), "\n", " ") + "\n")
		}
	}
	if raw != "" {
		p.rejectsW.WriteString(raw + "\n")
	}
	return nil
}

// writer returns the output for a token type key ("" unless splitting).
func (p *pipe) writer(key string) (seed.Writer, error) {
	if !p.o.Split {
		key = ""
	}
	if o, ok := p.outs[key]; ok {
		return o.w, nil
	}
	o := &output{}
	var dst io.Writer
	switch {
	case p.validate:
		dst = io.Discard
	case p.out == "":
		f, err := os.CreateTemp("", ".tokenctl-stdout-*")
		if err != nil {
			return nil, err
		}
		os.Remove(f.Name()) // unnamed from now on; gone when closed
		o.tmp, dst = f, f
	default:
		o.path = p.out
		if key != "" {
			ext := filepath.Ext(p.out)
			o.path = strings.TrimSuffix(p.out, ext) + "-" + key + ext
		}
		if err := noClobber(p.o, o.path); err != nil {
			return nil, err
		}
		pend, err := fsutil.CreatePending(o.path)
		if err != nil {
			return nil, err
		}
		o.pend, dst = pend, pend
	}
	w, err := p.to.Create(dst, p.o)
	if err != nil {
		if o.pend != nil {
			o.pend.Abort()
		}
		if o.tmp != nil {
			o.tmp.Close()
		}
		return nil, err
	}
	o.w = w
	p.outs[key] = o
	p.order = append(p.order, key)
	return w, nil
}

func (p *pipe) abort() {
	for _, o := range p.outs {
		if o.pend != nil {
			o.pend.Abort()
		}
		if o.tmp != nil {
			o.tmp.Close()
		}
	}
	p.outs = map[string]*output{}
	if p.rejects != nil {
		p.rejects.Abort()
		p.rejects = nil
	}
}

func (p *pipe) commit() error {
	for _, k := range p.order {
		if err := p.outs[k].w.Close(); err != nil {
			return err
		}
	}
	if p.rejects != nil {
		if err := p.rejectsW.Flush(); err != nil {
			return err
		}
	}
	// Every file, the rejects file included, goes in place or none does.
	var pends []*fsutil.Pending
	for _, k := range p.order {
		if o := p.outs[k]; o.pend != nil {
			pends = append(pends, o.pend)
		}
	}
	if p.rejects != nil {
		if p.rep.Rejected > 0 {
			pends = append(pends, p.rejects)
		} else {
			p.rejects.Abort()
			p.rejects = nil
		}
	}
	err := fsutil.CommitAll(pends)
	for _, k := range p.order {
		p.outs[k].pend = nil
	}
	if p.rejects != nil {
		p.rejects = nil
		if err == nil {
			p.rep.RejectsFile = pends[len(pends)-1].Path()
		}
	}
	if err != nil {
		return err
	}
	for _, k := range p.order {
		o := p.outs[k]
		switch {
		case o.path != "" && o.tmp == nil:
			p.rep.Outputs = append(p.rep.Outputs, o.path)
		case o.tmp != nil:
			if _, err := o.tmp.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if _, err := io.Copy(p.o.Stdout, o.tmp); err != nil {
				return fmt.Errorf("writing standard output: %w", err)
			}
			o.tmp.Close()
			o.tmp = nil
		}
	}
	return nil
}

// Package convert is the read → validate → write pipeline between seed-file
// formats, and the registry of those formats. Readers and writers live in
// their own packages (csvfmt for the CSV dialects, pskc for RFC 6030
// containers); this package names them, checks every token against the
// target's rules and writes nothing unless the whole input is valid.
//
// # Converting files
//
// Run(inputs, from, to, out, opts) reads the inputs in format from ("" to
// detect it), applies the rule set of target to to every row, and writes
// out only when every row is valid (Validate does the same and writes
// nothing). Every problem is reported as a *seed.FieldError
// "file:line: field: what is wrong", never quoting a secret. Conversion
// streams: it holds one batch of rows plus about 18 bytes per serial for
// the uniqueness check, a hash and where the serial was first seen, so
// that a duplicate names the file and line of the first (a million Entra
// rows convert to Duo in about 40 MB of RSS, see
// scripts/bench.d/10-convert.sh).
//
// # Writing tokens from other commands
//
// Commands that produce tokens (seed generate, token2 burn, yubikey
// personalization, ledger export) write them through the same rules:
//
//	rep, err := convert.WriteFile("duo.csv", "duo", tokens, &convert.Options{Split: true})
//	err := convert.AppendFile("duo.csv", "duo", tok, nil) // one token, e.g. after burning it
//	probs, err := convert.Check("entra", tok)             // rules only, before touching a device
//
// WriteFile validates all tokens and writes the file atomically (0600,
// temporary file and rename; "-" or "" is Options.Stdout); WriteStream
// does the same for a seed.Reader. AppendFile adds one token to a seed
// file, writing the header when the file is new, refusing a serial that is
// already there; errors about the data wrap ErrInvalid (exit code 1), and
// requests that cannot work are *UsageError (exit code 2). ReadAll reads a
// small seed file whole (to look a serial up).
package convert

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
)

// Options carries what a reader or writer may need besides the stream.
type Options struct {
	// SecretEncoding decodes secrets of formats that leave the encoding
	// open, and overrides the encoding of the CSV formats that declare one
	// (a vendor "Entra" file with hex secrets); see csvfmt.Options.
	SecretEncoding seed.Encoding

	// PSKC: a pre-shared key or a password, to decrypt (read) or encrypt
	// (write). Both nil means a plain container.
	PSKCKey      []byte
	PSKCPassword []byte

	// Kind, Digits and Period fill what an input format does not state
	// (Duo lines, generic hex lists, Token2's script output).
	Kind   seed.Kind
	Digits int
	Period int
	// Charset is how text inputs are decoded (default: UTF-16 with a BOM,
	// else UTF-8; a line that is neither is refused); see csvfmt.Charset.
	Charset csvfmt.Charset

	// Manufacturer and Model fill tokens that have none, for targets that
	// require them (Entra).
	Manufacturer string
	Model        string

	// Split writes one file per token type when the target takes one type
	// per file (Duo): OUT.csv becomes OUT-totp6.csv, OUT-hotp8.csv...
	Split bool
	// SkipInvalid writes the valid rows and puts the rejected ones in
	// Rejects (default OUT.rejects), instead of writing nothing.
	SkipInvalid bool
	Rejects     string

	// NoClobber refuses to replace existing output files (the output, the
	// split files, the rejects file): they may hold the only copy of
	// seeds. The error wraps ErrExists.
	NoClobber bool

	// Stdin and Stdout stand for "-" (default os.Stdin, os.Stdout).
	Stdin  io.Reader
	Stdout io.Writer
	// OnProblem, when set, sees every problem as it is found (the Report
	// keeps only the first MaxProblems).
	OnProblem func(*seed.FieldError)
	// OnProgress, when set, is called with the rows read so far every
	// ProgressEvery rows (for a progress line on a terminal).
	OnProgress func(rows int)
	// Cancel, when closed, stops the conversion at the next batch of rows:
	// its temporary files are removed, nothing is written, and the error
	// wraps ErrCanceled (for an interrupted command).
	Cancel <-chan struct{}
	// TuneMemory lets a conversion set the process's soft memory limit
	// (runtime/debug.SetMemoryLimit) to what streaming needs, so the
	// collector returns garbage early; for command-line use, where the
	// process is the conversion. The previous limit is restored after.
	TuneMemory bool

	lint      bool // reading for re-import in the same format
	appending bool // writing the continuation of an existing file
}

// String describes the options without the PSKC key and password (only
// their lengths), so that printing Options with %v never shows them.
func (o Options) String() string {
	return fmt.Sprintf("convert.Options{Kind:%s Digits:%d Period:%d SecretEncoding:%s Split:%t SkipInvalid:%t Rejects:%q NoClobber:%t PSKCKey:<%d bytes> PSKCPassword:<%d bytes>}",
		o.Kind, o.Digits, o.Period, o.SecretEncoding, o.Split, o.SkipInvalid, o.Rejects, o.NoClobber, len(o.PSKCKey), len(o.PSKCPassword))
}

// GoString keeps %#v from printing the PSKC key and password too.
func (o Options) GoString() string { return o.String() }

// Format is one seed-file format. Open or Create is nil when the format
// cannot be read or written.
type Format struct {
	Name    string
	Aliases []string
	Summary string
	// Open starts reading r; file names the input in errors.
	//
	// The reader's errors are of two kinds. A problem with one record is a
	// *seed.FieldError, or a list of them (an error whose Unwrap returns
	// []error, such as csvfmt.Problems), possibly with the record's token;
	// Read goes on with the next record after it. A problem with the whole
	// input (no header, a Duo file without a token type, a PSKC file that
	// is not XML or cannot be decrypted) is fatal: an error with a method
	// Fatal() bool that returns true (csvfmt.FileError), or any error not
	// made of FieldErrors (a read error). Nothing of such an input can be
	// trusted, so a conversion that meets one fails and writes nothing,
	// whatever Options.SkipInvalid says; see IsFatal.
	Open func(r io.Reader, file string, o *Options) (seed.Reader, error)
	// Create starts writing w.
	Create func(w io.Writer, o *Options) (seed.Writer, error)
	// Sniff reports whether the start of a file looks like this format;
	// used to detect --from when exactly one format claims the input.
	Sniff func(head []byte) bool

	// Encoding is how the format writes secrets (EncodingUnknown: open).
	Encoding seed.Encoding
	// Appendable: AppendFile can add a token to an existing file with a
	// plain append (no trailer to rewrite).
	Appendable bool
	// Log: a log of every programming (the Personalization Tool's), where
	// a serial may stand on several lines; appending does not read it.
	Log bool
	// TOTPSettings: the format records each TOTP token's hash and time
	// step (or takes SHA-1 only and has a step column), so that what is
	// read back is the file's, not a default (SHA-1, 30 s). Formats that
	// hold a serial and a seed only (hex, token2-ps) do not: a command that
	// must not guess those (token2 sync) asks for them instead.
	TOTPSettings bool
	// Check is the format's rule set as a target: what its server cannot
	// import (wrong kind, hash, step...). Problems carry Field and Msg;
	// the pipeline adds file and line. The rules every target shares
	// (serial, secret length, uniqueness) are applied besides.
	Check func(t *seed.Token) []*seed.FieldError
	// TypeKey, when set, names the token type of t for a target that
	// imports one type per file (Duo: hotp6, totp8...). Serials must be
	// unique per type, and mixed types need Options.Split.
	TypeKey func(t *seed.Token) string
}

var registry = map[string]*Format{}

// Register adds f under its name and aliases. It panics on a clash, which
// is a programming error.
func Register(f Format) {
	p := &f
	for _, n := range append([]string{f.Name}, f.Aliases...) {
		k := strings.ToLower(n)
		if _, dup := registry[k]; dup {
			panic("convert: format registered twice: " + n)
		}
		registry[k] = p
	}
}

// Lookup finds a format by name or alias, in any case.
func Lookup(name string) (*Format, bool) {
	f, ok := registry[strings.ToLower(strings.TrimSpace(name))]
	return f, ok
}

// Formats lists every registered format once, sorted by name.
func Formats() []*Format {
	seen := map[*Format]bool{}
	var out []*Format
	for _, f := range registry {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

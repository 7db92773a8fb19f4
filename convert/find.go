package convert

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tokenctl/tokenctl/seed"
)

// ErrNotFound is wrapped by FindSerial's error when no token of the file
// has the serial.
var ErrNotFound = errors.New("not found")

// InputFormat is the format from names, or else the only readable format
// whose Sniff claims the start of br (display names the input in errors).
// An unknown or unreadable format, or an input several formats fit, is a
// *UsageError (only the user can say which); an input no format claims is
// invalid data, wrapping ErrUnknownFormat.
func InputFormat(from string, br *bufio.Reader, display string) (*Format, error) {
	if from != "" {
		f, ok := Lookup(from)
		if !ok {
			return nil, usage("--from %q: unknown format (see 'tokenctl formats')", from)
		}
		if f.Open == nil {
			return nil, usage("--from %s: tokenctl can write this format but not read it", f.Name)
		}
		return f, nil
	}
	f, err := sniff(br)
	var re *readError
	switch {
	case errors.As(err, &re):
		return nil, fmt.Errorf("reading %s: %w", display, re.err)
	case errors.Is(err, ErrUnknownFormat):
		return nil, fmt.Errorf("%s: %w", display, err)
	case err != nil:
		return nil, usage("%s: %v", display, err)
	}
	return f, nil
}

// DetectHead is how much of an input detection looks at: the formats'
// Sniff functions read the first lines only.
const DetectHead = 8 << 10

// readError is an input that could not be read for detection.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// sniff is the only readable format whose Sniff claims the first
// DetectHead bytes of br (Detect), read without consuming them.
func sniff(br *bufio.Reader) (*Format, error) {
	head, err := br.Peek(DetectHead)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &readError{err}
	}
	return Detect(head)
}

// FindSerial reads the seed file path ("-": o.Stdin, else os.Stdin) in
// format ("" detects it, see InputFormat) and returns the one token whose
// serial is serial; the caller wipes it. This is the one rule for looking
// a token up by serial:
//
//   - problems on other rows do not matter (a vendor file with one bad row
//     still serves every other token); an input that cannot be read at all
//     fails;
//   - the token's own row must have no error (warnings pass);
//   - a serial found twice is refused, naming the file and both lines: no
//     one can tell which seed is in the token;
//   - a serial found nowhere wraps ErrNotFound, with the number of records
//     that could not be read and the first of their problems.
func FindSerial(path, format string, o *Options, serial string) (*seed.Token, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	r, name := opts.Stdin, "standard input"
	if r == nil {
		r = os.Stdin
	}
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	br := bufio.NewReaderSize(r, 64<<10)
	ff, err := InputFormat(format, br, name)
	if err != nil {
		return nil, err
	}
	rd, err := ff.Open(br, name, &opts)
	if err != nil {
		return nil, err
	}
	var (
		found           *seed.Token
		foundLine, read int
		bad             []error
	)
	fail := func(t *seed.Token, err error) (*seed.Token, error) {
		if t != nil {
			t.Wipe()
		}
		if found != nil {
			found.Wipe()
		}
		return nil, err
	}
	for {
		t, line, err := rd.Read()
		if err == io.EOF {
			break
		}
		probs, ferr := flatten(err, nil)
		if err != nil && t == nil {
			n := 0
			walkFieldErrors(err, func(*seed.FieldError) { n++ })
			if n == 0 {
				return fail(nil, fmt.Errorf("reading %s: %w", name, err))
			}
			bad = append(bad, err)
			continue
		}
		read++
		rowBad := err != nil && (ferr != nil || hasError(probs))
		switch {
		case t.Serial != serial:
			t.Wipe()
			if rowBad {
				bad = append(bad, err)
			}
		case rowBad:
			return fail(t, fmt.Errorf("serial %s cannot be used:\n%w", serial, err))
		case found != nil:
			return fail(t, fmt.Errorf("%s:%d: serial: %s appears again (first on line %d); which one is the token?", name, line, serial, foundLine))
		default:
			found, foundLine = t, line
		}
	}
	switch {
	case found != nil:
		return found, nil
	case read == 0 && len(bad) > 0:
		return nil, fmt.Errorf("no token could be read: %w", bad[0])
	case len(bad) > 0:
		return nil, fmt.Errorf("%s: serial %s %w (%d records could not be read, the first: %v)", name, serial, ErrNotFound, len(bad), bad[0])
	}
	return nil, fmt.Errorf("%s: serial %s %w", name, serial, ErrNotFound)
}

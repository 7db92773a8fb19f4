package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/seed"
)

// Check applies the rules of target format to one token and returns its
// problems (warnings included), named "field: what is wrong" without file
// or line. It does not check uniqueness, which needs the whole file.
func Check(format string, t *seed.Token) ([]*seed.FieldError, error) {
	f, ok := Lookup(format)
	if !ok {
		return nil, usage("unknown format %q (see tokenctl formats)", format)
	}
	out := textRules(t, commonRules(t, false))
	if f.Check != nil {
		out = append(out, f.Check(t)...)
	}
	return out, nil
}

// WriteFile validates tokens for format and writes them to path ("" or
// "-": o.Stdout) through a 0600 temporary file renamed into place, exactly
// as Run does for a converted file: nothing is written when any token
// breaks a rule (the error wraps ErrInvalid; the Report lists the
// problems, located as "name:N" for the N-th token). With o.Split, Duo
// outputs are split per token type. The tokens are not modified, except
// that empty manufacturer and model take o's defaults.
func WriteFile(path, format string, tokens []*seed.Token, o *Options) (*Report, error) {
	return WriteStream(path, format, &sliceReader{tokens: tokens}, "token", o)
}

// WriteStream is WriteFile for tokens that come from a seed.Reader (a
// generator...), in flat memory; name labels them in problems.
func WriteStream(path, format string, r seed.Reader, name string, o *Options) (*Report, error) {
	return run([]source{{name: name, rd: r}}, "", format, path, false, o)
}

// AppendFile adds one token to the seed file path in format, creating it
// (0600, with the format's header) when it does not exist. The token is
// checked against the format's rules first, and against the file: a
// serial already there (of the same type, for Duo) is refused, and so is a
// token whose Duo type differs from the file's. Formats with a header and
// no trailer (entra, privacyidea, every line format) are extended with one
// single appending write; formats that have a trailer are rewritten
// atomically when they can be read (pskc), and refused otherwise
// (entra-graph). A problem with the token returns an error wrapping
// ErrInvalid and leaves the file as it was.
//
// AppendFile reads the existing file to look for the serial, so each call
// costs a pass over the file: for thousands of tokens at once use
// WriteFile or WriteStream. Two processes appending to the same file at
// the same moment are not serialized against each other.
//
// A Duo file does not record its token type: append to duo-totp or
// duo-hotp (not duo) to have the kind enforced, and keep one file per
// digits count yourself (e.g. duo-totp6.csv).
func AppendFile(path, format string, t *seed.Token, o *Options) error {
	f, ok := Lookup(format)
	if !ok {
		return usage("unknown format %q (see tokenctl formats)", format)
	}
	if f.Create == nil {
		return usage("format %s cannot be written", f.Name)
	}
	var opts Options
	if o != nil {
		opts = *o
	}
	if t.Manufacturer == "" {
		t.Manufacturer = opts.Manufacturer
	}
	if t.Model == "" {
		t.Model = opts.Model
	}
	if probs, _ := Check(f.Name, t); hasError(probs) {
		return invalidToken(path, probs)
	}
	st, err := os.Stat(path)
	exists := err == nil && st.Size() > 0
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var existing []*seed.Token
	if exists && f.Open != nil {
		// Formats that do not record kind or digits (Duo) are read as
		// holding tokens like t.
		ro := opts
		ro.Kind, ro.Digits = t.Kind, t.EffectiveDigits()
		if existing, err = readAll(path, f, &ro); err != nil {
			return err
		}
		defer func() {
			for _, e := range existing {
				e.Wipe()
			}
		}()
		for _, e := range existing {
			if e.Serial == t.Serial {
				return invalidToken(path, []*seed.FieldError{problem("serial", "%q is already in %s", t.Serial, path)})
			}
		}
	}
	if !exists || f.Appendable {
		opts.appending = exists
		var buf bytes.Buffer
		w, err := f.Create(&buf, &opts)
		if err != nil {
			return err
		}
		if err := w.Write(t); err != nil {
			return invalidToken(path, []*seed.FieldError{problem(f.Name, "%v", err)})
		}
		if err := w.Close(); err != nil {
			return err
		}
		defer seed.Zero(buf.Bytes())
		return fsutil.Append(path, buf.Bytes())
	}
	if f.Open == nil {
		return usage("cannot append to a %s file (it is written whole): write it with WriteFile", f.Name)
	}
	all := append(existing[:len(existing):len(existing)], t)
	_, err = WriteFile(path, f.Name, all, &opts)
	return err
}

func hasError(l []*seed.FieldError) bool {
	for _, fe := range l {
		if !fe.Warning {
			return true
		}
	}
	return false
}

// invalidToken reports problems of a token for path.
func invalidToken(path string, probs []*seed.FieldError) error {
	var b bytes.Buffer
	for _, fe := range probs {
		if fe.Warning {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fe.File = path
		b.WriteString(fe.Error())
	}
	return fmt.Errorf("%w: %s; nothing written", ErrInvalid, b.String())
}

// ReadAll reads every token of a seed file (path "-" is standard input),
// failing on the first problem. For small files: lookups by serial in
// burn/sync commands, appends. Callers should Wipe the tokens when done.
func ReadAll(path, format string, o *Options) ([]*seed.Token, error) {
	f, ok := Lookup(format)
	if !ok {
		return nil, usage("unknown format %q (see tokenctl formats)", format)
	}
	if f.Open == nil {
		return nil, usage("format %s cannot be read", f.Name)
	}
	return readAll(path, f, o)
}

func readAll(path string, f *Format, o *Options) ([]*seed.Token, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
		if o != nil && o.Stdin != nil {
			r = o.Stdin
		}
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	rd, err := f.Open(r, path, o)
	if err != nil {
		return nil, err
	}
	var out []*seed.Token
	for {
		t, _, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			probs, ferr := flatten(err, nil)
			if ferr != nil || hasError(probs) || t == nil {
				for _, e := range out {
					e.Wipe()
				}
				return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
			}
		}
		out = append(out, t)
	}
}

// sliceReader yields tokens from a slice, numbered from 1. It copies each
// token, so the pipeline's wiping leaves the caller's tokens intact.
type sliceReader struct {
	tokens []*seed.Token
	i      int
}

func (s *sliceReader) Read() (*seed.Token, int, error) {
	if s.i >= len(s.tokens) {
		return nil, 0, io.EOF
	}
	t := *s.tokens[s.i]
	t.Secret = append([]byte(nil), t.Secret...)
	t.PrivateID = append([]byte(nil), t.PrivateID...)
	s.i++
	return &t, s.i, nil
}

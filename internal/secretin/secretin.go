// Package secretin reads secrets from where the CLI allows them to come
// from: a file, standard input ("-") or an environment variable. Never from
// argv.
package secretin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecretFile bounds what is read as a single secret.
const maxSecretFile = 64 << 10

// Source says where one secret comes from. At most one field is set.
type Source struct {
	File string // path, or "-" for standard input
	Env  string // name of an environment variable
	// Flag is the stem of the flags that set the source ("secret" for
	// --secret-file and --secret-env), for messages.
	Flag string
	// In is read for "-" (nil: the process's standard input).
	In io.Reader
}

// IsSet reports whether a source was given.
func (s Source) IsSet() bool { return s.File != "" || s.Env != "" }

// Read returns the secret text, trimmed of surrounding white space. The
// error names the source, never the content.
func (s Source) Read() (string, error) {
	switch {
	case s.File != "" && s.Env != "":
		return "", errors.New("give the secret as a file or an environment variable, not both")
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", s.Env)
		}
		return v, nil
	case s.File != "":
		var r io.Reader
		name := s.File
		if s.File == "-" {
			r, name = os.Stdin, "standard input"
			if s.In != nil {
				r = s.In
			}
		} else {
			f, err := os.Open(s.File)
			if err != nil {
				return "", err
			}
			defer f.Close()
			r = f
		}
		buf, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
		// The read buffer is wiped; the string returned is the one copy.
		defer clear(buf)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", name, err)
		}
		if len(buf) > maxSecretFile {
			return "", fmt.Errorf("%s: more than %d bytes, not a secret", name, maxSecretFile)
		}
		b := bytes.TrimSpace(buf)
		if len(b) == 0 {
			return "", fmt.Errorf("%s is empty", name)
		}
		return string(b), nil
	}
	return "", errors.New("no secret source given")
}

// Name says where the secret comes from, for messages (never the secret).
func (s Source) Name() string {
	switch {
	case s.File == "-":
		return "standard input"
	case s.File != "" && s.Flag != "":
		return "--" + s.Flag + "-file " + s.File
	case s.File != "":
		return "file " + s.File
	case s.Flag != "":
		return "--" + s.Flag + "-env " + s.Env
	}
	return "environment variable " + s.Env
}

// Bytes reads the secret and decodes it with the first of decode that
// accepts it (hex, base32... given by the caller). A source that cannot
// be read is a *ReadError; text no decoder takes, an error naming what
// and the encodings tried.
func (s Source) Bytes(what string, decode ...Decoder) ([]byte, error) {
	text, err := s.Read()
	if err != nil {
		return nil, &ReadError{What: what, Err: err}
	}
	var names []string
	for _, d := range decode {
		if b, err := d.Decode(text); err == nil {
			return b, nil
		}
		names = append(names, d.String())
	}
	if len(names) == 1 {
		return nil, fmt.Errorf("%s (%s): not %s", what, s.Name(), names[0])
	}
	return nil, fmt.Errorf("%s (%s): neither %s", what, s.Name(), strings.Join(names, " nor "))
}

// Decoder turns secret text into bytes (seed.Hex, seed.Base32...).
type Decoder interface {
	Decode(string) ([]byte, error)
	String() string
}

// ReadError is a secret source that could not be read (a missing file or
// variable): the request, not the data, is at fault (tokenctl exits 2).
type ReadError struct {
	What string
	Err  error
}

func (e *ReadError) Error() string    { return e.What + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error    { return e.Err }
func (e *ReadError) UsageError() bool { return true }

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

// Stdin is read when the file name is "-". Tests may replace it.
var Stdin io.Reader = os.Stdin

// maxSecretFile bounds what is read as a single secret.
const maxSecretFile = 64 << 10

// Source says where one secret comes from. At most one field is set.
type Source struct {
	File string // path, or "-" for standard input
	Env  string // name of an environment variable
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
			r, name = Stdin, "standard input"
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

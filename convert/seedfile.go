package convert

import (
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// SeedFile is a seed file a device command takes its tokens from (the
// --seeds FILE of tokenctl's token2 sync, molto2 burn and batch molto2):
// its format, given or detected, and the options to read it with. Its
// errors name the file as the option that gave it: "--seeds FILE: ...".
type SeedFile struct {
	Path    string
	Format  *Format
	Options Options
}

// OpenSeedFile is the seed file at path in format, or in the format its
// first lines show when format is "" (DetectFile); formatFlag names the
// option that gives the format, for a detection that fails. A format
// that does not exist, or a head two formats claim, is a *UsageError; a
// head no format claims wraps ErrUnknownFormat; a file that cannot be
// opened is the *os.PathError. Nothing is read beyond the head.
func OpenSeedFile(path, format, formatFlag string, o *Options) (*SeedFile, error) {
	s := &SeedFile{Path: path}
	if o != nil {
		s.Options = *o
	}
	if format != "" {
		ff, ok := Lookup(format)
		if !ok {
			return nil, usage("--seeds %s: unknown format %q (see tokenctl formats)", path, format)
		}
		s.Format = ff
		return s, nil
	}
	ff, err := DetectFile(path)
	var ue *UsageError
	switch {
	case errors.Is(err, ErrUnknownFormat):
		return nil, &unrecognised{fmt.Sprintf("--seeds %s: not a seed file format tokenctl recognises (if it is one, give %s)", path, formatFlag)}
	case errors.As(err, &ue):
		return nil, usage("--seeds %s: %v: give %s (duo-totp, entra, pskc...)", path, err, formatFlag)
	case err != nil:
		return nil, err
	}
	s.Format = ff
	return s, nil
}

// ReadAll reads every token of the file (ReadAll), failing on the first
// problem, and refuses a file that holds none (ErrNoTokens: a caller
// told to fill a device from it must not fall back to anything else);
// the caller wipes them.
func (s *SeedFile) ReadAll() ([]*seed.Token, error) {
	opts := s.Options
	all, err := ReadAll(s.Path, s.Format.Name, &opts)
	if err == nil && len(all) == 0 {
		err = ErrNoTokens
	}
	if err != nil {
		return nil, fmt.Errorf("--seeds %s: %w", s.Path, err)
	}
	return all, nil
}

// ErrNoTokens is a seed file that holds no token.
var ErrNoTokens = errors.New("the file holds no token")

// Check reads the whole file and wipes what it read: a bad file stops a
// command before it touches a device.
func (s *SeedFile) Check() error {
	all, err := s.ReadAll()
	for _, t := range all {
		t.Wipe()
	}
	return err
}

// Find is the token of the file with serial, under FindSerial's rules. A
// serial the file does not list is a *NotListedError (it wraps
// ErrNotFound).
func (s *SeedFile) Find(serial string) (*seed.Token, error) {
	opts := s.Options
	t, err := FindSerial(s.Path, s.Format.Name, &opts, serial)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, &NotListedError{Path: s.Path, Serial: serial, Err: err}
	case err != nil:
		return nil, fmt.Errorf("--seeds: %w", err)
	}
	return t, nil
}

// NotListedError is a serial a seed file does not list.
type NotListedError struct {
	Path, Serial string
	Err          error // FindSerial's, with what could not be read
}

func (e *NotListedError) Error() string {
	return fmt.Sprintf("--seeds %s does not list serial %s", e.Path, e.Serial)
}

func (e *NotListedError) Unwrap() error { return e.Err }

// unrecognised is a seed file no format claims; it wraps ErrUnknownFormat.
type unrecognised struct{ msg string }

func (e *unrecognised) Error() string { return e.msg }
func (e *unrecognised) Unwrap() error { return ErrUnknownFormat }

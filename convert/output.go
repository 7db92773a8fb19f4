package convert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/seed"
)

// Output is the seed file that credentials are appended to as they are
// programmed (token2 burn -o, yubikey --log): the one way credentials are
// written out after a device write. Everything that could make the append
// fail is found before the device is touched:
//
//	out, err := convert.OpenOutput("duo.csv", "duo", opts)
//	defer out.Close()
//	err = out.Preflight(tok)  // rules, a private appendable file, its contents read once
//	... read the device's serial into tok ...
//	err = out.Prepare(tok)    // serial not in the file; the bytes to append, encoded now
//	... write the device ...
//	err = out.Commit()        // one appending write (fsutil: no symlink, owner only, locked)
//
// The existing file is read once, by Preflight. Commit appends what
// Prepare encoded; if the file changed in between (another station
// appended), it is read again and the serial checked again. A file that
// Preflight created and nothing was committed to is removed by Close.
type Output struct {
	Path   string
	Format *Format
	opts   Options

	serials  map[string]bool // in the file, for formats that are not logs
	existing []*seed.Token   // the file's tokens, for formats written whole
	stat     os.FileInfo     // the file as Preflight read it
	created  bool
	written  bool
	pending  []byte      // Prepare's encoding of the token
	token    *seed.Token // a copy of Prepare's token
	whole    bool        // Commit rewrites the file whole (PSKC)
}

// OpenOutput names the output; nothing is read or created yet. An unknown
// format, or one that cannot be written, is a *UsageError.
func OpenOutput(path, format string, o *Options) (*Output, error) {
	f, ok := Lookup(format)
	if !ok {
		return nil, usage("unknown format %q (see tokenctl formats)", format)
	}
	if f.Create == nil {
		return nil, usage("format %s cannot be written", f.Name)
	}
	out := &Output{Path: path, Format: f}
	if o != nil {
		out.opts = *o
	}
	return out, nil
}

// Preflight checks, before the device is touched, that the output can
// take a token like t: the format's rules, a file we can append to and
// keep private (an existing one 0600, a new one created empty and 0600
// now) that reads back in its format.
func (o *Output) Preflight(t *seed.Token) error {
	o.fill(t)
	if probs, err := Check(o.Format.Name, t); err != nil {
		return err
	} else if hasError(probs) {
		return invalidToken(o.Path, probs)
	}
	_, err := os.Stat(o.Path)
	missing := errors.Is(err, os.ErrNotExist)
	if err := fsutil.CheckAppendable(o.Path); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	o.created = missing
	return o.read(t)
}

// read reads the existing file once: its serials (and, for formats written
// whole, its tokens).
func (o *Output) read(t *seed.Token) error {
	o.wipe()
	o.serials = map[string]bool{}
	st, err := os.Stat(o.Path)
	if err != nil {
		return err
	}
	o.stat = st
	if st.Size() == 0 || o.Format.Log || o.Format.Open == nil {
		return nil
	}
	ro := o.opts
	ro.Kind, ro.Digits = t.Kind, t.EffectiveDigits()
	all, err := readAll(o.Path, o.Format, &ro)
	if err != nil {
		return fmt.Errorf("%s does not read back as %s: %w", o.Path, o.Format.Name, err)
	}
	for _, e := range all {
		o.serials[e.Serial] = true
	}
	if o.Format.Appendable {
		for _, e := range all {
			e.Wipe()
		}
	} else {
		o.existing = all
	}
	return nil
}

// Prepare checks that the file does not hold t's serial yet (logs aside)
// and encodes t for Commit, so that whatever the format refuses is
// refused before the device is written to.
func (o *Output) Prepare(t *seed.Token) error {
	o.fill(t)
	if o.written && o.stat == nil {
		if err := o.read(t); err != nil {
			return err
		}
	}
	if o.serials[t.Serial] {
		return fmt.Errorf("%w: %s already holds serial %s", ErrInvalid, o.Path, t.Serial)
	}
	if probs, _ := Check(o.Format.Name, t); hasError(probs) {
		return invalidToken(o.Path, probs)
	}
	// The encoding works on a copy: whatever a writer does to the token
	// (fills in defaults, wipes it) must not reach the one programmed.
	c := *t
	c.Secret = append([]byte(nil), t.Secret...)
	c.PrivateID = append([]byte(nil), t.PrivateID...)
	c.Labels = maps.Clone(t.Labels)
	seed.Zero(o.pending)
	o.pending = nil
	if o.token != nil && o.token != t {
		o.token.Wipe()
	}
	o.token, o.whole = &c, false
	if !o.Format.Appendable && o.stat != nil && o.stat.Size() > 0 {
		if o.Format.Open == nil {
			return usage("cannot append to a %s file (it is written whole)", o.Format.Name)
		}
		o.whole = true // written with the existing tokens by Commit
		// It is rewritten through a temporary file beside it: try that now.
		tmp, err := os.CreateTemp(filepath.Dir(o.Path), "."+filepath.Base(o.Path)+".check-*")
		if err != nil {
			return fmt.Errorf("%w: %s is rewritten whole to add a token, and no file can be made beside it: %w", ErrInvalid, o.Path, err)
		}
		tmp.Close()
		os.Remove(tmp.Name())
		return nil
	}
	opts := o.opts
	opts.appending = o.stat != nil && o.stat.Size() > 0
	w2 := *t
	w2.Secret = append([]byte(nil), t.Secret...)
	w2.PrivateID = append([]byte(nil), t.PrivateID...)
	w2.Labels = maps.Clone(t.Labels)
	defer w2.Wipe()
	var buf bytes.Buffer
	w, err := o.Format.Create(&buf, &opts)
	if err == nil {
		if err = w.Write(&w2); err != nil {
			err = invalidToken(o.Path, []*seed.FieldError{problem(o.Format.Name, "%v", err)})
		} else {
			err = w.Close()
		}
	}
	if err != nil {
		seed.Zero(buf.Bytes())
		return err
	}
	o.pending = buf.Bytes()
	return nil
}

// Commit appends the token Prepare encoded, in one write. If the file
// changed since Preflight read it (another station appended), it is read
// again and the token checked and encoded again first.
func (o *Output) Commit() error {
	if o.token == nil {
		return errors.New("nothing prepared")
	}
	if st, err := os.Stat(o.Path); err != nil || o.stat == nil || st.Size() != o.stat.Size() || !st.ModTime().Equal(o.stat.ModTime()) {
		// o.token stays set until Prepare replaces it: a failure here
		// leaves it for NotRecorded to rescue.
		t := o.token
		if err := o.read(t); err != nil {
			return err
		}
		err := o.Prepare(t)
		if o.token != t {
			t.Wipe()
		}
		if err != nil {
			return err
		}
	}
	var err error
	if o.whole {
		all := append(o.existing[:len(o.existing):len(o.existing)], o.token)
		_, err = WriteFile(o.Path, o.Format.Name, all, &o.opts)
	} else {
		err = fsutil.Append(o.Path, o.pending)
	}
	if err == nil {
		o.written = true
		// What the file holds now, for the next token (several burned
		// into one output: its serial refused twice, a file written whole
		// keeping the ones before it). If it cannot be read now, the next
		// Prepare reads it (and says so, before that device is written).
		if o.read(o.token) != nil {
			o.stat = nil
		}
	}
	return err
}

// Written reports whether a token went into the file.
func (o *Output) Written() bool { return o.written }

// Close wipes what the output holds, and removes a file Preflight created
// that nothing was committed to (and is still empty).
func (o *Output) Close() {
	o.wipe()
	seed.Zero(o.pending)
	o.pending = nil
	if o.token != nil {
		o.token.Wipe()
		o.token = nil
	}
	if o.created && !o.written {
		if st, err := os.Stat(o.Path); err == nil && st.Size() == 0 {
			os.Remove(o.Path)
		}
	}
}

func (o *Output) wipe() {
	for _, e := range o.existing {
		e.Wipe()
	}
	o.existing = nil
}

func (o *Output) fill(t *seed.Token) {
	if t.Manufacturer == "" {
		t.Manufacturer = o.opts.Manufacturer
	}
	if t.Model == "" {
		t.Model = o.opts.Model
	}
}

// Rescue saves a token that was programmed but could not be appended, so
// its secret is not lost: a 0600 file beside the output, or in the
// temporary directory. It returns the file's name.
func (o *Output) Rescue(t *seed.Token) (string, error) {
	name := fmt.Sprintf("tokenctl-rescue-%s-%d.csv", t.Serial, time.Now().Unix())
	body := fmt.Sprintf("# token programmed by tokenctl but not recorded in %s\nserial,secret_base32,hash,period,digits,model,kind,counter,public_id_hex,private_id_hex\n%s,%s,%s,%d,%d,%s,%s,%d,%x,%x\n",
		o.Path, t.Serial, seed.EncodeBase32(t.Secret), t.Hash, t.EffectivePeriod(), t.EffectiveDigits(), t.Model, t.Kind, t.Counter, t.PublicID, t.PrivateID)
	var lastErr error
	for _, dir := range []string{filepath.Dir(o.Path), os.TempDir()} {
		p := filepath.Join(dir, name)
		lastErr = fsutil.WriteAtomic(p, func(w io.Writer) error {
			_, err := io.WriteString(w, body)
			return err
		})
		if lastErr == nil {
			return p, nil
		}
	}
	return "", lastErr
}

// NotRecordedError is a device that was written but whose credential
// could not be appended to the output: the device holds a secret the file
// does not. It is a device-state error (exit 3, not 1: 1 promises that
// nothing was written).
type NotRecordedError struct{ Err error }

func (e *NotRecordedError) Error() string { return e.Err.Error() }
func (e *NotRecordedError) Unwrap() error { return e.Err }

// DeviceError says that a device is not in the state that was asked for.
func (e *NotRecordedError) DeviceError() bool { return true }

// NotRecorded turns the error of the Commit that followed a device write
// into what the operator must be told: what was written (what: "token
// 86596120001", "YubiKey 123 slot 1"), that the file does not hold it, and
// where the secret is. A secret that was given (given names where from,
// e.g. "--secret-file seed.b32") is the operator's to add; a generated one
// (given == "") is saved first with Rescue. A nil err is nil.
func (o *Output) NotRecorded(err error, what, given string) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("%s WAS WRITTEN and now holds its new secret, but %s could not be written: %v", what, o.Path, err)
	switch {
	case given != "":
		msg += fmt.Sprintf("; the secret is the one you gave (%s): add it to your file yourself", given)
	case o.token == nil:
		msg += "; the secret is lost: write the device again"
	default:
		if p, rerr := o.Rescue(o.token); rerr == nil {
			msg += fmt.Sprintf("; the secret was saved to %s (0600): add it to your file, then delete that file", p)
		} else {
			msg += fmt.Sprintf("; saving it elsewhere failed too (%v): the generated secret is lost, write the device again", rerr)
		}
	}
	return &NotRecordedError{errors.New(msg)}
}

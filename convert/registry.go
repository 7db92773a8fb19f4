// Package convert is the read → validate → write pipeline between seed-file
// formats, and the registry of those formats. Readers and writers live in
// their own packages (csvfmt for the CSV dialects, pskc for RFC 6030
// containers); this package names them, checks every token against the
// target's rules and writes nothing unless the whole input is valid.
package convert

import (
	"io"
	"sort"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Options carries what a reader or writer may need besides the stream.
type Options struct {
	// SecretEncoding overrides the encoding a format leaves open.
	SecretEncoding seed.Encoding

	// PSKC: a pre-shared key or a password, to decrypt (read) or encrypt
	// (write). Both nil means a plain container.
	PSKCKey      []byte
	PSKCPassword []byte
}

// Format is one seed-file format. Open or Create is nil when the format
// cannot be read or written.
type Format struct {
	Name    string
	Aliases []string
	Summary string
	// Open starts reading r; file names the input in errors.
	Open func(r io.Reader, file string, o *Options) (seed.Reader, error)
	// Create starts writing w.
	Create func(w io.Writer, o *Options) (seed.Writer, error)
	// Sniff reports whether the start of a file looks like this format;
	// used to detect --from when exactly one format claims the input.
	Sniff func(head []byte) bool
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

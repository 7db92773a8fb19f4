package convert

import (
	"fmt"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Generate writes the fresh tokens of g to path ("" or "-": o.Stdout) in
// format, as WriteStream does (0600, through a temporary file, nothing
// written on any problem). The target's rules are applied first to a
// sample token: one the target cannot take (Duo: SHA-1 only; Entra: TOTP
// only...) is a *UsageError naming each broken rule, said once before any
// seed is made rather than once per row.
func Generate(path, format string, g *seed.Generator, o *Options) (*Report, error) {
	sample := g.Proto
	sample.Serial, sample.Secret = g.Serial(0), make([]byte, g.Bytes)
	probs, err := Check(format, &sample)
	if err != nil {
		return nil, err
	}
	f, _ := Lookup(format)
	var msgs []string
	for _, p := range probs {
		if !p.Warning {
			msgs = append(msgs, fmt.Sprintf("--to %s: %s: %s", f.Name, p.Field, p.Msg))
		}
	}
	if len(msgs) > 0 {
		return nil, usage("%s", strings.Join(msgs, "\n"))
	}
	rep, err := WriteStream(path, f.Name, g, "generated", o)
	if err == nil {
		err = g.Err()
	}
	return rep, err
}

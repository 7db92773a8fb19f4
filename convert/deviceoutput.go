package convert

import (
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// DeviceOutput is the seed file a device command records what it wrote
// in (the -o FILE --to FORMAT of tokenctl's token2 burn, token2 fido hotp
// and token2 molto2 burn): an Output checked before the device is
// written (OpenDeviceOutput, Take) and committed after. Its errors name
// the options, and say that nothing was written to the token. The
// methods of a nil *DeviceOutput (no -o) do nothing.
type DeviceOutput struct{ *Output }

// OpenDeviceOutput opens path in format for tokens like t (OpenOutput,
// Preflight): its options are t's manufacturer, model, kind, digits and
// period, then apply's (the PSKC credentials). It is nil when neither
// path nor format is given. One without the other, or a format that
// cannot be written, is a *UsageError; a file that cannot take t, an
// error saying that nothing was written to the token.
func OpenDeviceOutput(path, format string, t *seed.Token, apply func(*Options) error) (*DeviceOutput, error) {
	switch {
	case path == "" && format == "":
		return nil, nil
	case path == "":
		return nil, usage("--to %s without -o FILE", format)
	case format == "":
		return nil, usage("-o %s: give its format with --to (duo, entra, ...)", path)
	}
	opts := &Options{Manufacturer: t.Manufacturer, Model: t.Model, Kind: t.Kind, Digits: t.EffectiveDigits(), Period: t.Period}
	if err := apply(opts); err != nil {
		return nil, err
	}
	out, err := OpenOutput(path, format, opts)
	if err != nil {
		return nil, usage("--to %q: %v", format, err)
	}
	if err := out.Preflight(t); err != nil {
		out.Close()
		return nil, fmt.Errorf("-o %s --to %s: %w; nothing was written to the token", path, format, err)
	}
	return &DeviceOutput{out}, nil
}

// Take checks that the file can take t (its serial not there yet) and
// encodes it for Commit (Prepare).
func (d *DeviceOutput) Take(t *seed.Token) error {
	if d == nil {
		return nil
	}
	if err := d.Prepare(t); err != nil {
		return fmt.Errorf("-o %s cannot take token %s: %w; nothing was written to the token", d.Path, t.Serial, err)
	}
	return nil
}

// Close closes the output (Output.Close).
func (d *DeviceOutput) Close() {
	if d != nil {
		d.Output.Close()
	}
}

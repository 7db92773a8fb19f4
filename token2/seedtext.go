package token2

import (
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// DecodeSeed decodes a seed given as text, base32 or hex: encoding names
// it ("base32", "hex"), or is "" to take the one the text is valid in
// (text valid in both is refused: no one can tell which seed is meant).
// The seed must fit a Token2 token (CheckSeed). Errors never hold the
// text; another encoding is a *SettingsError.
func DecodeSeed(text, encoding string) ([]byte, error) {
	enc := seed.EncodingUnknown
	if encoding != "" {
		var err error
		if enc, err = seed.ParseEncoding(encoding); err != nil || (enc != seed.Base32 && enc != seed.Hex) {
			return nil, &SettingsError{"encoding", encoding, "want base32 or hex"}
		}
	} else {
		switch v := seed.ValidIn(text); len(v) {
		case 0:
			return nil, errors.New("seed: neither valid base32 nor valid hex")
		case 1:
			enc = v[0]
		default:
			return nil, errors.New("seed: the text reads as both hex and base32: give --encoding hex or --encoding base32")
		}
	}
	b, err := enc.Decode(text)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if err := CheckSeed(b); err != nil {
		seed.Zero(b)
		return nil, err
	}
	return b, nil
}

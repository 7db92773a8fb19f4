package token2

import (
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// Credential is what a token holds once burned with secret and p: TOTP,
// 6 digits (fixed on these tokens), p's hash and step, recorded under the
// token's serial and model. It shares secret.
func Credential(serial, model string, p Params, secret []byte) *seed.Token {
	return &seed.Token{Serial: serial, Kind: seed.TOTP, Hash: p.Hash, Digits: 6, Period: p.Period,
		Manufacturer: "Token2", Model: model, Secret: secret}
}

// CheckCredential refuses a credential a token cannot hold: not TOTP, or
// a seed of the wrong length (hash and step are checked with the burn's
// Params).
func CheckCredential(tok *seed.Token) error {
	if tok.Kind != seed.TOTP {
		return fmt.Errorf("a Token2 token holds TOTP, not %s", tok.Kind)
	}
	return CheckSeed(tok.Secret)
}

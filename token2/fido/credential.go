package fido

import (
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// Credential is what a key's button HOTP holds once programmed with
// secret: HOTP-SHA1 from counter 0, digits long, recorded under serial
// (the one printed on the key: the applet has none to read). It shares
// secret.
func Credential(serial string, digits int, secret []byte) *seed.Token {
	return &seed.Token{Serial: serial, Kind: seed.HOTP, Hash: seed.SHA1, Digits: digits, Manufacturer: "Token2", Model: "FIDO2", Secret: secret}
}

// CheckCredential refuses a credential the button cannot hold.
func CheckCredential(tok *seed.Token) error {
	switch {
	case tok.Kind != seed.HOTP || tok.Hash != seed.SHA1:
		return fmt.Errorf("a FIDO2 key's button holds HOTP-SHA1, not %s-%s", tok.Kind, tok.Hash)
	case tok.EffectiveDigits() != 6 && tok.EffectiveDigits() != 8:
		return fmt.Errorf("a FIDO2 key's button types 6 or 8 digits, not %d", tok.EffectiveDigits())
	case tok.Counter != 0:
		return errors.New("a FIDO2 key's button HOTP starts at counter 0")
	case len(tok.Secret) == 0 || len(tok.Secret) > MaxSeed:
		return fmt.Errorf("a FIDO2 key's button takes a seed of 1 to %d bytes", MaxSeed)
	}
	return nil
}

// Program seals tok's seed into the button (CheckCredential first), then
// sets o. When the options fail, the key already holds the new seed: the
// error says so.
func (s *Session) Program(tok *seed.Token, o Options) error {
	if err := CheckCredential(tok); err != nil {
		return err
	}
	if err := s.SetButtonHOTP(tok.EffectiveDigits(), tok.Secret); err != nil {
		return err
	}
	if err := s.SetOptions(o); err != nil {
		return fmt.Errorf("key %s holds its new seed, but its options were not all set: %w", tok.Serial, err)
	}
	return nil
}

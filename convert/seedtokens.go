package convert

import "github.com/tokenctl/tokenctl/seed"

// ReadSeedFile reads every TOTP token of the seed file at path, in
// format or detected when format is "" (OpenSeedFile, SeedFile.ReadAll):
// the --seeds FILE of tokenctl's molto2 burn and batch molto2, whose
// format is given by formatFlag. The caller wipes the tokens.
func ReadSeedFile(path, format, formatFlag string) ([]*seed.Token, error) {
	s, err := OpenSeedFile(path, format, formatFlag, &Options{Kind: seed.TOTP})
	if err != nil {
		return nil, err
	}
	return s.ReadAll()
}

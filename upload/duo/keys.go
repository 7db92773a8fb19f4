package duo

import "github.com/tokenctl/tokenctl/internal/secretin"

// Keys reads the Admin API application's integration and secret keys
// from ikeyFile and skeyFile ("-": standard input), or, for a file not
// given, from DUO_IKEY and DUO_SKEY. A key that cannot be read is a
// *secretin.ReadError (a usage error) naming it, never its value.
func Keys(ikeyFile, skeyFile string) (ikey, skey string, err error) {
	read := func(file, env, flag, what string) (string, error) {
		src := secretin.Source{File: file, Flag: flag}
		if file == "" {
			src.Env = env
		}
		s, err := src.Read()
		if err != nil {
			return "", &secretin.ReadError{What: what, Err: err}
		}
		return s, nil
	}
	if ikey, err = read(ikeyFile, "DUO_IKEY", "ikey", "integration key"); err != nil {
		return "", "", err
	}
	skey, err = read(skeyFile, "DUO_SKEY", "skey", "secret key")
	return ikey, skey, err
}

package token2

import (
	"fmt"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// SyncPlan is how a time sync gets what it writes. The clock travels in
// the same write as the hash and the time step, which the token cannot
// report: they come from the request (Params, flags) or from a seed file
// listing the token (Seeds), when its format records them (Records). On a
// restricted model the write erases the seed, so the sync is refused
// unless Reburn, with the seed from Secret or from the file.
type SyncPlan struct {
	// Params are the settings given: a zero Period, or HashGiven false,
	// means not given.
	Params    Params
	HashGiven bool
	Reburn    bool
	// SecretGiven: a seed to re-burn was given apart from the file;
	// Secret holds it once read (Check needs only SecretGiven).
	SecretGiven bool
	Secret      []byte
	// Seeds names the seed file listing the token ("": none), SeedsFormat
	// its format, and Records whether that format records each token's
	// hash and step (convert.Format.TOTPSettings).
	Seeds, SeedsFormat string
	Records            bool
}

// SyncError is a sync refused before anything was written. Usage: the
// request, not the data, is at fault (tokenctl exits 2, else 1).
type SyncError struct {
	Msg   string
	Usage bool
}

func (e *SyncError) Error() string { return e.Msg }

// UsageError reports whether the request is at fault.
func (e *SyncError) UsageError() bool { return e.Usage }

func refuse(usage bool, format string, a ...any) error {
	return &SyncError{Msg: fmt.Sprintf(format, a...), Usage: usage}
}

// Check refuses, before any token is reached, a request that cannot say
// what to write: no hash or period and no seed file, a seed without
// Reburn, Reburn without a seed, a seed file that records no settings
// while hash or period are missing (judged once SeedsFormat is set: a
// caller may check the flags before it reads the file).
func (s *SyncPlan) Check() error {
	switch {
	case s.Seeds == "" && (s.Params.Period == 0 || !s.HashGiven):
		return refuse(true, "give --hash and --period (the token cannot report them, and a wrong guess breaks it), or --seeds FILE listing the token")
	case s.SecretGiven && !s.Reburn:
		return refuse(true, "--secret-file/--secret-env go with --reburn")
	case s.Reburn && !s.SecretGiven && s.Seeds == "":
		return refuse(true, "--reburn needs the seed: --secret-file, --secret-env or --seeds FILE")
	}
	var need []string
	if s.SeedsFormat != "" && !s.Records && !s.HashGiven {
		need = append(need, "--hash")
	}
	if s.SeedsFormat != "" && !s.Records && s.Params.Period == 0 {
		need = append(need, "--period")
	}
	if len(need) > 0 {
		return refuse(true, "--seeds %s is a %s file, which does not record a token's hash and time step: give %s (nothing was sent to the token)", s.Seeds, s.SeedsFormat, strings.Join(need, " and "))
	}
	return nil
}

// ForToken is what to write to the token info describes: the settings,
// and the seed to write right after them (nil: none). find looks the
// token up in the seed file (called only with one, after the model was
// checked; its error is returned saying that nothing was written); the
// caller wipes the seed returned. Every error means nothing was written.
func (s *SyncPlan) ForToken(info *Info, find func(serial string) (*seed.Token, error)) (Params, []byte, error) {
	p := s.Params
	if info.Model.Restricted && !s.Reburn {
		return p, nil, refuse(false, "token %s is an %s, a restricted model: a time sync erases its seed, so nothing was written; to sync it anyway, write the seed again with --reburn --secret-file F (or --reburn --seeds FILE)", info.Serial, info.Model.Name)
	}
	var secret []byte
	if s.Reburn && s.SecretGiven {
		secret = append([]byte(nil), s.Secret...)
	}
	if s.Seeds != "" {
		rec, err := find(info.Serial)
		if err != nil {
			return p, nil, fmt.Errorf("%w; nothing was written", err)
		}
		defer rec.Wipe()
		if p, err = s.FromRecord(info.Serial, rec); err != nil {
			return p, nil, err
		}
		if s.Reburn && secret == nil {
			secret = append([]byte(nil), rec.Secret...)
		}
	}
	if s.Reburn && len(secret) == 0 {
		return p, nil, refuse(true, "--reburn: no seed for serial %s", info.Serial)
	}
	return p, secret, nil
}

// FromRecord is Params with the hash and step the seed file lists for
// serial (rec) when its format records them; those must agree with the
// ones given and be ones a Token2 can do (SHA-1 or SHA-256, 30 or 60 s).
// rec must be a TOTP token.
func (s *SyncPlan) FromRecord(serial string, rec *seed.Token) (Params, error) {
	p := s.Params
	if rec.Kind != seed.TOTP {
		return p, refuse(false, "--seeds %s: serial %s is a %s token, not TOTP; nothing was written", s.Seeds, serial, rec.Kind)
	}
	if !s.Records {
		return p, nil // --hash and --period, which Check required
	}
	if s.HashGiven && p.Hash != rec.Hash {
		return p, refuse(false, "--hash %s but %s lists serial %s as %s; nothing was written", p.Hash, s.Seeds, serial, rec.Hash)
	}
	if rec.Hash != seed.SHA1 && rec.Hash != seed.SHA256 {
		return p, refuse(false, "--seeds %s lists serial %s as %s, which Token2 tokens cannot do (SHA-1 or SHA-256); nothing was written", s.Seeds, serial, rec.Hash)
	}
	n := rec.EffectivePeriod()
	if p.Period != 0 && p.Period != n {
		return p, refuse(false, "--period %d but %s lists serial %s with %d s; nothing was written", p.Period, s.Seeds, serial, n)
	}
	if n != 30 && n != 60 {
		return p, refuse(false, "--seeds %s lists serial %s with a %d s step, which Token2 tokens cannot do (30 or 60 s); nothing was written", s.Seeds, serial, n)
	}
	p.Hash, p.Period = rec.Hash, n
	return p, nil
}

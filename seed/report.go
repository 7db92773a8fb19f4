package seed

import "time"

// CodeReport is a token's code at a time, with where it stands (tokenctl
// code --json): the TOTP step and how long the code stays valid, or the
// HOTP counter.
type CodeReport struct {
	Serial          string  `json:"serial,omitempty"`
	Kind            string  `json:"kind"`
	Code            string  `json:"code"`
	Time            string  `json:"time,omitempty"`
	Step            *uint64 `json:"step,omitempty"`
	Counter         *uint64 `json:"counter,omitempty"`
	ValidForSeconds int     `json:"valid_for_seconds,omitempty"`
}

// CodeReport computes t's code at (TOTP) or at its counter (HOTP).
func (t *Token) CodeReport(at time.Time) (*CodeReport, error) {
	code, err := t.Code(at)
	if err != nil {
		return nil, err
	}
	r := &CodeReport{Serial: t.Serial, Kind: t.Kind.String(), Code: code}
	if t.Kind == TOTP {
		p := t.EffectivePeriod()
		step := TimeStep(at, p)
		r.Time, r.Step, r.ValidForSeconds = at.UTC().Format(time.RFC3339), &step, p-int(at.Unix()%int64(p))
	} else {
		c := t.Counter
		r.Counter = &c
	}
	return r, nil
}

// CheckReport is a Match for people and programs (tokenctl check --json):
// TOTP fields give the step searched around and, on a match, the clock's
// drift; HOTP fields the counter searched from and, on a match, where it
// matched and the next counter.
type CheckReport struct {
	Serial string `json:"serial,omitempty"`
	Kind   string `json:"kind"`
	Match  bool   `json:"match"`
	Window int    `json:"window"`
	// TOTP
	Time         string  `json:"time,omitempty"`
	Period       int     `json:"period,omitempty"`
	Step         *uint64 `json:"step,omitempty"`
	OffsetSteps  *int    `json:"offset_steps,omitempty"`
	DriftSeconds *int    `json:"drift_seconds,omitempty"`
	// HOTP
	Counter      *uint64 `json:"counter,omitempty"`
	Offset       *int    `json:"offset,omitempty"`
	MatchCounter *uint64 `json:"match_counter,omitempty"`
	NextCounter  *uint64 `json:"next_counter,omitempty"`
	Message      string  `json:"message"`
}

// Report is m for the token of serial; givenTime as for Message.
func (m Match) Report(serial string, givenTime bool) *CheckReport {
	r := &CheckReport{Serial: serial, Kind: m.Kind.String(), Match: m.Found, Window: m.Window, Message: m.Message(givenTime)}
	if m.Kind == TOTP {
		r.Time, r.Period, r.Step = m.At.UTC().Format(time.RFC3339), m.Period, &m.Step
		if off, drift := m.Offset, m.DriftSeconds(); m.Found {
			r.OffsetSteps, r.DriftSeconds = &off, &drift
		}
	} else if r.Counter = &m.Counter; m.Found {
		mc, next := m.MatchCounter(), m.MatchCounter()+1
		r.Offset, r.MatchCounter, r.NextCounter = &m.Offset, &mc, &next
	}
	return r
}

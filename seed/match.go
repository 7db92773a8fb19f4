package seed

import (
	"errors"
	"fmt"
	"time"
)

// Match is where a code read off a token belongs (Token.Match): the
// token's clock drift (TOTP) or how far its counter is ahead (HOTP).
type Match struct {
	Kind   Kind
	Found  bool
	Window int // steps either side (TOTP) or counters ahead (HOTP) searched
	// TOTP: the time searched around, its step and the token's period.
	At     time.Time
	Period int
	Step   uint64
	// HOTP: the counter the search started from.
	Counter uint64
	// Offset of the match from Step or Counter (steps or counters).
	Offset int
}

// Match looks for code among t's codes: TOTP, within window steps either
// side of the step of at (window < 0: 10); HOTP, from t.Counter to window
// counters ahead (window < 0: 20). Codes are compared in constant time. A
// code that matches nothing is no error (Found is false); a code of the
// wrong shape or a window over MaxWindow is.
func (t *Token) Match(code string, at time.Time, window int) (Match, error) {
	m := Match{Kind: t.Kind, Window: window}
	var err error
	if t.Kind == TOTP {
		if window < 0 {
			m.Window = 10
		}
		m.At, m.Period = at, t.EffectivePeriod()
		m.Step = TimeStep(at, m.Period)
		m.Offset, err = FindTOTP(t.Secret, t.Hash, t.EffectiveDigits(), m.Period, code, at, m.Window)
	} else {
		if window < 0 {
			m.Window = 20
		}
		m.Counter = t.Counter
		m.Offset, err = FindHOTP(t.Secret, t.Hash, t.EffectiveDigits(), t.Counter, code, m.Window)
	}
	m.Found = err == nil
	if errors.Is(err, ErrNoMatch) {
		err = nil
	}
	return m, err
}

// DriftSeconds is how far a TOTP token's clock is off: positive, fast.
func (m Match) DriftSeconds() int { return m.Offset * m.Period }

// MatchCounter is the counter of an HOTP match; the token's next code is
// at one more.
func (m Match) MatchCounter() uint64 { return m.Counter + uint64(m.Offset) }

// Message says the result for a person; givenTime says that At was asked
// for ("the step of --time") rather than now.
func (m Match) Message(givenTime bool) string {
	off := m.Offset
	switch {
	case m.Kind == TOTP && !m.Found:
		return fmt.Sprintf("the code matches no step within %d steps (%d s) of %s", m.Window, m.Window*m.Period, m.At.UTC().Format(time.RFC3339))
	case m.Kind != TOTP && !m.Found:
		return fmt.Sprintf("the code matches no counter from %d to %d", m.Counter, m.Counter+uint64(m.Window))
	case m.Kind == TOTP && off == 0 && givenTime:
		return "matches the step of --time (0 s): the token's clock is right"
	case m.Kind == TOTP && off == 0:
		return "matches the current step (0 s): the token's clock is right"
	case m.Kind == TOTP && off < 0:
		return fmt.Sprintf("matches step %d (%d s): the token's clock is %d s slow", off, m.DriftSeconds(), -m.DriftSeconds())
	case m.Kind == TOTP:
		return fmt.Sprintf("matches step +%d (+%d s): the token's clock is %d s fast", off, m.DriftSeconds(), m.DriftSeconds())
	case off == 0:
		return fmt.Sprintf("matches counter %d (offset 0): the token is in step; next code at counter %d", m.MatchCounter(), m.MatchCounter()+1)
	}
	return fmt.Sprintf("matches counter %d (offset +%d from %d): the token was pressed %d times without a login; next code at counter %d", m.MatchCounter(), off, m.Counter, off, m.MatchCounter()+1)
}

package molto2

import "fmt"

// Summary is what a profile's public block tells a user: its title,
// whether it is in use and, when it is, its settings (tokenctl's molto2
// list and burn report these JSON fields).
type Summary struct {
	Profile int    `json:"profile"`
	Title   string `json:"title"`
	InUse   bool   `json:"in_use"`
	Hash    string `json:"hash,omitempty"`
	Digits  int    `json:"digits,omitempty"`
	Period  int    `json:"period,omitempty"`
}

// Summary is p's summary: the settings a profile not in use reports
// (defaults) are left out.
func (p *Public) Summary() Summary {
	s := Summary{Profile: p.Profile, Title: p.Title, InUse: p.InUse}
	if p.InUse {
		s.Hash, s.Digits, s.Period = p.Hash.String(), p.Digits, p.Period
	}
	return s
}

// Settings says a profile's settings for people: "sha1/30 s, 6 digits".
func (s Summary) Settings() string {
	return fmt.Sprintf("%s/%d s, %d digits", s.Hash, s.Period, s.Digits)
}

// String is the summary as a line of a profile list: number, title,
// "empty" or "in use, " and the settings.
func (s Summary) String() string {
	state := "empty"
	if s.InUse {
		state = "in use, " + s.Settings()
	}
	return fmt.Sprintf("%3d  %-12s  %s", s.Profile, s.Title, state)
}

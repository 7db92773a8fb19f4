package molto2

import (
	"fmt"
	"strings"
	"time"
)

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

// Listing is a device's profile list (tokenctl's molto2 list; its JSON
// fields are profiles and serial, the clock being said only in text).
type Listing struct {
	Profiles []Summary `json:"profiles"`
	Serial   string    `json:"serial"`
	Clock    time.Time `json:"-"`
}

// List is the listing of the device serial, whose clock reads clock.
func List(serial string, clock time.Time, pubs []*Public) Listing {
	l := Listing{Serial: serial, Clock: clock, Profiles: make([]Summary, 0, len(pubs))}
	for _, p := range pubs {
		l.Profiles = append(l.Profiles, p.Summary())
	}
	return l
}

// String is the listing for people: a heading line, then a line a profile.
func (l Listing) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Molto2 %s, %d profiles, clock %s\n", l.Serial, len(l.Profiles), l.Clock.UTC().Format(time.RFC3339))
	for _, p := range l.Profiles {
		fmt.Fprintln(&b, p)
	}
	return b.String()
}

// Burned is the profiles a burn wrote into the device serial (tokenctl's
// molto2 burn report).
type Burned struct {
	Burned []Summary `json:"burned"`
	Serial string    `json:"serial"`
}

// String is the report for people: "profile N (TITLE): settings" a line.
func (r Burned) String() string {
	var b strings.Builder
	for _, p := range r.Burned {
		fmt.Fprintf(&b, "profile %d (%s): %s\n", p.Profile, p.Title, p.Settings())
	}
	return b.String()
}

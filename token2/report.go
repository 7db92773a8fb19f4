package token2

import (
	"fmt"
	"time"
)

// Offset is a token's clock minus the host's, in whole seconds.
type Offset int64

// ClockOffset is device minus host, to the second.
func ClockOffset(device, host time.Time) Offset { return Offset(device.Unix() - host.Unix()) }

// String says the offset for people: "0 s (in sync)", "+5 s (device
// ahead)", "-5 s (device behind)".
func (s Offset) String() string {
	switch {
	case s == 0:
		return "0 s (in sync)"
	case s > 0:
		return fmt.Sprintf("+%d s (device ahead)", int64(s))
	}
	return fmt.Sprintf("%d s (device behind)", int64(s))
}

// Status is what a token's get-info answer tells, read at host time
// through reader: tokenctl token2 info's report (its JSON fields). The
// model and its sync class are left empty for a model that is not known.
type Status struct {
	Serial     string    `json:"serial"`
	Model      string    `json:"model,omitempty"`
	Known      bool      `json:"programmable"`
	Sync       string    `json:"time_sync,omitempty"`
	Restricted bool      `json:"restricted"`
	DeviceTime time.Time `json:"device_time"`
	HostTime   time.Time `json:"host_time"`
	Offset     Offset    `json:"offset_seconds"`
	Reader     string    `json:"reader"`
}

// Status is i read at host time through reader.
func (i *Info) Status(host time.Time, reader string) Status {
	s := Status{Serial: i.Serial, Known: i.Known, Restricted: i.Model.Restricted, DeviceTime: i.Clock,
		HostTime: host.UTC().Truncate(time.Second), Offset: ClockOffset(i.Clock, host), Reader: reader}
	if i.Known {
		s.Model, s.Sync = i.Model.Name, i.Model.SyncClass()
	}
	return s
}

// Written is what a configuration write (a burn or a time sync) set on
// the token i describes, whose clock was PrevOffset from the host's
// before: tokenctl token2 burn's and sync's report (its JSON fields;
// Display, Output and Format are burn's, Reburned sync's).
type Written struct {
	Serial     string    `json:"serial"`
	Model      string    `json:"model"`
	Sync       string    `json:"time_sync"`
	Hash       string    `json:"hash"`
	Period     int       `json:"period"`
	Display    int       `json:"display,omitempty"`
	Clock      time.Time `json:"clock_set"`
	PrevOffset Offset    `json:"previous_offset_seconds"`
	Reburned   *bool     `json:"reburned,omitempty"`
	Reader     string    `json:"reader"`
	Output     string    `json:"output,omitempty"`
	Format     string    `json:"format,omitempty"`
}

// Written is the report of the write of p to the token i describes, read
// at host time through reader.
func (i *Info) Written(host time.Time, reader string, p Params) Written {
	return Written{Serial: i.Serial, Model: i.Model.Name, Sync: i.Model.SyncClass(), Hash: p.Hash.String(), Period: p.Period,
		Clock: p.Time.UTC().Truncate(time.Second), PrevOffset: ClockOffset(i.Clock, host), Reader: reader}
}

// String is the status for people, one field a line (tokenctl token2
// info): an unknown model is named as one tokenctl will not write to.
func (s Status) String() string {
	model := "unknown: not a programmable Token2 model, tokenctl will not write to it"
	if s.Known {
		model = fmt.Sprintf("%s\ntime sync:    %s (a time sync %s the seed)", s.Model, s.Sync, map[bool]string{true: "erases", false: "keeps"}[s.Restricted])
	}
	return fmt.Sprintf("serial:       %s\nmodel:        %s\ndevice clock: %s\nhost clock:   %s\noffset:       %s\nreader:       %s\n",
		s.Serial, model, s.DeviceTime.Format(time.RFC3339), s.HostTime.Format(time.RFC3339), s.Offset, s.Reader)
}

// Burned is the report of a burn of p (Written, with the display
// timeout: 30 s when p leaves it to the token's default).
func (i *Info) Burned(host time.Time, reader string, p Params) Written {
	w := i.Written(host, reader, p)
	if w.Display = int(p.Display); w.Display == 0 {
		w.Display = 30
	}
	return w
}

// BurnNote says a burn's report for people (tokenctl token2 burn's note).
func (w Written) BurnNote() string {
	return fmt.Sprintf("burned %s (%s, %s): TOTP %s/%d s, 6 digits, display %d s, clock set to %s (was %s)",
		w.Serial, w.Model, w.Sync, w.Hash, w.Period, w.Display, w.Clock.Format(time.RFC3339), w.PrevOffset)
}

// SyncLine says a time sync's report for people (tokenctl token2 sync's
// line), "synced and re-burned" when Reburned says so.
func (w Written) SyncLine() string {
	what := "synced"
	if w.Reburned != nil && *w.Reburned {
		what = "synced and re-burned"
	}
	return fmt.Sprintf("%s %s (%s): clock set to %s (was %s), TOTP %s/%d s\n", what, w.Serial, w.Model, w.Clock.Format(time.RFC3339), w.PrevOffset, w.Hash, w.Period)
}

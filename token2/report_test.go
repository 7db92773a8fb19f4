package token2

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// TestOffsetString: the three ways an offset reads.
func TestOffsetString(t *testing.T) {
	for s, want := range map[Offset]string{0: "0 s (in sync)", 5: "+5 s (device ahead)", -7: "-7 s (device behind)"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int64(s), got, want)
		}
	}
	if got := ClockOffset(time.Unix(100, 0), time.Unix(103, 900e6)); got != -3 {
		t.Errorf("ClockOffset: %d, want -3 (whole seconds)", got)
	}
}

// TestStatusWritten: the reports' JSON fields (tokenctl's token2 info,
// burn and sync print them) and what an unknown model leaves out.
func TestStatusWritten(t *testing.T) {
	host := time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)
	known := &Info{Serial: "86596220001", Model: Models[1], Known: true, Clock: host.Add(-90 * time.Second)}
	b, _ := json.Marshal(known.Status(host, "R"))
	want := `{"serial":"86596220001","model":"OTPC-P2-i","programmable":true,"time_sync":"restricted","restricted":true,` +
		`"device_time":"2026-01-02T03:02:35.6Z","host_time":"2026-01-02T03:04:05Z","offset_seconds":-90,"reader":"R"}`
	if string(b) != want {
		t.Errorf("known:\n%s\nwant\n%s", b, want)
	}
	unknown := &Info{Serial: "123", Clock: host}
	if s := unknown.Status(host, "R"); s.Model != "" || s.Sync != "" || s.Known {
		t.Errorf("unknown: %+v", s)
	}
	p := Params{Hash: seed.SHA256, Period: 60, Time: host}
	b, _ = json.Marshal(known.Written(host, "R", p))
	want = `{"serial":"86596220001","model":"OTPC-P2-i","time_sync":"restricted","hash":"sha256","period":60,` +
		`"clock_set":"2026-01-02T03:04:05Z","previous_offset_seconds":-90,"reader":"R"}`
	if string(b) != want {
		t.Errorf("written:\n%s\nwant\n%s", b, want)
	}
}

// TestParamsStamped: a given clock stays; none is the host's, to the
// nearest second.
func TestParamsStamped(t *testing.T) {
	at := time.Unix(1700000000, 0)
	if got := (Params{Time: at}).Stamped().Time; !got.Equal(at) {
		t.Errorf("given: %v", got)
	}
	before := time.Now()
	got := Params{}.Stamped().Time
	if got.Nanosecond() != 0 || got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("host clock: %v", got)
	}
}

// TestReportText: token2 info's, burn's and sync's text (a burn leaving
// the display to the token reports its 30 s).
func TestReportText(t *testing.T) {
	host := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	known := &Info{Serial: "86596220001", Model: Models[1], Known: true, Clock: host.Add(-90 * time.Second)}
	want := "serial:       86596220001\nmodel:        OTPC-P2-i\ntime sync:    restricted (a time sync erases the seed)\n" +
		"device clock: 2026-01-02T03:02:35Z\nhost clock:   2026-01-02T03:04:05Z\noffset:       -90 s (device behind)\nreader:       R\n"
	if got := known.Status(host, "R").String(); got != want {
		t.Errorf("status:\n%s\nwant\n%s", got, want)
	}
	unknown := &Info{Serial: "123", Clock: host}
	if got := unknown.Status(host, "R").String(); !strings.Contains(got, "model:        unknown: not a programmable Token2 model, tokenctl will not write to it\ndevice clock:") {
		t.Errorf("unknown: %s", got)
	}
	p := Params{Hash: seed.SHA256, Period: 60, Time: host}
	w := known.Burned(host, "R", p)
	if want := "burned 86596220001 (OTPC-P2-i, restricted): TOTP sha256/60 s, 6 digits, display 30 s, clock set to 2026-01-02T03:04:05Z (was -90 s (device behind))"; w.BurnNote() != want {
		t.Errorf("burn note: %q, want %q", w.BurnNote(), want)
	}
	if p.Display = 120; known.Burned(host, "R", p).Display != 120 {
		t.Error("display 120 not reported")
	}
	s := known.Written(host, "R", p)
	if want := "synced 86596220001 (OTPC-P2-i): clock set to 2026-01-02T03:04:05Z (was -90 s (device behind)), TOTP sha256/60 s\n"; s.SyncLine() != want {
		t.Errorf("sync: %q, want %q", s.SyncLine(), want)
	}
	yes := true
	if s.Reburned = &yes; !strings.HasPrefix(s.SyncLine(), "synced and re-burned 86596220001 ") {
		t.Errorf("reburn: %q", s.SyncLine())
	}
}

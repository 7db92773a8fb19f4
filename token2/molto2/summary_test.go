package molto2

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// TestSummary: a profile in use reports its settings, one not in use
// only its title (the defaults it reports are no settings of anyone's).
func TestSummary(t *testing.T) {
	used := &Public{Profile: 3, Title: "GitHub", InUse: true, Hash: seed.SHA256, Digits: 8, Period: 60}
	b, _ := json.Marshal(used.Summary())
	if want := `{"profile":3,"title":"GitHub","in_use":true,"hash":"sha256","digits":8,"period":60}`; string(b) != want {
		t.Errorf("in use: %s, want %s", b, want)
	}
	if got := used.Summary().Settings(); got != "sha256/60 s, 8 digits" {
		t.Errorf("settings: %q", got)
	}
	if got := used.Summary().String(); got != "  3  GitHub        in use, sha256/60 s, 8 digits" {
		t.Errorf("line: %q", got)
	}
	empty := &Public{Profile: 4, Title: "old", Hash: seed.SHA1, Digits: 6, Period: 30}
	b, _ = json.Marshal(empty.Summary())
	if want := `{"profile":4,"title":"old","in_use":false}`; string(b) != want {
		t.Errorf("empty: %s, want %s", b, want)
	}
	if got := empty.Summary().String(); got != "  4  old           empty" {
		t.Errorf("empty line: %q", got)
	}
}

// TestListingBurned: molto2 list's and burn's reports, as JSON (no clock
// in the list's) and as text.
func TestListingBurned(t *testing.T) {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	l := List("M1", clock, []*Public{{Profile: 0, Title: "a", InUse: true, Hash: seed.SHA1, Digits: 6, Period: 30}, {Profile: 1}})
	b, _ := json.Marshal(l)
	if want := `{"profiles":[{"profile":0,"title":"a","in_use":true,"hash":"sha1","digits":6,"period":30},{"profile":1,"title":"","in_use":false}],"serial":"M1"}`; string(b) != want {
		t.Errorf("list JSON: %s, want %s", b, want)
	}
	if want := "Molto2 M1, 2 profiles, clock 2026-01-02T02:04:05Z\n  0  a             in use, sha1/30 s, 6 digits\n  1                empty\n"; l.String() != want {
		t.Errorf("list text: %q, want %q", l, want)
	}
	if b, _ := json.Marshal(List("M2", clock, nil)); string(b) != `{"profiles":[],"serial":"M2"}` {
		t.Errorf("empty list JSON: %s", b)
	}
	r := Burned{Serial: "M1", Burned: l.Profiles[:1]}
	b, _ = json.Marshal(r)
	if want := `{"burned":[{"profile":0,"title":"a","in_use":true,"hash":"sha1","digits":6,"period":30}],"serial":"M1"}`; string(b) != want {
		t.Errorf("burned JSON: %s, want %s", b, want)
	}
	if want := "profile 0 (a): sha1/30 s, 6 digits\n"; r.String() != want {
		t.Errorf("burned text: %q, want %q", r, want)
	}
}

// TestName: a token without a serial is recorded as DEVICE-PP, one with
// its own keeps it; both are Token2 Molto2.
func TestName(t *testing.T) {
	a, b := &seed.Token{}, &seed.Token{Serial: "S1"}
	Name(a, "M1", 7)
	Name(b, "M1", 8)
	if a.Serial != "M1-07" || b.Serial != "S1" || a.Manufacturer != "Token2" || b.Model != "Molto2" {
		t.Errorf("%+v %+v", a, b)
	}
}

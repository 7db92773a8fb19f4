package molto2

import (
	"encoding/json"
	"testing"

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

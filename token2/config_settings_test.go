package token2

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// TestSettingsParams: each setting is checked against what the token can
// do, and a refusal names the setting.
func TestSettingsParams(t *testing.T) {
	p, err := Settings{Hash: "sha256", Period: "60", Display: "120", Time: "@1700000000"}.Params()
	if err != nil || p.Hash != seed.SHA256 || p.Period != 60 || p.Display != 120 || !p.Time.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("%+v %v", p, err)
	}
	if p, err := (Settings{}).Params(); err != nil || p.Hash != 0 || p.Period != 0 {
		t.Fatalf("empty settings: %+v %v", p, err)
	}
	for _, c := range []struct {
		s    Settings
		name string
	}{
		{Settings{Hash: "sha512"}, "hash"}, {Settings{Period: "45"}, "period"}, {Settings{Display: "45"}, "display"},
		{Settings{Time: "@4294967296"}, "time"}, {Settings{Time: "yesterday"}, "time"},
	} {
		_, err := c.s.Params()
		var se *SettingsError
		if !errors.As(err, &se) || se.Setting != c.name || !se.UsageError() || !strings.HasPrefix(err.Error(), "--"+c.name+" ") {
			t.Errorf("%+v: %v", c.s, err)
		}
	}
}

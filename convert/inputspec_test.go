package convert

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/seed"
)

// TestInputSpec: values as typed become reading options; each bad one is
// a usage error naming its flag; zero values leave the format's say.
func TestInputSpec(t *testing.T) {
	var o Options
	err := InputSpec{SecretEncoding: "hex", Charset: "cp1252", Kind: "hotp", Digits: 8, Period: 60, Manufacturer: "Token2", Model: "C202"}.Apply(&o)
	if err != nil || o.SecretEncoding != seed.Hex || o.Charset != csvfmt.CharsetWindows1252 || o.Kind != seed.HOTP || o.Digits != 8 || o.Period != 60 || o.Model != "C202" {
		t.Fatalf("%v %+v", err, o)
	}
	o = Options{}
	if err := (InputSpec{}).Apply(&o); err != nil || o.Kind != seed.KindUnknown || o.Digits != 0 || o.SecretEncoding != seed.EncodingUnknown {
		t.Fatalf("zero: %v %+v", err, o)
	}
	for _, c := range []struct {
		s    InputSpec
		want string
	}{
		{InputSpec{SecretEncoding: "base64"}, `--secret-encoding "base64": want hex or base32`},
		{InputSpec{Charset: "latin9"}, "--encoding: unknown text encoding"},
		{InputSpec{Kind: "yubico"}, "--kind "},
		{InputSpec{Digits: 7}, "--digits 7: want 6 or 8"},
		{InputSpec{Period: -1}, "--period -1: "},
	} {
		var ue *UsageError
		if err := c.s.Apply(&Options{}); !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v", c.want, err)
		}
	}
}

// TestFormatTable: one line per format after the header, the columns
// aligned, reading and writing said.
func TestFormatTable(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(FormatTable(), "\n"), "\n")
	if len(lines) != len(Describe())+1 || !strings.HasPrefix(lines[0], "NAME ") {
		t.Fatalf("%q", lines)
	}
	col := strings.Index(lines[0], "SUMMARY")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "duo ") && !strings.Contains(l, " yes ") {
			t.Errorf("duo: %q", l)
		}
		if len(l) < col || l[col-1] != ' ' {
			t.Errorf("not aligned: %q", l)
		}
	}
}

package convert

import (
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	var entra *FormatInfo
	list := Describe()
	for i := range list {
		if list[i].Aliases == nil {
			t.Errorf("%s: nil aliases (JSON null)", list[i].Name)
		}
		if i > 0 && list[i-1].Name >= list[i].Name {
			t.Errorf("not sorted: %s before %s", list[i-1].Name, list[i].Name)
		}
		if list[i].Name == "entra" {
			entra = &list[i]
		}
	}
	if entra == nil || !entra.Read || !entra.Write || entra.Encoding != "base32" {
		t.Errorf("entra: %+v", entra)
	}
}

func TestParsePSKCKey(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{strings.Repeat("ab", 16), ""}, {strings.Repeat("AB", 24), ""}, {strings.Repeat("0f", 32), ""},
		{strings.Repeat("ab", 15), "15 bytes; want 16, 24 or 32"}, {"xyz0", "not hex"},
	} {
		k, err := ParsePSKCKey(c.in)
		if c.err == "" && (err != nil || len(k) != len(c.in)/2) || c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("%s: %d bytes, %v; want %q", c.in, len(k), err, c.err)
		}
	}
}

func TestReportSummary(t *testing.T) {
	for _, c := range []struct {
		r    Report
		want string
	}{
		{Report{From: "entra", To: "duo", Read: 12, Written: 11, Rejected: 1, RejectsFile: "d.rejects", Warnings: 2, Outputs: []string{"d.csv"}},
			"12 rows read (entra), 11 written to d.csv, 1 rejected (see d.rejects), 2 warnings"},
		{Report{From: "hex", To: "duo", Read: 3, Written: 3, Warnings: 1, Outputs: []string{"a-totp6.csv", "a-hotp6.csv"}},
			"3 rows read (hex), 3 written to a-totp6.csv, a-hotp6.csv, 1 warning"},
		{Report{From: "hex", To: "entra", Read: 3}, "3 rows (hex) valid for entra"},
	} {
		if got := c.r.Summary(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

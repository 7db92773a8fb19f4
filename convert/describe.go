package convert

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tokenctl/tokenctl/seed"
)

// FormatInfo describes a Format for people and programs (tokenctl formats
// --json).
type FormatInfo struct {
	Name     string   `json:"name"`
	Aliases  []string `json:"aliases"`
	Read     bool     `json:"read"`
	Write    bool     `json:"write"`
	Encoding string   `json:"secret_encoding,omitempty"`
	Summary  string   `json:"summary"`
}

// Describe lists every registered format, sorted by name.
func Describe() []FormatInfo {
	var list []FormatInfo
	for _, f := range Formats() {
		fi := FormatInfo{Name: f.Name, Aliases: f.Aliases, Read: f.Open != nil, Write: f.Create != nil, Summary: f.Summary}
		if fi.Aliases == nil {
			fi.Aliases = []string{}
		}
		if f.Encoding != seed.EncodingUnknown {
			fi.Encoding = f.Encoding.String()
		}
		list = append(list, fi)
	}
	return list
}

// FormatTable is Describe for people: a table of the formats' names,
// aliases, whether tokenctl reads and writes them, and their summaries.
func FormatTable() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tALIASES\tREAD\tWRITE\tSUMMARY")
	yn := map[bool]string{true: "yes", false: "-"}
	for _, f := range Describe() {
		al := strings.Join(f.Aliases, ",")
		if al == "" {
			al = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, al, yn[f.Read], yn[f.Write], f.Summary)
	}
	tw.Flush()
	return b.String()
}

// ParsePSKCKey decodes a PSKC pre-shared key written in hex: 16, 24 or 32
// bytes (AES-128/192/256; 3DES files take 16 or 24). Errors never show
// the key.
func ParsePSKCKey(text string) ([]byte, error) {
	k, err := seed.DecodeHex(text)
	if err != nil {
		return nil, fmt.Errorf("not hex: %v", err)
	}
	switch len(k) {
	case 16, 24, 32:
		return k, nil
	}
	seed.Zero(k)
	return nil, fmt.Errorf("%d bytes; want 16, 24 or 32 (32, 48 or 64 hex digits)", len(k))
}

// Summary says what a conversion did (or, for a Report without outputs, a
// validation found), for people: "12 rows read (entra), 11 written to
// duo.csv, 1 rejected (see duo.csv.rejects), 2 warnings".
func (r *Report) Summary() string {
	var b strings.Builder
	if len(r.Outputs) == 0 {
		fmt.Fprintf(&b, "%d rows (%s) valid for %s", r.Read, r.From, r.To)
	} else {
		fmt.Fprintf(&b, "%d rows read (%s), %d written to %s", r.Read, r.From, r.Written, strings.Join(r.Outputs, ", "))
	}
	if r.Rejected > 0 && len(r.Outputs) > 0 {
		fmt.Fprintf(&b, ", %d rejected", r.Rejected)
		if r.RejectsFile != "" {
			fmt.Fprintf(&b, " (see %s)", r.RejectsFile)
		}
	}
	if r.Warnings > 0 {
		fmt.Fprintf(&b, ", %d %s", r.Warnings, plural(r.Warnings, "warning"))
	}
	return b.String()
}

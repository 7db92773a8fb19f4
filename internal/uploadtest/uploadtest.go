// Package uploadtest writes the seed files the upload tests read.
package uploadtest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// Row is one token of the Entra file.
type Row struct {
	UPN    string
	Serial string
	Secret []byte
	Period int
}

// Secret is a 20-byte secret derived from serial, distinct per token.
func Secret(serial string) []byte {
	h := sha256.Sum256([]byte("tokenctl upload test " + serial))
	return h[:20]
}

// EntraRows are the tokens of EntraFile: n tokens, every other one with
// a user (users[i%len(users)]), every third with a 60 s step.
func EntraRows(n int, users []string) []Row {
	var rows []Row
	for i := 0; i < n; i++ {
		r := Row{Serial: fmt.Sprintf("TK%05d", 1000+i), Period: 30}
		r.Secret = Secret(r.Serial)
		if i%3 == 2 {
			r.Period = 60
		}
		if i%2 == 0 && len(users) > 0 {
			r.UPN = users[(i/2)%len(users)]
		}
		rows = append(rows, r)
	}
	return rows
}

// EntraFile writes rows as an Entra CSV upload file and returns its path.
func EntraFile(t testing.TB, rows []Row) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("upn,serial number,secret key,time interval,manufacturer,model\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,%d,Token2,C202\n", r.UPN, r.Serial, seed.EncodeBase32(r.Secret), r.Period)
	}
	p := filepath.Join(t.TempDir(), "entra.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

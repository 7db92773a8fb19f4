package pgstore_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

// BenchmarkImport imports b.N factory-seeded tokens (sealed, signed,
// recorded with their events) in imports of up to 10,000 tokens, into a
// fresh ledger on each store, and reports imports per second. The figure
// for 100k tokens: go test ./ledger/pgstore -run '^$' -bench Import -benchtime 100000x
func BenchmarkImport(b *testing.B) {
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			var spec string
			if store == "sqlite" {
				spec = filepath.Join(b.TempDir(), "bench.ledger")
			} else {
				spec = pgtest.Database(b)
			}
			l, _, err := ledger.CreateSpec(ctx, spec, ledger.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			toks := make([]*seed.Token, b.N)
			for i := range toks {
				toks[i] = totp(fmt.Sprintf("B%07d", i))
			}
			b.ResetTimer()
			const chunk = 10000
			for i := 0; i < len(toks); i += chunk {
				part := toks[i:min(i+chunk, len(toks))]
				if _, errs := l.Import(ctx, []ledger.Source{{Name: "factory.csv", R: &sliceReader{toks: part}}}, ledger.Entry{}); errs != nil {
					b.Fatal(errs)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "imports/s")
		})
	}
}

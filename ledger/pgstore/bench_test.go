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

// BenchmarkStoreInsert is the store's share of an import: b.N records
// already sealed and signed (a 250-byte stand-in), inserted in batches of
// 10,000, with their events.
func BenchmarkStoreInsert(b *testing.B) {
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			var spec string
			if store == "sqlite" {
				spec = filepath.Join(b.TempDir(), "bench.ledger")
			} else {
				spec = pgtest.Database(b)
			}
			s, err := ledger.OpenStore(ctx, spec, true)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Init(ctx, map[string]string{"bench": "1"}); err != nil {
				b.Fatal(err)
			}
			recs := make([]*ledger.Record, b.N)
			for i := range recs {
				recs[i] = rec(fmt.Sprintf("B%07d", i))
				recs[i].Sealed = make([]byte, 250)
				recs[i].Auth = make([]byte, 32)
			}
			b.ResetTimer()
			const chunk = 10000
			for i := 0; i < len(recs); i += chunk {
				if err := s.Insert(ctx, recs[i:min(i+chunk, len(recs))], ledger.InsertOptions{Event: "imported"}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

package batch

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/token2"
)

// endless presents new tokens forever, made by mk.
type endless struct {
	n  int
	mk func(i int) (Device, error)
}

func (s *endless) Family() ledger.Family { return ledger.Token2 }
func (s *endless) Next(ctx context.Context) (Device, error) {
	s.n++
	return s.mk(s.n)
}
func (s *endless) WaitRemoved(ctx context.Context) error { return nil }

func benchLedger(b *testing.B) *ledger.Ledger {
	b.Helper()
	l, _, err := ledger.CreateFile(bg, filepath.Join(b.TempDir(), "bench.ledger"), ledger.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkBatchOverhead is the time per token that tokenctl itself adds
// to a batch: ledger lookup, secret generation, sealing, the write-ahead
// record (committed with fsync) and the final record (fsync again), with
// a device that costs nothing.
func BenchmarkBatchOverhead(b *testing.B) {
	l := benchLedger(b)
	st := &endless{mk: func(i int) (Device, error) {
		return fakeDevice{&fakeToken{serial: fmt.Sprintf("B%08d", i)}}, nil
	}}
	b.ResetTimer()
	sum, err := Run(bg, Config{Ledger: l, Station: st, Recipe: recipe, Count: b.N, Batch: "bench"})
	if err != nil || sum.Done != b.N {
		b.Fatal(err, sum)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/token")
}

// inproc is an apdu.Transmitter straight to an emulated token.
type inproc struct{ t *simt2.Token }

func (p inproc) Transmit(cmd []byte) ([]byte, error) { return p.t.Transmit(cmd), nil }

// BenchmarkToken2BatchInProcess runs the batch engine on emulated Token2
// tokens reached in process (the real session: get info, challenge,
// authenticate, configuration, seed) and splits each token's time into
// the device exchange and what tokenctl adds on top of it.
func BenchmarkToken2BatchInProcess(b *testing.B) {
	l := benchLedger(b)
	var device time.Duration
	station := &Token2Station{OnExchange: func(d time.Duration) { device += d }}
	st := &endless{mk: func(i int) (Device, error) {
		tok := simt2.New(simt2.Options{Serial: fmt.Sprintf("865961%05d", i)})
		t0 := time.Now()
		sess := token2.NewSession(inproc{tok})
		info, err := sess.Info()
		device += time.Since(t0)
		if err != nil {
			return nil, err
		}
		return &token2Device{st: station, close: func() error { return nil }, sess: sess, info: info}, nil
	}}
	b.ResetTimer()
	sum, err := Run(bg, Config{Ledger: l, Station: st, Recipe: Token2Recipe{Hash: seed.SHA1, Period: 30}, Count: b.N, Batch: "bench"})
	if err != nil || sum.Done != b.N {
		b.Fatal(err, sum)
	}
	total := b.Elapsed()
	b.ReportMetric(float64(device.Microseconds())/1000/float64(b.N), "device-ms/token")
	b.ReportMetric(float64((total-device).Microseconds())/1000/float64(b.N), "tokenctl-ms/token")
}

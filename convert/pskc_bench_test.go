package convert

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenctl/tokenctl/pskc"
	"github.com/tokenctl/tokenctl/seed"
)

// BenchmarkPSKCToDuo100k: the whole pipeline, a 100,000-key PSKC container
// (written by pskc.Writer, encrypted: AES-128-CBC + HMAC-SHA256; and
// plain) to Duo HOTP lines, through files as the CLI does.
func BenchmarkPSKCToDuo100k(b *testing.B) {
	const n = 100000
	key := bytes.Repeat([]byte{7}, 16)
	dir := b.TempDir()
	for _, c := range []struct {
		name string
		key  []byte
	}{{"encrypted", key}, {"plain", nil}} {
		in := filepath.Join(dir, c.name+".pskcxml")
		f, err := os.OpenFile(in, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriter(f)
		w, err := pskc.NewWriter(bw, pskc.WriterOptions{Key: c.key})
		if err != nil {
			b.Fatal(err)
		}
		secret := make([]byte, 20)
		for i := 0; i < n; i++ {
			copy(secret, fmt.Sprintf("%020d", i))
			if err := w.Write(&seed.Token{Serial: fmt.Sprintf("SN%08d", i), Kind: seed.HOTP, Secret: secret, Counter: uint64(i)}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		bw.Flush()
		f.Close()
		st, _ := os.Stat(in)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(st.Size())
			out := filepath.Join(dir, "duo.csv")
			for b.Loop() {
				rep, err := Run([]string{in}, "pskc", "duo-hotp", out, &Options{PSKCKey: c.key})
				if err != nil || rep.Written != n {
					b.Fatalf("%v, %+v", err, rep.Problems[:min(3, len(rep.Problems))])
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

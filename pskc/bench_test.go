package pskc

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func benchContainer(b *testing.B, n int, o WriterOptions) []byte {
	b.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, o)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Write(&seed.Token{Serial: fmt.Sprintf("SN%08d", i), Kind: seed.HOTP, Secret: bytes.Repeat([]byte{byte(i)}, 20), Manufacturer: "Acme"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkRead10k: decode, decrypt and MAC-check 10,000 keys and map them
// to tokens.
func BenchmarkRead10k(b *testing.B) {
	key := bytes.Repeat([]byte{1}, 16)
	for _, c := range []struct {
		name string
		wo   WriterOptions
		ro   Options
	}{
		{"plain", WriterOptions{}, Options{}},
		{"aes128-hmac256", WriterOptions{Key: key}, Options{Key: key}},
	} {
		data := benchContainer(b, 10000, c.wo)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r, _ := NewReader(bytes.NewReader(data), c.ro)
				n := 0
				for {
					k, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if _, err := k.Token(); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 10000 {
					b.Fatal(n)
				}
			}
			b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

func BenchmarkWrite10k(b *testing.B) {
	key := bytes.Repeat([]byte{1}, 16)
	for _, c := range []struct {
		name string
		wo   WriterOptions
	}{{"plain", WriterOptions{}}, {"aes128-hmac256", WriterOptions{Key: key}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				benchContainer(b, 10000, c.wo)
			}
			b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

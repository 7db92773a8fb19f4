package csvfmt

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"

	"github.com/gocarina/gocsv"

	"github.com/tokenctl/tokenctl/seed"
)

// The reader benchmarks compare three ways to read the same Entra rows
// into tokens: this package's splitter (what the formats use), the
// standard library's encoding/csv with ReuseRecord, and gocsv mapping rows
// onto a struct. Each decodes the base32 secret and parses the interval.

func entraInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(EntraHeader + "\n")
	sec := make([]byte, 20)
	for i := 0; i < n; i++ {
		for j := range sec {
			sec[j] = byte(i*31 + j*7)
		}
		fmt.Fprintf(&b, ",%011d,%s,%d,Token2,C202\n", 86500000000+i, seed.EncodeBase32(sec), 30+30*(i%2))
	}
	return b.Bytes()
}

const benchRows = 10000

func BenchmarkEntraReader(b *testing.B) {
	in := entraInput(benchRows)
	f := lookup(b, "entra")
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		r := f.Open(bytes.NewReader(in), "b", Options{})
		n := 0
		for {
			t, _, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(t.Secret)
			r.(interface{ Recycle(*seed.Token) }).Recycle(t) // as the pipeline does
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkEntraEncodingCSV(b *testing.B) {
	in := entraInput(benchRows)
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		r := csv.NewReader(bytes.NewReader(in))
		r.ReuseRecord = true
		r.Read()
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			t := &seed.Token{Kind: seed.TOTP, Serial: rec[1], User: rec[0], Manufacturer: rec[4], Model: rec[5]}
			if t.Secret, err = seed.DecodeBase32(rec[2]); err != nil {
				b.Fatal(err)
			}
			if n, ok := parseUint(rec[3]); ok {
				t.Period = int(n)
			}
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

type gocsvEntra struct {
	UPN          string `csv:"upn"`
	Serial       string `csv:"serial number"`
	Secret       string `csv:"secret key"`
	Interval     int    `csv:"time interval"`
	Manufacturer string `csv:"manufacturer"`
	Model        string `csv:"model"`
}

func BenchmarkEntraGocsv(b *testing.B) {
	in := entraInput(benchRows)
	b.SetBytes(int64(len(in)))
	for i := 0; i < b.N; i++ {
		err := gocsv.UnmarshalToCallbackWithError(bytes.NewReader(in), func(row gocsvEntra) error {
			t := &seed.Token{Kind: seed.TOTP, Serial: row.Serial, User: row.UPN, Period: row.Interval, Manufacturer: row.Manufacturer, Model: row.Model}
			var err error
			t.Secret, err = seed.DecodeBase32(row.Secret)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDuoWriter(b *testing.B) {
	toks := sample("duo-totp", 1000)
	w := lookup(b, "duo-totp").Create(io.Discard, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Write(toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
}

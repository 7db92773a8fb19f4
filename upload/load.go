package upload

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
)

// Load reads every token of the seed file path ("-": o.Stdin) in format
// from ("" detects it from the file's start, as convert does) and checks
// each against rules, the server's rule set, and the serials against each
// other. Nothing is returned unless the whole file is valid: the error
// wraps convert.ErrInvalid and lists every problem as
// "file:N: field: what is wrong" (N the token's place in the file), never
// quoting a secret. Callers should Wipe the tokens when done.
func Load(path, from string, o *convert.Options, rules func(*seed.Token) []*seed.FieldError) ([]*seed.Token, error) {
	if from == "" {
		if path == "-" {
			return nil, &convert.UsageError{Err: fmt.Errorf("give --from when reading standard input")}
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		head := make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		f.Close()
		ff, err := convert.Detect(head[:n])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		from = ff.Name
	}
	toks, err := convert.ReadAll(path, from, o)
	if err != nil {
		return nil, err
	}
	if err := Check(path, toks, rules); err != nil {
		for _, t := range toks {
			t.Wipe()
		}
		return nil, err
	}
	return toks, nil
}

// Check holds toks (from the source name: a file, a ledger) to rules and
// their serials to each other, as Load does: nil, or an error wrapping
// convert.ErrInvalid that lists every problem ("name:N: field: ...").
func Check(name string, toks []*seed.Token, rules func(*seed.Token) []*seed.FieldError) error {
	var probs []string
	seen := map[string]int{}
	for i, t := range toks {
		n := i + 1
		for _, fe := range rules(t) {
			if fe.Warning {
				continue
			}
			fe.File, fe.Line = name, n
			probs = append(probs, fe.Error())
		}
		if first, dup := seen[t.Serial]; dup {
			probs = append(probs, (&seed.FieldError{File: name, Line: n, Field: "serial",
				Msg: fmt.Sprintf("%q also at token %d", t.Serial, first)}).Error())
		} else {
			seen[t.Serial] = n
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%w: %s; nothing uploaded", convert.ErrInvalid, strings.Join(probs, "; "))
	}
	return nil
}

// CertPool is the system's roots plus the PEM certificates of caFile
// ("" for the system's only). A file without a certificate is an error.
func CertPool(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", caFile)
	}
	return pool, nil
}

// HTTPClient is an HTTPS client that verifies the server against roots
// (nil: the system's), TLS 1.2 or later, no redirects followed (a
// redirected POST could land elsewhere with the seed).
func HTTPClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

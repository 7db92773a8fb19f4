package pskc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// TestDowngradesRefused: what anybody who can write an encrypted PSKC file
// can do without its key is refused (RFC 6030 section 6.1.1): stripping
// every MAC (MACMethod and ValueMACs) ends the read with nothing read, and
// a secret planted in the clear beside encrypted ones is that key's error,
// never a key. No vendor file among the fixtures is written so (only a
// draft's example lacks its MACMethod), so there is no way to allow them.
func TestDowngradesRefused(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	data := writeContainer(t, WriterOptions{Key: key}, sampleTokens()[:3])

	stripped := regexp.MustCompile(`(?s)<pskc:MACMethod.*?</pskc:MACMethod>\s*`).ReplaceAll(data, nil)
	stripped = regexp.MustCompile(`<pskc:ValueMAC>[^<]*</pskc:ValueMAC>\s*`).ReplaceAll(stripped, nil)
	if bytes.Contains(stripped, []byte("ValueMAC")) || bytes.Contains(stripped, []byte("MACMethod")) {
		t.Fatal("the MACs were not all stripped")
	}
	keys, _, err := ReadAll(bytes.NewReader(stripped), Options{Key: key, File: "x.pskc"})
	var e *Error
	if len(keys) != 0 || !errors.Is(err, ErrMAC) || !errors.As(err, &e) || !e.Fatal || !strings.Contains(err.Error(), "no MACMethod") {
		t.Fatalf("MACs stripped: %d keys, err = %v", len(keys), err)
	}

	// The second key's encrypted secret replaced by one in the clear.
	planted := []byte("attacker's seed!")
	enc := regexp.MustCompile(`(?s)<pskc:EncryptedValue>.*?</pskc:ValueMAC>`)
	ms := enc.FindAllIndex(data, -1)
	if len(ms) != 3 {
		t.Fatalf("%d encrypted values", len(ms))
	}
	var b bytes.Buffer
	b.Write(data[:ms[1][0]])
	b.WriteString("<pskc:PlainValue>" + base64.StdEncoding.EncodeToString(planted) + "</pskc:PlainValue>")
	b.Write(data[ms[1][1]:])
	r, err := NewReader(bytes.NewReader(b.Bytes()), Options{Key: key, File: "x.pskc"})
	if err != nil {
		t.Fatal(err)
	}
	var read, refused int
	for {
		k, err := r.Next()
		if err != nil && err.Error() == "EOF" {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrMAC) || !strings.Contains(err.Error(), "Secret/PlainValue") || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(planted)) {
				t.Fatalf("planted key: %v", err)
			}
			refused++
			continue
		}
		if bytes.Equal(k.Secret, planted) {
			t.Fatal("the planted secret was read")
		}
		read++
	}
	if read != 2 || refused != 1 {
		t.Fatalf("%d read, %d refused", read, refused)
	}
}

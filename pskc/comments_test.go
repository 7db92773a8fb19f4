package pskc

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// manyComments is a plain PSKC file of about size bytes whose secret's
// base64 text is split into pieces of four characters by empty comments:
// many small text nodes, the shape that made text accumulation quadratic.
func manyComments(size int) ([]byte, []byte) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
 <KeyPackage>
  <DeviceInfo><SerialNo>1</SerialNo></DeviceInfo>
  <Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
   <Data><Secret><PlainValue>`)
	n := size / len("<!---->AAAA")
	for i := 0; i < n; i++ {
		b.WriteString("<!---->AAAA")
	}
	b.WriteString(`</PlainValue></Secret></Data>
  </Key>
 </KeyPackage>
</KeyContainer>
`)
	secret, _ := base64.StdEncoding.DecodeString(strings.Repeat("AAAA", n))
	return b.Bytes(), secret
}

// TestManyCommentsRead: text split by comments is read whole.
func TestManyCommentsRead(t *testing.T) {
	data, secret := manyComments(64 << 10)
	keys, _, err := ReadAll(bytes.NewReader(data), Options{})
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Secret, secret) {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}

// BenchmarkPSKCManyComments reads a 4 MB file of many comments and small
// text nodes (issue: about a minute before text accumulation was linear).
func BenchmarkPSKCManyComments(b *testing.B) {
	data, _ := manyComments(4 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := ReadAll(bytes.NewReader(data), Options{MaxSize: 8 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

package duo

import (
	"context"
	"testing"

	"github.com/tokenctl/tokenctl/internal/duostandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/upload"
)

// BenchmarkUpload100 uploads 100 tokens, half with a user, to the local
// stand-in: the client's own cost per token (lookup, create, attach over
// local TLS), not Duo's.
func BenchmarkUpload100(b *testing.B) {
	rows := uploadtest.EntraRows(100, []string{"ann@contoso.com"})
	toks, err := upload.Load(uploadtest.EntraFile(b, rows), "entra", nil, Check)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		s := duostandin.New(ikey, skey)
		s.AddUser("ann@contoso.com")
		c, err := New(Config{Host: s.Host(), IKey: ikey, SKey: skey, RootCAs: s.CertPool()})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := c.Upload(context.Background(), toks)
		if err != nil || rep.Created != 100 {
			b.Fatal(err)
		}
		s.Close()
	}
}

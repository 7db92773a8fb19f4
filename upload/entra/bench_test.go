package entra

import (
	"context"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/graphstandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/upload"
)

// BenchmarkUpload100 creates, assigns and activates 100 tokens (half with
// a user) on the local stand-in: the client's own cost per token.
func BenchmarkUpload100(b *testing.B) {
	rows := uploadtest.EntraRows(100, []string{"ann@contoso.com"})
	toks, err := upload.Load(uploadtest.EntraFile(b, rows), "entra", nil, Check)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		s := graphstandin.New(bearer)
		s.AddUser("ann@contoso.com")
		clk := &upload.FakeClock{T: time.Date(2026, 12, 5, 12, 0, 10, 0, time.UTC)}
		s.Now = clk.Now
		c, err := New(Config{BaseURL: s.BaseURL(), Auth: StaticToken(bearer), RootCAs: s.CertPool(), Clock: clk, Activate: true})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := c.Upload(context.Background(), toks)
		if err != nil || rep.Created != 100 || rep.Activated != 50 {
			b.Fatal(err)
		}
		s.Close()
	}
}

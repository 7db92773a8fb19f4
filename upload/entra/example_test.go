package entra_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tokenctl/tokenctl/upload"
	"github.com/tokenctl/tokenctl/upload/entra"
)

// What `tokenctl upload entra --from entra [--graph-url URL] [--ca-file F]
// [--activate] [--dry-run] FILE` does, with TOKENCTL_GRAPH_TOKEN or a
// device-code sign-in.
func Example() {
	auth, ok := entra.EnvToken()
	if !ok {
		var err error
		auth, err = entra.DeviceCode("contoso.onmicrosoft.com", "APP-CLIENT-ID", func(msg string) { fmt.Fprintln(os.Stderr, msg) })
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	roots, err := upload.CertPool("")
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, err := upload.Load("tokens.csv", "entra", nil, entra.Check)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := entra.New(entra.Config{Auth: auth, RootCAs: roots, Activate: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := c.Upload(context.Background(), toks)
	rep.WriteJSON(os.Stdout)
	if err == nil {
		err = rep.Err()
	}
	if err != nil {
		fmt.Println(err)
	}
}

package duo_test

import (
	"context"
	"fmt"
	"os"

	"github.com/tokenctl/tokenctl/upload"
	"github.com/tokenctl/tokenctl/upload/duo"
)

// What `tokenctl upload duo --from entra --api-host HOST [--ca-file F]
// [--dry-run] [--replace] FILE` does, with the keys from DUO_IKEY and
// DUO_SKEY (or files, read by internal/secretin).
func Example() {
	roots, err := upload.CertPool(os.Getenv("CA_FILE")) // "" = system roots
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, err := upload.Load("tokens.csv", "entra", nil, duo.Check)
	if err != nil {
		fmt.Println(err) // wraps convert.ErrInvalid: exit 1, nothing sent
		return
	}
	defer func() {
		for _, t := range toks {
			t.Wipe()
		}
	}()
	c, err := duo.New(duo.Config{Host: "api-xxxxxxxx.duosecurity.com", IKey: os.Getenv("DUO_IKEY"), SKey: os.Getenv("DUO_SKEY"), RootCAs: roots})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := c.Upload(context.Background(), toks)
	rep.WriteText(os.Stdout) // or rep.WriteJSON for --json
	if err == nil {
		err = rep.Err()
	}
	if err != nil {
		fmt.Println(err)
	}
}

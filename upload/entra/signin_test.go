package entra

import (
	"context"
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/convert"
)

// TestSignIn: the bearer token in the environment comes first; without it,
// a tenant and a client are needed (a usage error), and a client secret
// file that cannot be read is an error naming the client secret.
func TestSignIn(t *testing.T) {
	t.Setenv(EnvTokenVar, "Bearer abc")
	ts, err := SignIn("", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := ts.Token(context.Background()); tok != "abc" {
		t.Errorf("token %q", tok)
	}
	t.Setenv(EnvTokenVar, "")
	var ue *convert.UsageError
	if _, err := SignIn("contoso", "", "", nil); !errors.As(err, &ue) {
		t.Errorf("no client id: %v", err)
	}
	t.Setenv(ClientSecretVar, "")
	if _, err := SignIn("contoso", "id", t.TempDir()+"/none", nil); err == nil || err.Error()[:14] != "client secret:" {
		t.Errorf("no secret file: %v", err)
	}
	if ts, err := SignIn("contoso.onmicrosoft.com", "00000000-0000-0000-0000-000000000000", "", nil); err != nil {
		t.Errorf("device code: %v", err)
	} else if _, ok := ts.(*Credential); !ok {
		t.Errorf("device code: %T", ts)
	}
}

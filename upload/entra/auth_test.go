package entra

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/tokenctl/tokenctl/internal/graphstandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
)

func TestEnvToken(t *testing.T) {
	t.Setenv(EnvTokenVar, "")
	if _, ok := EnvToken(); ok {
		t.Fatal("empty variable gave a token")
	}
	t.Setenv(EnvTokenVar, " Bearer abc.def \n")
	ts, ok := EnvToken()
	if !ok {
		t.Fatal("no token")
	}
	if tok, err := ts.Token(context.Background()); err != nil || tok != "abc.def" {
		t.Fatalf("%q %v", tok, err)
	}
}

type fakeCred struct {
	scopes []string
	calls  int
}

func (f *fakeCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.calls++
	f.scopes = o.Scopes
	return azcore.AccessToken{Token: bearer, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// An azidentity credential is asked for Graph's .default scope before each
// request, and its token is what the stand-in checks.
func TestCredentialAgainstStandin(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	fc := &fakeCred{}
	c, _ := newClient(t, s, func(c *Config) { c.Auth = &Credential{Cred: fc, Scope: ScopeFor(DefaultBaseURL)} })
	tok := &seed.Token{Serial: "A1", Kind: seed.TOTP, Secret: uploadtest.Secret("A1"), Manufacturer: "M", Model: "X"}
	if _, err := c.Upload(context.Background(), []*seed.Token{tok}); err != nil {
		t.Fatal(err)
	}
	if len(fc.scopes) != 1 || fc.scopes[0] != "https://graph.microsoft.com/.default" || fc.calls != 2 || len(s.Devices()) != 1 {
		t.Fatalf("scopes %v, %d calls, %d devices", fc.scopes, fc.calls, len(s.Devices()))
	}
	if got := ScopeFor("https://graph.microsoft.us/beta"); got != "https://graph.microsoft.us/.default" {
		t.Fatal(got)
	}
}

// The azidentity constructors build without touching the network.
func TestAzureConstructors(t *testing.T) {
	const tenant, client = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"
	if _, err := DeviceCode(tenant, client, func(string) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := ClientSecret(tenant, client, "not-a-real-secret"); err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tokenctl test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})...)
	if _, err := ClientCertificate(tenant, client, pemData, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ClientCertificate(tenant, client, []byte("not a certificate"), nil); err == nil {
		t.Fatal("garbage accepted as a certificate")
	}
}

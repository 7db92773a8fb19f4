package entra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/secretin"
)

// TokenSource gives the bearer token for each Graph request. It is asked
// again before every request (and every retry), so a source may refresh.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a bearer token obtained elsewhere (az account
// get-access-token, Graph Explorer...).
type StaticToken string

func (s StaticToken) Token(context.Context) (string, error) {
	if s == "" {
		return "", errors.New("empty bearer token")
	}
	return string(s), nil
}

// EnvTokenVar is the environment variable EnvToken reads.
const EnvTokenVar = "TOKENCTL_GRAPH_TOKEN"

// EnvToken is the bearer token in TOKENCTL_GRAPH_TOKEN; ok is false when
// the variable is unset or empty. A leading "Bearer " is dropped.
func EnvToken() (ts TokenSource, ok bool) {
	v := strings.TrimSpace(os.Getenv(EnvTokenVar))
	v = strings.TrimSpace(strings.TrimPrefix(v, "Bearer "))
	if v == "" {
		return nil, false
	}
	return StaticToken(v), true
}

// Credential adapts an azidentity credential: each Token call asks it for
// a token with Scope (which it caches and refreshes itself).
type Credential struct {
	Cred azcore.TokenCredential
	// Scope is "https://graph.microsoft.com/.default" unless set (see
	// ScopeFor for another Graph endpoint).
	Scope string
}

func (c *Credential) Token(ctx context.Context) (string, error) {
	scope := c.Scope
	if scope == "" {
		scope = DefaultScope
	}
	tk, err := c.Cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		return "", fmt.Errorf("signing in to Microsoft Entra: %w", err)
	}
	return tk.Token, nil
}

// DefaultScope is Microsoft Graph's, with the permissions granted to the
// application (or consented for the user).
const DefaultScope = "https://graph.microsoft.com/.default"

// ScopeFor is the .default scope of the Graph endpoint at baseURL
// (national clouds: https://graph.microsoft.us/beta...).
func ScopeFor(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return DefaultScope
	}
	return u.Scheme + "://" + u.Host + "/.default"
}

// DeviceCode signs a person in at a desk: prompt shows the message with
// the code to enter at https://microsoft.com/devicelogin. The app
// registration (clientID, a public client) needs the delegated
// permissions Policy.ReadWrite.AuthenticationMethod and
// UserAuthenticationMethod.ReadWrite.All, and the person the roles
// Authentication Policy Administrator and Authentication Administrator.
func DeviceCode(tenantID, clientID string, prompt func(message string)) (TokenSource, error) {
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		TenantID: tenantID, ClientID: clientID,
		UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
			if prompt != nil {
				prompt(m.Message)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	return &Credential{Cred: cred}, nil
}

// ClientSecret signs an application in with a client secret (automation).
// The application needs the application permissions
// Policy.ReadWrite.AuthenticationMethod, UserAuthenticationMethod.ReadWrite.All
// and User.Read.All, with admin consent.
func ClientSecret(tenantID, clientID, secret string) (TokenSource, error) {
	cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, secret, nil)
	if err != nil {
		return nil, err
	}
	return &Credential{Cred: cred}, nil
}

// ClientCertificate signs an application in with a certificate and its
// private key (PEM or PKCS#12 in certData; password for an encrypted one).
// Permissions as for ClientSecret.
func ClientCertificate(tenantID, clientID string, certData, password []byte) (TokenSource, error) {
	certs, key, err := azidentity.ParseCertificates(certData, password)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	cred, err := azidentity.NewClientCertificateCredential(tenantID, clientID, certs, key, nil)
	if err != nil {
		return nil, err
	}
	return &Credential{Cred: cred}, nil
}

// ClientSecretVar is the environment variable SignIn reads a client
// secret from when no file is given.
const ClientSecretVar = "AZURE_CLIENT_SECRET"

// SignIn chooses how to sign in, as tokenctl upload entra does: the
// bearer token in TOKENCTL_GRAPH_TOKEN (EnvToken); else, with tenantID
// and clientID, a client secret read from secretFile ("-": standard
// input) or AZURE_CLIENT_SECRET (ClientSecret), or a device-code sign-in
// whose instructions go to prompt (DeviceCode). Neither a token nor a
// tenant and client is a usage error.
func SignIn(tenantID, clientID, secretFile string, prompt func(message string)) (TokenSource, error) {
	if ts, ok := EnvToken(); ok {
		return ts, nil
	}
	if tenantID == "" || clientID == "" {
		return nil, &convert.UsageError{Err: errors.New("sign in: set " + EnvTokenVar + ", or give --tenant and --client-id")}
	}
	if secretFile == "" && os.Getenv(ClientSecretVar) == "" {
		return DeviceCode(tenantID, clientID, prompt)
	}
	src := secretin.Source{File: secretFile, Flag: "client-secret"}
	if secretFile == "" {
		src.Env = ClientSecretVar
	}
	s, err := src.Read()
	if err != nil {
		return nil, &secretin.ReadError{What: "client secret", Err: err}
	}
	return ClientSecret(tenantID, clientID, s)
}

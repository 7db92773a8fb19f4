package convert

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/secretin"
)

func TestPSKCSecrets(t *testing.T) {
	const key = "000102030405060708090a0b0c0d0e0f"
	t.Setenv("TEST_PSKC_KEY", key)
	t.Setenv("TEST_PSKC_PW", "  correct horse \n")
	t.Setenv("TEST_PSKC_BAD", "00zz")
	var o Options
	if err := (&PSKCSecrets{Key: secretin.Source{Flag: "pskc-key", Env: "TEST_PSKC_KEY"}}).Apply(&o); err != nil || len(o.PSKCKey) != 16 || o.PSKCKey[15] != 0x0f {
		t.Fatalf("key: %x %v", o.PSKCKey, err)
	}
	if err := (&PSKCSecrets{Password: secretin.Source{Flag: "pskc-password", Env: "TEST_PSKC_PW"}}).Apply(&o); err != nil || string(o.PSKCPassword) != "correct horse" {
		t.Fatalf("password: %q %v", o.PSKCPassword, err)
	}
	for _, p := range []PSKCSecrets{
		{Key: secretin.Source{Env: "TEST_PSKC_KEY"}, Password: secretin.Source{Env: "TEST_PSKC_PW"}},
		{Key: secretin.Source{Env: "TEST_PSKC_BAD"}},
		{Password: secretin.Source{Env: "TEST_PSKC_UNSET"}},
	} {
		err := p.Apply(&Options{})
		var ue *UsageError
		if !errors.As(err, &ue) || strings.Contains(err.Error(), "zz") || strings.Contains(err.Error(), "horse") {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

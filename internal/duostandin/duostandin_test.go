package duostandin

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/testpeer"
)

// The canonical text of the example in Duo's Admin API documentation
// ("Authentication": Date, method, host, path, sorted parameters with
// %20 for a space).
func TestCanonDocumentedExample(t *testing.T) {
	got := Canon("Tue, 21 Aug 2012 17:29:18 -0000", "post", "API-XXXXXXXX.duosecurity.com", "/admin/v1/users",
		url.Values{"username": {"root"}, "realname": {"First Last"}})
	want := "Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n/admin/v1/users\nrealname=First%20Last&username=root"
	if got != want {
		t.Fatalf("canon:\n%s\nwant:\n%s", got, want)
	}
}

// Sign agrees with Duo's documented signing function (Python: quote each
// key and value with '~' safe, sort by key, HMAC over the lines; SHA-512
// for signature version 2), run by python3, on parameters that need
// escaping.
func TestSignMatchesDocumentedPython(t *testing.T) {
	py := testpeer.Command(t, "python3")
	const script = `
import base64, hmac, hashlib, sys, urllib.parse
date, method, host, path, skey, ikey = sys.argv[1:7]
params = dict(a.split("=", 1) for a in sys.argv[7:])
canon = [date, method.upper(), host.lower(), path]
args = []
for key in sorted(params.keys()):
    args.append("%s=%s" % (urllib.parse.quote(key, "~"), urllib.parse.quote(params[key], "~")))
canon.append("&".join(args))
sig = hmac.new(skey.encode(), "\n".join(canon).encode(), hashlib.sha512)
print("Basic " + base64.b64encode(("%s:%s" % (ikey, sig.hexdigest())).encode()).decode())
`
	params := map[string]string{"username": "ann+o'neil@contoso.com", "realname": "Ann Ø Neil ~*", "serial": "TK 01/02", "secret": "00ff"}
	args := []string{"-c", script, "Sat, 05 Dec 2026 12:00:00 +0000", "POST", "Api-X.duosecurity.com:8443", "/admin/v1/tokens", "SKEYsecret", "DIKEY"}
	v := url.Values{}
	for k, val := range params {
		args = append(args, k+"="+val)
		v.Set(k, val)
	}
	out, err := exec.Command(py, args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := Sign("DIKEY", "SKEYsecret", "Sat, 05 Dec 2026 12:00:00 +0000", "POST", "Api-X.duosecurity.com:8443", "/admin/v1/tokens", v)
	if got != strings.TrimSpace(string(out)) {
		t.Fatalf("Sign %s\npython %s", got, out)
	}
}

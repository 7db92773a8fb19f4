package convert

import "testing"

func TestSniffPSKC(t *testing.T) {
	for in, want := range map[string]bool{
		`<?xml version="1.0"?><KeyContainer Version="1.0">`:                             true,
		"\xef\xbb\xbf\n  <?xml version='1.0'?>\n<pskc:KeyContainer>":                    true,
		`<SecretContainer xmlns="http://www.openauthentication.org/OATH/2006/08/PSKC">`: true,
		"serial,secret\nKeyContainer,ABCD\n":                                            false,
		`<?xml version="1.0"?><html>`:                                                   false,
		"":                                                                              false,
	} {
		if got := sniffPSKC([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %v", in, got)
		}
	}
	f, err := Detect([]byte(`<?xml version="1.0"?>` + "\n" + `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">`))
	if err != nil || f.Name != "pskc" {
		t.Fatalf("Detect: %v %v", f, err)
	}
}

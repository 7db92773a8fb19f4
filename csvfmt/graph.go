package csvfmt

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/tokenctl/tokenctl/seed"
)

// entra-graph: the JSON body of the Microsoft Graph (beta) bulk call that
// creates hardware OATH tokens:
//
//	PATCH https://graph.microsoft.com/beta/directory/authenticationMethodDevices/hardwareOathDevices
//	{"@context": "#$delta", "value": [{"@contentId": "1", "serialNumber": …,
//	  "manufacturer": …, "model": …, "secretKey": base32,
//	  "timeIntervalInSeconds": 30, "hashFunction": "hmacsha1",
//	  "assignTo": {"id": user}}, …]}
//
// Write only. The writer streams: it writes the opening on the first token
// and closes the array in Close.

func entraGraphFormat() Format {
	return Format{
		Name:     "entra-graph",
		Aliases:  []string{"graph"},
		Summary:  "Microsoft Graph hardwareOathDevices bulk PATCH body (JSON, @context #$delta); write only",
		Encoding: seed.Base32,
		Create:   func(w io.Writer, o Options) seed.Writer { return &graphWriter{w: bufio.NewWriterSize(w, 64<<10)} },
	}
}

type graphDevice struct {
	ContentID    string       `json:"@contentId"`
	SerialNumber string       `json:"serialNumber"`
	Manufacturer string       `json:"manufacturer"`
	Model        string       `json:"model"`
	SecretKey    string       `json:"secretKey"`
	Interval     int          `json:"timeIntervalInSeconds"`
	HashFunction string       `json:"hashFunction"`
	DisplayName  string       `json:"displayName,omitempty"`
	AssignTo     *graphAssign `json:"assignTo,omitempty"`
}

type graphAssign struct {
	ID string `json:"id"`
}

type graphWriter struct {
	w *bufio.Writer
	n int
}

func (g *graphWriter) Write(t *seed.Token) error {
	if t.Kind != seed.TOTP {
		return fmt.Errorf("entra-graph: %s tokens cannot be imported (TOTP only)", t.Kind)
	}
	var hf string
	switch t.Hash {
	case seed.SHA1:
		hf = "hmacsha1"
	case seed.SHA256:
		hf = "hmacsha256"
	default:
		return fmt.Errorf("entra-graph: %s is not supported (hmacsha1 or hmacsha256)", t.Hash)
	}
	if p := t.EffectivePeriod(); p != 30 && p != 60 {
		return fmt.Errorf("entra-graph: time interval %d s (want 30 or 60)", p)
	}
	g.n++
	d := graphDevice{
		ContentID: strconv.Itoa(g.n), SerialNumber: t.Serial, Manufacturer: t.Manufacturer, Model: t.Model,
		SecretKey: seed.EncodeBase32(t.Secret), Interval: t.EffectivePeriod(), HashFunction: hf,
		DisplayName: t.Label("displayName"),
	}
	if t.User != "" {
		d.AssignTo = &graphAssign{ID: t.User}
	}
	b, err := json.MarshalIndent(d, "    ", "  ")
	if err != nil {
		return err
	}
	if g.n == 1 {
		g.w.WriteString("{\n  \"@context\": \"#$delta\",\n  \"value\": [\n    ")
	} else {
		g.w.WriteString(",\n    ")
	}
	_, err = g.w.Write(b)
	seed.Zero(b)
	return err
}

func (g *graphWriter) Close() error {
	if g.n == 0 {
		g.w.WriteString("{\n  \"@context\": \"#$delta\",\n  \"value\": []\n}\n")
	} else {
		g.w.WriteString("\n  ]\n}\n")
	}
	return g.w.Flush()
}

// Package entra uploads hardware OATH tokens to Microsoft Entra ID through
// Microsoft Graph (beta): for each token it looks the serial up
// (GET /directory/authenticationMethodDevices/hardwareOathDevices with
// $filter=serialNumber eq '…'), creates the device when it is not there
// (POST, with secret, step and hash), assigns it to the user the file
// names (POST /users/{id}/authentication/hardwareOathMethods with the
// device's id) and, when asked, activates it (POST …/{id}/activate) with a
// verification code computed from the seed at the current time step,
// keeping activations under Microsoft's 200 per 5 minutes.
//
// It talks to Graph with net/http and the few typed structs below, not
// the generated Graph SDK (very large to compile for five calls).
// Requests that meet a 429 are sent again, whole, after the Retry-After
// the server gave (upload.Retry). A refused token (401) or a missing
// permission (403) stops the run, and the 403 error names the permission
// and the role the call needs.
package entra

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/upload"
)

// DefaultBaseURL is Graph's beta endpoint, where the hardware OATH APIs are.
const DefaultBaseURL = "https://graph.microsoft.com/beta"

// ActivationLimit is Microsoft's limit on activations: 200 per 5 minutes.
var ActivationLimit = struct {
	N      int
	Period time.Duration
}{200, 5 * time.Minute}

// Config is one upload to one tenant.
type Config struct {
	// BaseURL is the Graph root (default DefaultBaseURL).
	BaseURL string
	// Auth gives the bearer token.
	Auth TokenSource
	// RootCAs verifies the server (nil: the system's roots).
	RootCAs *x509.CertPool
	// Activate activates each assigned device with a computed code.
	Activate bool
	// DryRun looks serials and users up but changes nothing.
	DryRun bool
	// Manufacturer and Model fill tokens without them (Graph requires both).
	Manufacturer, Model string
	Retry               *upload.Retry
	Clock               upload.Clock
	// Activations bounds the activation rate (nil: ActivationLimit).
	Activations *upload.Window
	Timeout     time.Duration
	OnResult    func(upload.Result)
}

// Client uploads to one tenant.
type Client struct {
	cfg   Config
	base  string
	http  *http.Client
	retry *upload.Retry
	clock upload.Clock
	win   *upload.Window
	users map[string]*graphUser
}

// ErrAuth is wrapped when Graph refuses the token (401) or a permission
// (403); the run stops at once.
var ErrAuth error = &upload.ServerError{Msg: "graph: refused"}

// New checks cfg; it sends nothing.
func New(cfg Config) (*Client, error) {
	if cfg.Auth == nil {
		return nil, fmt.Errorf("graph: no credentials: set %s or sign in (device code, client secret or certificate)", EnvTokenVar)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("graph URL %q: want https://host/path", cfg.BaseURL)
	}
	c := &Client{cfg: cfg, base: base, retry: cfg.Retry, clock: cfg.Clock, win: cfg.Activations, users: map[string]*graphUser{}}
	if c.clock == nil {
		c.clock = upload.SystemClock{}
	}
	if c.retry == nil {
		c.retry = &upload.Retry{}
	}
	if c.retry.Clock == nil {
		c.retry.Clock = c.clock
	}
	if c.win == nil {
		c.win = &upload.Window{N: ActivationLimit.N, Period: ActivationLimit.Period}
	}
	if c.win.Clock == nil {
		c.win.Clock = c.clock
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	c.http = upload.HTTPClient(cfg.RootCAs, timeout)
	return c, nil
}

// Device is a hardwareOathTokenAuthenticationMethodDevice.
type Device struct {
	ID                    string    `json:"id,omitempty"`
	DisplayName           string    `json:"displayName,omitempty"`
	SerialNumber          string    `json:"serialNumber"`
	Manufacturer          string    `json:"manufacturer"`
	Model                 string    `json:"model"`
	SecretKey             string    `json:"secretKey,omitempty"` // base32; write only
	TimeIntervalInSeconds int       `json:"timeIntervalInSeconds,omitempty"`
	HashFunction          string    `json:"hashFunction,omitempty"` // hmacsha1, hmacsha256
	Status                string    `json:"status,omitempty"`       // available, assigned, activated, failedActivation
	AssignedTo            *Identity `json:"assignedTo,omitempty"`
}

// String keeps the secret out of %v.
func (d Device) String() string {
	return fmt.Sprintf("device %s serial %s (%s)", d.ID, d.SerialNumber, d.Status)
}

// Identity is Graph's identity (id and display name).
type Identity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
}

// Method is a hardwareOathAuthenticationMethod (a device assigned to a user).
type Method struct {
	ID     string  `json:"id"`
	Device *Device `json:"device,omitempty"`
}

type graphUser struct {
	ID  string `json:"id"`
	UPN string `json:"userPrincipalName"`
}

type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// APIError is an answer other than success (besides 401/403).
type APIError struct {
	Status        int
	Code, Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("Graph answered %d %s: %s", e.Status, e.Code, e.Message)
}

// need says which permission and role a call needs, for a 403.
type need struct{ perm, role string }

var (
	needDevices = need{"Policy.ReadWrite.AuthenticationMethod", "Authentication Policy Administrator"}
	needMethods = need{"UserAuthenticationMethod.ReadWrite.All", "Authentication Administrator (Privileged Authentication Administrator for admin users)"}
	needUsers   = need{"User.Read.All", "Directory Readers"}
)

// Permissions lists what an upload needs, for --help.
const Permissions = "Graph permissions: Policy.ReadWrite.AuthenticationMethod (create and look up devices), " +
	"UserAuthenticationMethod.ReadWrite.All (assign and activate), User.Read.All (look users up); " +
	"signed in as a person, the roles Authentication Policy Administrator and Authentication Administrator " +
	"(Privileged Authentication Administrator to assign tokens to administrators)"

// call sends one request (again, whole, after a 429) and decodes the answer.
func (c *Client) call(ctx context.Context, method, path string, in, out any, n need) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
		defer seed.Zero(body) // may hold a secret key
	}
	var status int
	var data []byte
	err := c.retry.Do(ctx, func() error {
		tok, err := c.cfg.Auth.Token(ctx)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrAuth, err)
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return fmt.Errorf("graph: %s %s: %w: %w", method, pathOnly(path), upload.ErrTransport, err)
		}
		defer resp.Body.Close()
		if rl := upload.RateLimitedFrom(resp, c.clock.Now()); rl != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			return rl
		}
		status = resp.StatusCode
		data, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		return err
	})
	if err != nil {
		return err
	}
	if status >= 200 && status < 300 {
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("graph: %s %s: unexpected answer: %v", method, pathOnly(path), err)
			}
		}
		return nil
	}
	var ge graphError
	json.Unmarshal(data, &ge)
	if d, ok := in.(*Device); ok && len(d.SecretKey) >= 4 {
		// Should Graph echo the secret key in a message, drop it.
		ge.Error.Message = strings.ReplaceAll(ge.Error.Message, d.SecretKey, "[secret]")
	}
	switch status {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (401 %s): Graph did not accept the bearer token (expired, for another audience or tenant?)", ErrAuth, ge.Error.Message)
	case http.StatusForbidden:
		return fmt.Errorf("%w (403 %s) on %s %s: needs the Graph permission %s, and signed in as a person the role %s",
			ErrAuth, ge.Error.Message, method, pathOnly(path), n.perm, n.role)
	}
	return &APIError{Status: status, Code: ge.Error.Code, Message: ge.Error.Message}
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

const devicesPath = "/directory/authenticationMethodDevices/hardwareOathDevices"

// Check is Entra's rule set for one token (the entra-graph rules: TOTP,
// 6 digits, SHA-1 or SHA-256, 30 or 60 s, manufacturer and model).
func Check(t *seed.Token) []*seed.FieldError {
	probs, err := convert.Check("entra-graph", t)
	if err != nil {
		return []*seed.FieldError{{Field: "format", Msg: err.Error()}}
	}
	return probs
}

// CheckFill is Check for files whose tokens may lack manufacturer and
// model: it fills the empty ones with the given defaults first (as Upload
// does with Config.Manufacturer and Config.Model), for upload.Load.
func CheckFill(manufacturer, model string) func(*seed.Token) []*seed.FieldError {
	return func(t *seed.Token) []*seed.FieldError {
		if t.Manufacturer == "" {
			t.Manufacturer = manufacturer
		}
		if t.Model == "" {
			t.Model = model
		}
		return Check(t)
	}
}

func hashName(h seed.Hash) string {
	if h == seed.SHA256 {
		return "hmacsha256"
	}
	return "hmacsha1"
}

func fatal(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, upload.ErrBudget) || errors.Is(err, upload.ErrTransport) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Upload sends the tokens one after the other and reports each; it checks
// them all first and sends nothing when one breaks a rule. The error is
// non-nil when the run stopped (ErrAuth, upload.ErrBudget, the context).
func (c *Client) Upload(ctx context.Context, tokens []*seed.Token) (*upload.Report, error) {
	rep := &upload.Report{Server: "entra", Endpoint: c.base, DryRun: c.cfg.DryRun}
	var probs []string
	for i, t := range tokens {
		if t.Manufacturer == "" {
			t.Manufacturer = c.cfg.Manufacturer
		}
		if t.Model == "" {
			t.Model = c.cfg.Model
		}
		for _, fe := range Check(t) {
			if !fe.Warning {
				fe.File, fe.Line = "token", i+1
				probs = append(probs, fe.Error())
			}
		}
	}
	if len(probs) > 0 {
		return rep, fmt.Errorf("%w: %s; nothing uploaded", convert.ErrInvalid, strings.Join(probs, "; "))
	}
	return upload.Each(ctx, rep, tokens, c.clock, c.cfg.OnResult, c.one, fatal)
}

func (c *Client) user(ctx context.Context, name string) (*graphUser, error) {
	if u, ok := c.users[name]; ok {
		return u, nil
	}
	var u graphUser
	err := c.call(ctx, http.MethodGet, "/users/"+url.PathEscape(name)+"?$select=id,userPrincipalName", nil, &u, needUsers)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		c.users[name] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.users[name] = &u
	return &u, nil
}

func (c *Client) one(ctx context.Context, t *seed.Token) (upload.Result, error) {
	res := upload.Result{Serial: t.Serial, Type: fmt.Sprintf("%s/%ds", hashName(t.Hash), t.EffectivePeriod()), User: t.User}
	var found struct {
		Value []Device `json:"value"`
	}
	q := "?$filter=" + url.QueryEscape("serialNumber eq '"+strings.ReplaceAll(t.Serial, "'", "''")+"'")
	if err := c.call(ctx, http.MethodGet, devicesPath+q, nil, &found, needDevices); err != nil {
		return res, err
	}
	var dev Device
	switch {
	case len(found.Value) > 0:
		dev = found.Value[0]
		res.Existed, res.ObjectID = true, dev.ID
		res.Note = "serial already in Entra, kept (Graph does not give its secret back to compare)"
	case c.cfg.DryRun:
		res.Planned = append(res.Planned, "create")
	default:
		in := Device{SerialNumber: t.Serial, Manufacturer: t.Manufacturer, Model: t.Model,
			SecretKey: seed.EncodeBase32(t.Secret), TimeIntervalInSeconds: t.EffectivePeriod(), HashFunction: hashName(t.Hash)}
		err := c.call(ctx, http.MethodPost, devicesPath, &in, &dev, needDevices)
		in.SecretKey = ""
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// There after all (directory replication lag, a concurrent
			// upload): look again and keep it, never make a second.
			found.Value = nil
			if err := c.call(ctx, http.MethodGet, devicesPath+q, nil, &found, needDevices); err != nil {
				return res, err
			}
			if len(found.Value) == 0 {
				return res, fmt.Errorf("creating: Graph says the serial exists but does not list it yet (directory replication); run again in a few minutes")
			}
			dev = found.Value[0]
			res.Existed, res.ObjectID = true, dev.ID
			res.Note = "serial appeared in Entra while uploading, kept (its secret cannot be compared)"
			break
		}
		if err != nil {
			return res, fmt.Errorf("creating: %w", err)
		}
		res.Created, res.ObjectID, res.At = true, dev.ID, c.clock.Now()
		if dev.Status == "" {
			dev.Status = "available"
		}
	}
	if t.User == "" {
		return res, nil
	}
	u, err := c.user(ctx, t.User)
	if err != nil {
		return res, err
	}
	if u == nil {
		return res, fmt.Errorf("user %q not found in the directory; not created: add the user, then run again", t.User)
	}
	res.UserID = u.ID
	methodID := ""
	switch {
	case dev.AssignedTo != nil && dev.AssignedTo.ID != "" && dev.AssignedTo.ID != u.ID:
		return res, fmt.Errorf("device is assigned to another user (%s %s); unassign it in Entra first", dev.AssignedTo.ID, dev.AssignedTo.DisplayName)
	case dev.AssignedTo != nil && dev.AssignedTo.ID == u.ID:
		res.Note += "; already assigned to " + t.User
		if !c.cfg.Activate || dev.Status == "activated" {
			break
		}
		// Find the user's method for this device, to activate it.
		var ms struct {
			Value []Method `json:"value"`
		}
		if err := c.call(ctx, http.MethodGet, "/users/"+url.PathEscape(u.ID)+"/authentication/hardwareOathMethods?$expand=device", nil, &ms, needMethods); err != nil {
			return res, err
		}
		for _, m := range ms.Value {
			if m.Device != nil && m.Device.ID == dev.ID {
				methodID = m.ID
			}
		}
		if methodID == "" {
			methodID = dev.ID
		}
	case c.cfg.DryRun:
		res.Planned = append(res.Planned, "assign")
	default:
		var m Method
		in := map[string]any{"device": map[string]string{"id": dev.ID}}
		if err := c.call(ctx, http.MethodPost, "/users/"+url.PathEscape(u.ID)+"/authentication/hardwareOathMethods", in, &m, needMethods); err != nil {
			return res, fmt.Errorf("assigning to %s: %w", t.User, err)
		}
		res.Attached, res.At = true, c.clock.Now()
		methodID = m.ID
		if methodID == "" {
			methodID = dev.ID
		}
		dev.Status = "assigned"
	}
	if !c.cfg.Activate {
		return res, nil
	}
	if dev.Status == "activated" {
		res.Note += "; already activated"
		return res, nil
	}
	if c.cfg.DryRun {
		res.Planned = append(res.Planned, "activate")
		return res, nil
	}
	if err := c.activate(ctx, t, u.ID, methodID); err != nil {
		return res, fmt.Errorf("activating: %w", err)
	}
	res.Activated, res.At = true, c.clock.Now()
	return res, nil
}

// activate posts the code of the current time step; it waits for the next
// step when the current one has under 3 seconds left, so that the code is
// still current when Graph checks it. A refused code is not retried (a
// wrong seed does not get better, and failures count against the token).
func (c *Client) activate(ctx context.Context, t *seed.Token, userID, methodID string) error {
	if err := c.win.Wait(ctx); err != nil {
		return err
	}
	p := int64(t.EffectivePeriod())
	now := c.clock.Now()
	if left := p - now.Unix()%p; left < 3 {
		if err := c.clock.Sleep(ctx, time.Duration(left)*time.Second-time.Duration(now.Nanosecond())+time.Millisecond); err != nil {
			return err
		}
		now = c.clock.Now()
	}
	code, err := t.Code(now)
	if err != nil {
		return err
	}
	in := map[string]string{"verificationCode": code}
	return c.call(ctx, http.MethodPost, "/users/"+url.PathEscape(userID)+"/authentication/hardwareOathMethods/"+url.PathEscape(methodID)+"/activate", in, nil, needMethods)
}

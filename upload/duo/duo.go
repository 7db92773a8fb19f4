// Package duo uploads hardware tokens to Duo through the Admin API: it
// looks each serial up first (GET /admin/v1/tokens), creates the tokens
// that are not there (POST /admin/v1/tokens: HOTP-6/8 with their counter,
// TOTP-6/8 with their step, YubiKey AES with private ID and key), attaches
// each to the user the file names (GET /admin/v1/users?username=, which
// matches aliases too; POST /admin/v1/users/{id}/tokens) and reports what
// it did. A user that does not exist is reported, never created.
//
// Requests are signed by Duo's own client (github.com/duosecurity/
// duo_api_golang). That client retries a 429 itself, but re-sends the
// request with the body reader its first try already drained, so the
// retried POST arrives empty under a signature made for the full body
// (TestLibraryRetryDropsTheBody shows it against the stand-in); and its
// waits ignore Retry-After and cannot be bounded. Here its HTTP client
// turns a 429 into an error before the library sees it, and
// upload.Retry calls the library again: a fresh Date, a fresh signature
// and the whole body, after the wait the server asked for.
//
// Duo cannot give a token's secret back, so a serial that is already
// there cannot be compared with the file: it is kept and reported as
// "existed" (or deleted and created again with Replace).
package duo

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/upload"
)

// Config is one Duo Admin API application.
type Config struct {
	// Host is the API hostname (api-XXXXXXXX.duosecurity.com), with a
	// port for a private endpoint.
	Host string
	// IKey and SKey are the Admin API application's integration and
	// secret keys. Neither appears in any error or report.
	IKey, SKey string
	// RootCAs verifies the server (nil: the system's roots). TLS is
	// always verified.
	RootCAs *x509.CertPool
	// Replace deletes a token whose serial is already there and creates
	// it again from the file.
	Replace bool
	// DryRun looks serials and users up but changes nothing.
	DryRun bool
	// Retry bounds the waits on 429 (nil: upload.Retry defaults).
	Retry *upload.Retry
	// Clock is the time seen (nil: the system's).
	Clock upload.Clock
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// OnResult, when set, sees each token's result as soon as it is known
	// (progress, the ledger).
	OnResult func(upload.Result)
}

// Client uploads to one Duo account.
type Client struct {
	cfg   Config
	api   *duoapi.DuoApi
	retry *upload.Retry
	clock upload.Clock
	users map[string]*duoUser // by name as given; nil value: not found
}

// ErrAuth is wrapped when Duo refuses the credentials (401) or the
// application's permissions (403): the run stops at once, without retry.
var ErrAuth error = &upload.ServerError{Msg: "duo: refused"}

// New checks cfg and prepares a client; it sends nothing.
func New(cfg Config) (*Client, error) {
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, "/ ") {
		return nil, fmt.Errorf("duo: API host %q: want a host name such as api-XXXXXXXX.duosecurity.com", cfg.Host)
	}
	if cfg.IKey == "" || cfg.SKey == "" {
		return nil, errors.New("duo: integration key and secret key are required")
	}
	c := &Client{cfg: cfg, retry: cfg.Retry, clock: cfg.Clock, users: map[string]*duoUser{}}
	if c.clock == nil {
		c.clock = upload.SystemClock{}
	}
	if c.retry == nil {
		c.retry = &upload.Retry{}
	}
	if c.retry.Clock == nil {
		c.retry.Clock = c.clock
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	hc := upload.HTTPClient(cfg.RootCAs, timeout)
	hc.Transport = &no429{base: hc.Transport, clock: c.clock}
	c.api = duoapi.NewDuoApi(cfg.IKey, cfg.SKey, cfg.Host, "tokenctl")
	c.api.SetCustomHTTPClient(hc)
	return c, nil
}

// no429 hands a 429 back as an error, so that duo_api_golang's own retry
// (which would re-send a drained body) never runs.
type no429 struct {
	base  http.RoundTripper
	clock upload.Clock
}

func (t *no429) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if rl := upload.RateLimitedFrom(resp, t.clock.Now()); rl != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, rl
	}
	return resp, nil
}

// Type is Duo's name for the token's type: h6, h8, t6, t8 or yk.
func Type(t *seed.Token) (string, error) {
	switch t.Kind {
	case seed.HOTP:
		return "h" + strconv.Itoa(t.EffectiveDigits()), nil
	case seed.TOTP:
		return "t" + strconv.Itoa(t.EffectiveDigits()), nil
	case seed.YubicoOTP:
		return "yk", nil
	}
	return "", fmt.Errorf("token type %s: Duo takes HOTP, TOTP and YubiKey AES tokens", t.Kind)
}

// Check is Duo's rule set for one token: the duo rules for OATH tokens
// (SHA-1, 6 or 8 digits, step 30 or 60), duo-yubikey's for Yubico OTP.
func Check(t *seed.Token) []*seed.FieldError {
	f := "duo"
	if t.Kind == seed.YubicoOTP {
		f = "duo-yubikey"
	}
	probs, err := convert.Check(f, t)
	if err != nil {
		return []*seed.FieldError{{Field: "format", Msg: err.Error()}}
	}
	return probs
}

// params is the create request of t.
func params(t *seed.Token, typ string) url.Values {
	p := url.Values{"type": {typ}, "serial": {t.Serial}}
	switch t.Kind {
	case seed.HOTP:
		p.Set("secret", hex.EncodeToString(t.Secret))
		p.Set("counter", strconv.FormatUint(t.Counter, 10))
	case seed.TOTP:
		p.Set("secret", hex.EncodeToString(t.Secret))
		p.Set("totp_step", strconv.Itoa(t.EffectivePeriod()))
	case seed.YubicoOTP:
		p.Set("private_id", hex.EncodeToString(t.PrivateID))
		p.Set("aes_key", hex.EncodeToString(t.Secret))
	}
	return p
}

type duoToken struct {
	ID       string    `json:"token_id"`
	Serial   string    `json:"serial"`
	Type     string    `json:"type"`
	TOTPStep int       `json:"totp_step"`
	Users    []duoUser `json:"users"`
}

type duoUser struct {
	ID       string `json:"user_id"`
	Username string `json:"username"`
}

type envelope struct {
	Stat          string          `json:"stat"`
	Code          json.RawMessage `json:"code"`
	Message       string          `json:"message"`
	MessageDetail string          `json:"message_detail"`
	Response      json.RawMessage `json:"response"`
}

// APIError is an answer other than OK (besides 401/403, which wrap ErrAuth).
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("Duo answered %d: %s", e.Status, e.Message) }

// call makes one signed request, re-signed and re-sent whole after a 429.
func (c *Client) call(ctx context.Context, method, path string, p url.Values, out any) error {
	var env envelope
	var status int
	err := c.retry.Do(ctx, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		// SignedCall sorts p's values in place; give it a copy each time.
		cp := url.Values{}
		for k, v := range p {
			cp[k] = append([]string(nil), v...)
		}
		resp, body, err := c.api.SignedCall(method, path, cp, duoapi.UseTimeout)
		if err != nil {
			var rl *upload.RateLimited
			if errors.As(err, &rl) {
				return rl
			}
			return fmt.Errorf("duo: %s %s: %w: %w", method, path, upload.ErrTransport, scrubURL(err))
		}
		status = resp.StatusCode
		env = envelope{}
		if jerr := json.Unmarshal(body, &env); jerr != nil {
			return fmt.Errorf("duo: %s %s: answer %d is not Duo's JSON", method, path, status)
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := c.scrub(strings.TrimSpace(env.Message+" "+env.MessageDetail), p)
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w (401 %s): check the integration key, the secret key and the API host %s (keys not shown)", ErrAuth, msg, c.cfg.Host)
	case status == http.StatusForbidden:
		need := "Grant read resource"
		if method != http.MethodGet {
			need = "Grant write resource"
		}
		return fmt.Errorf("%w (403 %s): the Admin API application needs the %q permission (Duo Admin Panel > Applications > Admin API)", ErrAuth, msg, need)
	case status != http.StatusOK || env.Stat != "OK":
		return &APIError{Status: status, Message: msg}
	}
	if out != nil {
		if err := json.Unmarshal(env.Response, out); err != nil {
			return fmt.Errorf("duo: %s %s: unexpected response: %v", method, path, err)
		}
	}
	return nil
}

// scrub removes the API keys and the request's secret parameters from a
// server message, should it echo them.
func (c *Client) scrub(s string, p url.Values) string {
	secrets := []string{c.cfg.SKey, c.cfg.IKey, p.Get("secret"), p.Get("aes_key"), p.Get("private_id")}
	for _, k := range secrets {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "[secret]")
			s = strings.ReplaceAll(s, strings.ToUpper(k), "[secret]")
		}
	}
	return s
}

// scrubURL keeps a transport error's cause without its URL (whose query
// holds serials and user names only, but keep errors short and plain).
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) user(ctx context.Context, name string) (*duoUser, error) {
	if u, ok := c.users[name]; ok {
		return u, nil
	}
	var list []duoUser
	if err := c.call(ctx, http.MethodGet, "/admin/v1/users", url.Values{"username": {name}}, &list); err != nil {
		return nil, err
	}
	var u *duoUser
	if len(list) == 1 {
		u = &list[0]
	} else if len(list) > 1 {
		return nil, fmt.Errorf("user %q matches %d Duo users", name, len(list))
	}
	c.users[name] = u
	return u, nil
}

// fatal reports whether err must stop the run: refused credentials or
// permissions, the retry budget spent, a cancelled context.
func fatal(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, upload.ErrBudget) || errors.Is(err, upload.ErrTransport) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Upload sends tokens one after the other and reports each. It checks
// them all against Check first and sends nothing if one breaks a rule.
// The error is non-nil when the run stopped (ErrAuth, upload.ErrBudget,
// the context); tokens that failed alone are in the report (see
// Report.Err).
func (c *Client) Upload(ctx context.Context, tokens []*seed.Token) (*upload.Report, error) {
	rep := &upload.Report{Server: "duo", Endpoint: c.cfg.Host, DryRun: c.cfg.DryRun}
	var probs []string
	for i, t := range tokens {
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

func (c *Client) one(ctx context.Context, t *seed.Token) (upload.Result, error) {
	typ, _ := Type(t)
	res := upload.Result{Serial: t.Serial, Type: typ, User: t.User}
	var found []duoToken
	if err := c.call(ctx, http.MethodGet, "/admin/v1/tokens", url.Values{"type": {typ}, "serial": {t.Serial}}, &found); err != nil {
		return res, err
	}
	var u *duoUser
	var userErr error
	if t.User != "" {
		var err error
		if u, err = c.user(ctx, t.User); err != nil {
			if fatal(err) {
				return res, err
			}
			userErr = err
		} else if u == nil {
			userErr = fmt.Errorf("user %q not found in Duo (neither a username nor an alias); not created: add the user, then run again", t.User)
		} else {
			res.UserID = u.ID
		}
	}
	var tok duoToken
	switch {
	case len(found) > 0 && !c.cfg.Replace:
		tok = found[0]
		res.Existed, res.ObjectID = true, tok.ID
		res.Note = "serial already in Duo, kept (Duo cannot give its secret back to compare; --replace deletes and creates it again)"
	case len(found) > 0:
		tok = found[0]
		res.Existed, res.ObjectID = true, tok.ID
		if c.cfg.DryRun {
			res.Planned = append(res.Planned, "replace")
			break
		}
		if err := c.call(ctx, http.MethodDelete, "/admin/v1/tokens/"+url.PathEscape(tok.ID), nil, nil); err != nil {
			return res, fmt.Errorf("deleting the existing token %s: %w", tok.ID, err)
		}
		if err := c.call(ctx, http.MethodPost, "/admin/v1/tokens", params(t, typ), &tok); err != nil {
			return res, fmt.Errorf("existing token deleted, creating it again failed: %w", err)
		}
		res.Replaced, res.ObjectID, res.At = true, tok.ID, c.clock.Now()
	case c.cfg.DryRun:
		res.Planned = append(res.Planned, "create")
	default:
		err := c.call(ctx, http.MethodPost, "/admin/v1/tokens", params(t, typ), &tok)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Message), "duplicate") {
			// There after all (made meanwhile, or the lookup missed it):
			// look again and keep it, never make a second.
			found = nil
			if err := c.call(ctx, http.MethodGet, "/admin/v1/tokens", url.Values{"type": {typ}, "serial": {t.Serial}}, &found); err != nil {
				return res, err
			}
			if len(found) == 0 {
				return res, fmt.Errorf("creating: Duo says the serial exists but does not list it; run again later")
			}
			tok = found[0]
			res.Existed, res.ObjectID = true, tok.ID
			res.Note = "serial appeared in Duo while uploading, kept (its secret cannot be compared)"
			break
		}
		if err != nil {
			return res, fmt.Errorf("creating: %w", err)
		}
		res.Created, res.ObjectID, res.At = true, tok.ID, c.clock.Now()
	}
	if t.User == "" {
		return res, nil
	}
	if userErr != nil {
		return res, userErr
	}
	for _, tu := range tok.Users {
		if tu.ID == u.ID {
			res.Note = strings.TrimPrefix(res.Note+"; already attached to "+t.User, "; ")
			return res, nil
		}
	}
	if len(tok.Users) > 0 {
		res.Note = strings.TrimPrefix(res.Note+"; also attached to "+tok.Users[0].Username, "; ")
	}
	if c.cfg.DryRun {
		res.Planned = append(res.Planned, "attach")
		return res, nil
	}
	if err := c.call(ctx, http.MethodPost, "/admin/v1/users/"+url.PathEscape(u.ID)+"/tokens", url.Values{"token_id": {tok.ID}}, nil); err != nil {
		return res, fmt.Errorf("attaching to %s: %w", t.User, err)
	}
	res.Attached, res.At = true, c.clock.Now()
	return res, nil
}

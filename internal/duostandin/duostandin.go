// Package duostandin is a local HTTPS stand-in for the parts of Duo's
// Admin API that tokenctl uploads through (/admin/v1/tokens and
// /admin/v1/users), for tests. It checks every request's signature the way
// Duo documents it (HMAC-SHA512 over the Date header, the method, the
// lower-cased host, the path and the sorted, percent-encoded parameters,
// sent as Basic ikey:hex-signature), keeps state, and injects failures
// (429 with or without Retry-After, 401, a duplicate serial) on request.
package duostandin

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is one hardware token as the stand-in holds it.
type Token struct {
	ID        string
	Type      string // h6 h8 t6 t8 yk
	Serial    string
	Secret    string // hex as sent (OATH)
	Counter   int
	TOTPStep  int
	PrivateID string // hex (yk)
	AESKey    string // hex (yk)
	Users     []string
}

// User is one Duo user.
type User struct {
	ID       string
	Username string
	Aliases  []string
}

// Fault is an answer injected in place of the real one.
type Fault struct {
	Method, Path string // the request it hits (Path: exact path)
	Nth          int    // fires on the Nth matching request counted from when it heads the queue of faults for its method and path (1: the next); faults for one request fire one after the other
	Status       int    // 429, 401...
	RetryAfter   string // Retry-After header, "" for none
	// Empty answers 200 with an empty list instead (a lookup that misses
	// what is there: replication lag, a concurrent upload).
	Empty bool
	// Message is the error message of the answer (default "injected").
	Message string

	count int
}

// Server is the stand-in. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	IKey, SKey string
	// MaxSkew bounds how far the Date header may be from now (default 5 min).
	MaxSkew time.Duration

	mu      sync.Mutex
	tokens  []*Token
	users   []*User
	faults  []*Fault
	log     []string
	creates int
	badSigs int
	next    int
}

// New starts a stand-in that accepts requests signed with ikey and skey.
func New(ikey, skey string) *Server {
	s := &Server{IKey: ikey, SKey: skey}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// Host is the host:port clients sign for and connect to.
func (s *Server) Host() string { return strings.TrimPrefix(s.URL, "https://") }

// CertPool holds the stand-in's certificate, for the client's roots.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

// AddUser adds a user and returns its id.
func (s *Server) AddUser(username string, aliases ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: fmt.Sprintf("DU%04d", len(s.users)+1), Username: username, Aliases: aliases}
	s.users = append(s.users, u)
	return u.ID
}

// AddToken puts a token there beforehand (an earlier upload, the portal).
func (s *Server) AddToken(t Token) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	t.ID = fmt.Sprintf("DH%04d", s.next)
	s.tokens = append(s.tokens, &t)
	return t.ID
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Nth < 1 {
		f.Nth = 1
	}
	ff := f
	s.faults = append(s.faults, &ff)
}

// Tokens returns a copy of the tokens held.
func (s *Server) Tokens() []Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Token, len(s.tokens))
	for i, t := range s.tokens {
		out[i] = *t
		out[i].Users = append([]string(nil), t.Users...)
	}
	return out
}

// Log lists "METHOD path status" for every request, in order.
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// Creates counts successful POST /admin/v1/tokens.
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// BadSignatures counts requests refused for their signature.
func (s *Server) BadSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigs
}

// Canon is Duo's canonical request text for signature version 2: the Date
// header, the upper-cased method, the lower-cased host, the path and the
// parameters sorted by name (then value), each percent-encoded with %20
// for a space, joined by '&'; lines joined by '\n'.
func Canon(date, method, host, path string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, pct(k)+"="+pct(v))
		}
	}
	return strings.Join([]string{date, strings.ToUpper(method), strings.ToLower(host), path, strings.Join(parts, "&")}, "\n")
}

func pct(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// Sign is the Authorization header value for a request.
func Sign(ikey, skey, date, method, host, path string, params url.Values) string {
	m := hmac.New(sha512.New, []byte(skey))
	m.Write([]byte(Canon(date, method, host, path, params)))
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ikey+":"+hex.EncodeToString(m.Sum(nil))))
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, body any) {
	s.log = append(s.log, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, status))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status >= 300 {
		msg, _ := body.(string)
		json.NewEncoder(w).Encode(map[string]any{"stat": "FAIL", "code": status*100 + 1, "message": msg})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"stat": "OK", "response": body})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Parameters: the query for GET and DELETE, the form body for POST.
	var params url.Values
	if r.Method == http.MethodPost {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			s.reply(w, r, 400, "Content-Type "+ct)
			return
		}
		if err := r.ParseForm(); err != nil {
			s.reply(w, r, 400, "body")
			return
		}
		params = r.PostForm
	} else {
		params = r.URL.Query()
	}
	// Faults come first: a 429 is answered before the request is looked at.
	key := r.Method + " " + r.URL.Path
	for i, f := range s.faults {
		if f.Method+" "+f.Path != key {
			continue
		}
		f.count++
		if f.count == f.Nth {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			if f.Empty {
				s.reply(w, r, 200, []map[string]any{})
				return
			}
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			msg := f.Message
			if msg == "" {
				msg = "injected"
			}
			s.reply(w, r, f.Status, msg)
			return
		}
		break
	}
	if !s.authentic(r, params) {
		s.badSigs++
		s.reply(w, r, 401, "Invalid signature in request credentials")
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == "/admin/v1/tokens":
		var out []map[string]any
		for _, t := range s.tokens {
			if (params.Get("type") == "" || t.Type == params.Get("type")) && (params.Get("serial") == "" || t.Serial == params.Get("serial")) {
				out = append(out, s.tokenJSON(t))
			}
		}
		if out == nil {
			out = []map[string]any{}
		}
		s.reply(w, r, 200, out)
	case r.Method == "POST" && p == "/admin/v1/tokens":
		s.createToken(w, r, params)
	case r.Method == "DELETE" && strings.HasPrefix(p, "/admin/v1/tokens/"):
		id := strings.TrimPrefix(p, "/admin/v1/tokens/")
		for i, t := range s.tokens {
			if t.ID == id {
				s.tokens = append(s.tokens[:i], s.tokens[i+1:]...)
				s.reply(w, r, 200, "")
				return
			}
		}
		s.reply(w, r, 404, "Resource not found")
	case r.Method == "GET" && p == "/admin/v1/users":
		name := params.Get("username")
		out := []map[string]any{}
		for _, u := range s.users {
			match := strings.EqualFold(u.Username, name)
			for _, a := range u.Aliases {
				match = match || strings.EqualFold(a, name)
			}
			if match {
				out = append(out, map[string]any{"user_id": u.ID, "username": u.Username})
			}
		}
		s.reply(w, r, 200, out)
	case r.Method == "POST" && strings.HasPrefix(p, "/admin/v1/users/") && strings.HasSuffix(p, "/tokens"):
		uid := strings.TrimSuffix(strings.TrimPrefix(p, "/admin/v1/users/"), "/tokens")
		var user *User
		for _, u := range s.users {
			if u.ID == uid {
				user = u
			}
		}
		var tok *Token
		for _, t := range s.tokens {
			if t.ID == params.Get("token_id") {
				tok = t
			}
		}
		if user == nil || tok == nil {
			s.reply(w, r, 404, "Resource not found")
			return
		}
		for _, u := range tok.Users {
			if u == uid {
				s.reply(w, r, 200, "")
				return
			}
		}
		tok.Users = append(tok.Users, uid)
		s.reply(w, r, 200, "")
	default:
		s.reply(w, r, 404, "no such endpoint")
	}
}

func (s *Server) tokenJSON(t *Token) map[string]any {
	users := []map[string]any{}
	for _, id := range t.Users {
		for _, u := range s.users {
			if u.ID == id {
				users = append(users, map[string]any{"user_id": u.ID, "username": u.Username})
			}
		}
	}
	m := map[string]any{"token_id": t.ID, "serial": t.Serial, "type": t.Type, "users": users}
	if t.Type == "t6" || t.Type == "t8" {
		m["totp_step"] = t.TOTPStep
	}
	return m
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p url.Values) {
	t := &Token{Type: p.Get("type"), Serial: p.Get("serial")}
	if t.Serial == "" {
		s.reply(w, r, 400, "Missing required request parameters: serial")
		return
	}
	for _, o := range s.tokens {
		if o.Serial == t.Serial && o.Type == t.Type {
			s.reply(w, r, 400, "Duplicate resource")
			return
		}
	}
	hexOK := func(v string, n int) bool {
		b, err := hex.DecodeString(v)
		return err == nil && (n == 0 && len(b) > 0 || len(b) == n)
	}
	switch t.Type {
	case "h6", "h8", "t6", "t8":
		t.Secret = p.Get("secret")
		if !hexOK(t.Secret, 0) {
			s.reply(w, r, 400, "Invalid request parameters: secret")
			return
		}
		if t.Type[0] == 'h' {
			if c := p.Get("counter"); c != "" {
				n, err := strconv.Atoi(c)
				if err != nil || n < 0 {
					s.reply(w, r, 400, "Invalid request parameters: counter")
					return
				}
				t.Counter = n
			}
		} else {
			t.TOTPStep = 30
			if c := p.Get("totp_step"); c != "" {
				n, err := strconv.Atoi(c)
				if err != nil || (n != 30 && n != 60) {
					s.reply(w, r, 400, "Invalid request parameters: totp_step")
					return
				}
				t.TOTPStep = n
			}
		}
	case "yk":
		t.PrivateID, t.AESKey = p.Get("private_id"), p.Get("aes_key")
		if !hexOK(t.PrivateID, 6) || !hexOK(t.AESKey, 16) {
			s.reply(w, r, 400, "Invalid request parameters: private_id or aes_key")
			return
		}
	default:
		s.reply(w, r, 400, "Invalid request parameters: type")
		return
	}
	s.next++
	t.ID = fmt.Sprintf("DH%04d", s.next)
	s.tokens = append(s.tokens, t)
	s.creates++
	s.reply(w, r, 200, s.tokenJSON(t))
}

func (s *Server) authentic(r *http.Request, params url.Values) bool {
	date := r.Header.Get("Date")
	when, err := time.Parse(time.RFC1123Z, date)
	skew := s.MaxSkew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	if err != nil || time.Since(when) > skew || time.Until(when) > skew {
		return false
	}
	want := Sign(s.IKey, s.SKey, date, r.Method, r.Host, r.URL.Path, params)
	return hmac.Equal([]byte(want), []byte(r.Header.Get("Authorization")))
}

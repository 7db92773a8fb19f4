// Package graphstandin is a local HTTPS stand-in for the Microsoft Graph
// (beta) endpoints tokenctl uploads hardware OATH tokens through, for
// tests: hardwareOathDevices under /directory/authenticationMethodDevices
// (list with $filter on serialNumber, create), users (get by id or UPN),
// and a user's hardwareOathMethods (list, assign a device, activate with
// a verification code, which it checks against the device's secret at its
// own clock). It checks the bearer token, can withhold a permission (403),
// and injects failures (429 with or without Retry-After) on request.
package graphstandin

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// Device is a hardware OATH device as the stand-in holds it.
type Device struct {
	ID           string
	Serial       string
	Manufacturer string
	Model        string
	SecretKey    string // base32, as sent
	Interval     int
	Hash         string // hmacsha1, hmacsha256
	Status       string // available, assigned, activated, failedActivation
	AssignedTo   string // user id
	Activations  int    // activate calls that succeeded
}

// User is one directory user.
type User struct{ ID, UPN string }

// Fault is an answer injected in place of the real one.
type Fault struct {
	Method     string
	Path       string // URL path after /beta, exact
	Nth        int    // fires on the Nth matching request counted from when it heads the queue of faults for its method and path (1: the next); faults for one request fire one after the other
	Status     int
	RetryAfter string
	// Empty answers 200 with an empty list instead (a lookup that misses
	// what is there: directory replication lag, a concurrent upload).
	Empty bool
	// Message is the error message of the answer (default "injected").
	Message string

	count int
}

// The permissions each call needs (application or delegated).
const (
	PermDevices = "Policy.ReadWrite.AuthenticationMethod"
	PermMethods = "UserAuthenticationMethod.ReadWrite.All"
	PermUsers   = "User.Read.All"
)

// Server is the stand-in; its base URL for clients is BaseURL().
type Server struct {
	*httptest.Server
	Token string // the bearer token it accepts
	// Now is the stand-in's clock for activation codes (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	devices []*Device
	users   []*User
	methods map[string]string // method id → device id
	denied  map[string]bool
	faults  []*Fault
	log     []string
	next    int
}

// New starts a stand-in that accepts the bearer token tok.
func New(tok string) *Server {
	s := &Server{Token: tok, Now: time.Now, methods: map[string]string{}, denied: map[string]bool{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is the Graph beta root clients talk to.
func (s *Server) BaseURL() string { return s.URL + "/beta" }

// CertPool holds the stand-in's certificate.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

func (s *Server) id(prefix string) string {
	s.next++
	return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, s.next)
}

// AddUser adds a user and returns its id.
func (s *Server) AddUser(upn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.id("aaaaaaaa"), UPN: upn}
	s.users = append(s.users, u)
	return u.ID
}

// Deny withholds a permission: calls that need it get 403.
func (s *Server) Deny(perm string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[perm] = true
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

// Devices returns a copy of the devices held.
func (s *Server) Devices() []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Device, len(s.devices))
	for i, d := range s.devices {
		out[i] = *d
	}
	return out
}

// Log lists "METHOD path status" for every request, in order.
func (s *Server) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, body any) {
	s.log = append(s.log, fmt.Sprintf("%s %s %d", r.Method, strings.TrimPrefix(r.URL.Path, "/beta"), status))
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if msg, ok := body.(string); ok {
		code := map[int]string{400: "badRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied", 404: "Request_ResourceNotFound", 409: "conflict", 429: "TooManyRequests"}[status]
		body = map[string]any{"error": map[string]any{"code": code, "message": msg}}
	}
	json.NewEncoder(w).Encode(body)
}

func (s *Server) allowed(w http.ResponseWriter, r *http.Request, perm string) bool {
	if s.denied[perm] {
		s.reply(w, r, 403, "Insufficient privileges to complete the operation.")
		return false
	}
	return true
}

func (s *Server) deviceJSON(d *Device) map[string]any {
	m := map[string]any{"id": d.ID, "serialNumber": d.Serial, "manufacturer": d.Manufacturer, "model": d.Model,
		"timeIntervalInSeconds": d.Interval, "hashFunction": d.Hash, "status": d.Status, "secretKey": nil}
	if d.AssignedTo != "" {
		m["assignedTo"] = map[string]any{"id": d.AssignedTo}
	}
	return m
}

func (s *Server) findUser(key string) *User {
	for _, u := range s.users {
		if u.ID == key || strings.EqualFold(u.UPN, key) {
			return u
		}
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/beta")
	key := r.Method + " " + p
	for i, f := range s.faults {
		if f.Method+" "+f.Path != key {
			continue
		}
		f.count++
		if f.count == f.Nth {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			if f.Empty {
				s.reply(w, r, 200, map[string]any{"value": []map[string]any{}})
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
	if r.Header.Get("Authorization") != "Bearer "+s.Token || s.Token == "" {
		s.reply(w, r, 401, "Access token validation failure. Invalid audience.")
		return
	}
	if r.Method == "POST" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.reply(w, r, 415, "Content-Type")
		return
	}
	const devs = "/directory/authenticationMethodDevices/hardwareOathDevices"
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case r.Method == "GET" && p == devs:
		if !s.allowed(w, r, PermDevices) {
			return
		}
		f := r.URL.Query().Get("$filter")
		var serial string
		if strings.HasPrefix(f, "serialNumber eq '") && strings.HasSuffix(f, "'") {
			serial = strings.ReplaceAll(f[len("serialNumber eq '"):len(f)-1], "''", "'")
		} else if f != "" {
			s.reply(w, r, 400, "Invalid filter clause")
			return
		}
		out := []map[string]any{}
		for _, d := range s.devices {
			if f == "" || d.Serial == serial {
				out = append(out, s.deviceJSON(d))
			}
		}
		s.reply(w, r, 200, map[string]any{"value": out})
	case r.Method == "POST" && p == devs:
		if !s.allowed(w, r, PermDevices) {
			return
		}
		var in struct {
			SerialNumber, Manufacturer, Model, SecretKey, HashFunction string
			TimeIntervalInSeconds                                      int
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			s.reply(w, r, 400, "Unable to read JSON request payload")
			return
		}
		for _, d := range s.devices {
			if d.Serial == in.SerialNumber {
				s.reply(w, r, 409, "A device with this serial number already exists")
				return
			}
		}
		sec, err := seed.DecodeBase32(in.SecretKey)
		if err != nil || len(sec) == 0 || in.SerialNumber == "" || in.Manufacturer == "" || in.Model == "" ||
			(in.TimeIntervalInSeconds != 30 && in.TimeIntervalInSeconds != 60) ||
			(in.HashFunction != "hmacsha1" && in.HashFunction != "hmacsha256") {
			s.reply(w, r, 400, "Invalid value for a property")
			return
		}
		d := &Device{ID: s.id("dddddddd"), Serial: in.SerialNumber, Manufacturer: in.Manufacturer, Model: in.Model,
			SecretKey: in.SecretKey, Interval: in.TimeIntervalInSeconds, Hash: in.HashFunction, Status: "available"}
		s.devices = append(s.devices, d)
		s.reply(w, r, 201, s.deviceJSON(d))
	case r.Method == "GET" && len(parts) == 2 && parts[0] == "users":
		if !s.allowed(w, r, PermUsers) {
			return
		}
		u := s.findUser(parts[1])
		if u == nil {
			s.reply(w, r, 404, fmt.Sprintf("Resource '%s' does not exist", parts[1]))
			return
		}
		s.reply(w, r, 200, map[string]any{"id": u.ID, "userPrincipalName": u.UPN})
	case len(parts) >= 4 && parts[0] == "users" && parts[2] == "authentication" && parts[3] == "hardwareOathMethods":
		if !s.allowed(w, r, PermMethods) {
			return
		}
		u := s.findUser(parts[1])
		if u == nil {
			s.reply(w, r, 404, "user not found")
			return
		}
		s.methodsCall(w, r, u, parts[4:])
	default:
		s.reply(w, r, 404, "no such endpoint")
	}
}

func (s *Server) methodsCall(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	switch {
	case r.Method == "GET" && len(rest) == 0:
		out := []map[string]any{}
		for mid, did := range s.methods {
			for _, d := range s.devices {
				if d.ID == did && d.AssignedTo == u.ID {
					out = append(out, map[string]any{"id": mid, "device": s.deviceJSON(d)})
				}
			}
		}
		s.reply(w, r, 200, map[string]any{"value": out})
	case r.Method == "POST" && len(rest) == 0:
		var in struct {
			Device struct{ ID string } `json:"device"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Device.ID == "" {
			s.reply(w, r, 400, "device id required")
			return
		}
		for _, d := range s.devices {
			if d.ID != in.Device.ID {
				continue
			}
			if d.AssignedTo != "" {
				s.reply(w, r, 409, "device already assigned")
				return
			}
			d.AssignedTo, d.Status = u.ID, "assigned"
			mid := d.ID // Graph's method id is the device's
			s.methods[mid] = d.ID
			s.reply(w, r, 201, map[string]any{"id": mid, "device": s.deviceJSON(d)})
			return
		}
		s.reply(w, r, 404, "device not found")
	case r.Method == "POST" && len(rest) == 2 && rest[1] == "activate":
		var in struct {
			VerificationCode string `json:"verificationCode"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			s.reply(w, r, 400, "verificationCode required")
			return
		}
		did, ok := s.methods[rest[0]]
		var d *Device
		for _, x := range s.devices {
			if x.ID == did && x.AssignedTo == u.ID {
				d = x
			}
		}
		if !ok || d == nil {
			s.reply(w, r, 404, "method not found")
			return
		}
		sec, _ := seed.DecodeBase32(d.SecretKey)
		h := seed.SHA1
		if d.Hash == "hmacsha256" {
			h = seed.SHA256
		}
		want, _ := seed.TOTPCode(sec, s.Now(), h, 6, d.Interval)
		if in.VerificationCode != want {
			d.Status = "failedActivation"
			s.reply(w, r, 400, "Verification code is invalid")
			return
		}
		d.Status = "activated"
		d.Activations++
		s.reply(w, r, 204, nil)
	default:
		s.reply(w, r, 404, "no such endpoint")
	}
}

package githubfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"doraflow/internal/fakeapi"
)

// App is a GitHub App installed on the organisation: the server issues
// its installation tokens.
//
// The flow is GitHub's ("Authenticating as a GitHub App installation",
// https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation):
// the App signs a JWT with its private key and POSTs it to
// /app/installations/{installation_id}/access_tokens, which answers 201
// with a token and its expires_at. The token then authenticates like a
// personal token, against the installation's own budget, until it
// expires; after that it is 401 Bad credentials.
type App struct {
	// ID is the App's ID: the JWT's iss must be it.
	ID int64
	// PublicKey verifies the JWT's RS256 signature: the public half of
	// the key the client signs with.
	PublicKey *rsa.PublicKey
	// InstallationID is the installation's ID; tokens for another are
	// 404 Not Found.
	InstallationID int64
	// TokenLife is how long an installation token lasts (default 1h, as
	// on GitHub); tests shorten it.
	TokenLife time.Duration
}

// EndpointAccessTokens is the route that issues installation tokens.
const EndpointAccessTokens = "POST /app/installations/{installation_id}/access_tokens"

// maxJWTLife is how far in the future a JWT's exp may be: "no more than
// 10 minutes into the future" (Generating a JSON Web Token for a GitHub
// App, https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
const maxJWTLife = 10 * time.Minute

// serveAccessToken issues an installation token for a valid App JWT. It
// costs no installation budget; it is logged and counted like any
// request, and faults apply to it after the JWT check.
func (s *Server) serveAccessToken(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	seq := s.seq.Add(1)
	rec := Request{Seq: seq, Time: now, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Endpoint: EndpointAccessTokens}
	defer s.record(&rec)
	w.Header().Set("X-GitHub-Request-Id", strconv.FormatInt(seq, 16)+":FAKE")
	app := s.opts.App
	if app == nil {
		rec.Status = http.StatusNotFound
		s.writeMessage(w, rec.Status, "Not Found", docsRoot)
		return
	}
	if msg := s.checkJWT(r.Header.Get("Authorization"), now); msg != "" {
		rec.Status = http.StatusUnauthorized
		s.writeMessage(w, rec.Status, msg, docsRoot)
		return
	}
	if r.PathValue("installation_id") != strconv.FormatInt(app.InstallationID, 10) {
		rec.Status = http.StatusNotFound
		s.writeMessage(w, rec.Status, "Not Found", docsRoot)
		return
	}
	if f := s.faults(seq, r); f.Status != 0 {
		rec.Fault, rec.Status = f, f.Status
		s.writeMessage(w, rec.Status, http.StatusText(f.Status), "")
		return
	}
	s.lmu.Lock()
	s.issued++
	sum := sha256.Sum256([]byte("installation token " + strconv.Itoa(s.issued)))
	tok := "ghs_" + hex.EncodeToString(sum[:18])
	exp := now.Add(app.TokenLife).Truncate(time.Second)
	s.installTokens[tok] = exp
	s.lmu.Unlock()

	var j fakeapi.JSON
	j.Object()
	j.Key("token").Str(tok)
	j.Key("expires_at").Str(exp.UTC().Format(time.RFC3339))
	j.Key("permissions").Object()
	for _, p := range []string{"actions", "contents", "deployments", "metadata", "pull_requests"} {
		j.Key(p).Str("read")
	}
	j.EndObject()
	j.Key("repository_selection").Str("all")
	j.EndObject()
	rec.Status = http.StatusCreated
	fakeapi.Write(w, rec.Status, "", j.Bytes())
}

// checkJWT verifies an App's JWT as GitHub does: RS256 under the App's
// key, iss the App's ID, iat not in the future, exp in the future and at
// most 10 minutes away. It returns the 401 message, "" when valid. The
// messages follow the ones GitHub answers; their exact wording is not
// documented.
func (s *Server) checkJWT(authorization string, now time.Time) string {
	const undecodable = "A JSON web token could not be decoded"
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return "Bad credentials"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return undecodable
	}
	var header struct{ Alg string }
	var claims struct {
		Iss      json.RawMessage
		Iat, Exp json.Number
	}
	if !decodeSegment(parts[0], &header) || !decodeSegment(parts[1], &claims) || header.Alg != "RS256" {
		return undecodable
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return undecodable
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(s.opts.App.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return undecodable
	}
	// iss may be the ID as a number or a string.
	if iss := strings.Trim(string(claims.Iss), `"`); iss != strconv.FormatInt(s.opts.App.ID, 10) {
		return "'Issuer' claim ('iss') must be the App's ID"
	}
	iat, err1 := claims.Iat.Int64()
	exp, err2 := claims.Exp.Int64()
	switch {
	case err1 != nil || time.Unix(iat, 0).After(now):
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	case err2 != nil || !time.Unix(exp, 0).After(now):
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case time.Unix(exp, 0).After(now.Add(maxJWTLife)):
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

// decodeSegment decodes one base64url part of a JWT into v.
func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}

// RevokeInstallationTokens makes every installation token issued so far
// invalid at once, as GitHub does when a token is revoked
// (DELETE /installation/token) or the installation changes: the next
// request with one is 401 Bad credentials.
func (s *Server) RevokeInstallationTokens() {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	clear(s.installTokens)
}

// InstallationTokensIssued counts the installation tokens issued.
func (s *Server) InstallationTokensIssued() int {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.issued
}

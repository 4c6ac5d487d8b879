package config

import (
	"fmt"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MinTokenLength is the fewest characters a token of server.tokens may
// have. The API compares tokens in constant time but does not slow down
// guessing, so a token must be long enough that guessing it is hopeless:
// 16 random characters are about 80 bits or more.
const MinTokenLength = 16

// server reads the server section: where `doraflow run` listens, the
// tokens it accepts and the certificate it serves HTTPS with.
func (d *decoder) server(f fields, s *Server) {
	sv := f.sub("server", []string{"listen", "tokens", "read_tokens", "tls"}, nil)
	str(sv, "listen", &s.Listen, hostPort("127.0.0.1:8080 or :8080", true))
	list(sv, "tokens", &s.Tokens, apiToken)
	list(sv, "read_tokens", &s.ReadTokens, apiToken)

	tls := sv.sub("tls", []string{"cert_file", "key_file"}, nil)
	str(tls, "cert_file", &s.TLS.CertFile, nil)
	str(tls, "key_file", &s.TLS.KeyFile, nil)
	// One file without the other cannot serve HTTPS; serving plain HTTP
	// instead would quietly send the tokens in clear text.
	switch {
	case s.TLS.CertFile != "" && s.TLS.KeyFile == "":
		d.problem(either(tls, "key_file", "cert_file"), join(tls.path, "key_file"), "cert_file is set without key_file: set key_file to the PEM file of the certificate's private key, or remove cert_file to serve plain HTTP")
	case s.TLS.KeyFile != "" && s.TLS.CertFile == "":
		d.problem(either(tls, "cert_file", "key_file"), join(tls.path, "cert_file"), "key_file is set without cert_file: set cert_file to the PEM file of the certificate (chain), or remove key_file to serve plain HTTP")
	}
}

// either returns the node of key, or of other when key is absent: a
// problem about a missing key is shown on the line of the key that
// needs it.
func either(f fields, key, other string) *yaml.Node {
	if n, ok := f.vals[key]; ok {
		return n
	}
	return f.vals[other]
}

// apiToken checks a token of server.tokens: token's checks, and a length
// that makes guessing it hopeless. The value is never quoted, nor its
// length told.
func apiToken(v string) string {
	if msg := token(v); msg != "" {
		return msg
	}
	if utf8.RuneCountInString(v) < MinTokenLength {
		return fmt.Sprintf("token is shorter than %d characters, short enough to guess: use a random one, like the output of `openssl rand -hex 32`", MinTokenLength)
	}
	return ""
}

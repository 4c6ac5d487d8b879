package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"doraflow/config"
	"doraflow/internal/logtest"
	"doraflow/pipeline"
)

// apiToken is long enough for config.Load; these tests build the Config
// in code.
const apiToken = "serve-test-token-0123456789"

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// in dir and returns their paths and the certificate.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustDo(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "doraflow test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	mustDo(t, err)
	cert, err = x509.ParseCertificate(der)
	mustDo(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	mustDo(t, err)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	mustDo(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	mustDo(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile, cert
}

// serveLogs is a log sink the server's and the pipeline's goroutines
// may write to at once.
type serveLogs struct{ logtest.Buffer }

// lines returns the log lines, decoded.
func (l *serveLogs) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// serveWithout runs the server of `doraflow run` in front of a pipeline
// without a store (nothing here reaches ClickHouse) on a listener for
// addr, calls use with the API's base URL, then stops it and returns its
// logs.
func serveWithout(t *testing.T, cfg *config.Config, addr string, tel *pipeline.Telemetry, use func(base string)) *serveLogs {
	t.Helper()
	logs := &serveLogs{}
	p := pipeline.New(cfg, nil, zerolog.New(logs), pipeline.WithTelemetry(tel))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s here: %v", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		s := &server{pipeline: p, cfg: cfg, log: zerolog.New(logs), telemetry: tel,
			listener: ln, clock: clockwork.NewFakeClock(), ready: func(a string) { ready <- a }}
		done <- s.run(ctx)
	}()
	select {
	case a := <-ready:
		scheme := "http"
		if cfg.Server.TLS.CertFile != "" {
			scheme = "https"
		}
		_, port, _ := net.SplitHostPort(a)
		use(scheme + "://127.0.0.1:" + port)
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	cancel()
	mustDo(t, <-done)
	return logs
}

// TestServeHTTPS serves the API with server.tls: a client that trusts the
// certificate reaches it, a refused request is counted in /metrics, and
// no warning about clear text is logged.
func TestServeHTTPS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, cert := selfSigned(t, t.TempDir(), "server")
	cfg := defaultConfig()
	cfg.Server.Tokens = []config.Secret{apiToken}
	cfg.Server.TLS = config.ServerTLS{CertFile: certFile, KeyFile: keyFile}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	logs := serveWithout(t, cfg, "127.0.0.1:0", pipeline.NewTelemetry(), func(base string) {
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/deployments", strings.NewReader(`{"service":"api"}`))
		mustDo(t, err)
		req.Header.Set("Authorization", "Bearer not-the-token-SECRET-guess")
		resp, err := client.Do(req)
		mustDo(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.TLS == nil {
			t.Fatalf("POST over HTTPS with a wrong token: %d (TLS %v), want 401 over TLS", resp.StatusCode, resp.TLS != nil)
		}
		resp, err = client.Get(base + "/metrics")
		mustDo(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`doraflow_server_refused_requests_total{reason="unauthorized"} 1`, `doraflow_server_refused_requests_total{reason="invalid"} 0`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		// Plain HTTP to the HTTPS port gets nothing of the API.
		resp, err = http.Get("http" + strings.TrimPrefix(base, "https") + "/metrics")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP to the HTTPS port: %d, want 400", resp.StatusCode)
			}
		}
	})
	var running bool
	for _, l := range logs.lines(t) {
		if l["level"] == "warn" && l["key"] == "server.tls" {
			t.Errorf("warned about clear text while serving HTTPS: %v", l)
		}
		if l["message"] == "doraflow running" {
			running = l["scheme"] == "https"
		}
	}
	if !running {
		t.Errorf("the start line does not say https:\n%v", logs.lines(t))
	}
	if strings.Contains(logs.String(), "SECRET") || strings.Contains(logs.String(), apiToken) {
		t.Errorf("the log shows a token:\n%s", logs.String())
	}
}

// TestServeWarnsAboutExposure starts the API in each setting and checks
// the warnings at start: one for listening beyond loopback in clear text,
// one for an empty server.tokens, none otherwise, never with a token.
func TestServeWarnsAboutExposure(t *testing.T) {
	t.Parallel()
	certFile, keyFile, _ := selfSigned(t, t.TempDir(), "server")
	for _, c := range []struct {
		name, listen string
		tokens       []config.Secret
		tls          bool
		want         []string // the key field of each warning
	}{
		{"loopback, plain HTTP", "127.0.0.1:0", []config.Secret{apiToken}, false, nil},
		{"every interface, plain HTTP", "0.0.0.0:0", []config.Secret{apiToken}, false, []string{"server.tls"}},
		{"every interface, HTTPS", "0.0.0.0:0", []config.Secret{apiToken}, true, nil},
		{"no tokens", "127.0.0.1:0", nil, false, []string{"server.tokens"}},
		{"no tokens, every interface", "0.0.0.0:0", nil, false, []string{"server.tls", "server.tokens"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Server.Tokens = c.tokens
			if c.tls {
				cfg.Server.TLS = config.ServerTLS{CertFile: certFile, KeyFile: keyFile}
			}
			logs := serveWithout(t, cfg, c.listen, nil, func(string) {})
			var got []string
			for _, l := range logs.lines(t) {
				if l["level"] == "warn" {
					key, _ := l["key"].(string)
					got = append(got, key)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("warnings about %q, want %q:\n%s", got, c.want, logs.String())
			}
			if strings.Contains(logs.String(), apiToken) {
				t.Errorf("the log shows the token:\n%s", logs.String())
			}
		})
	}
}

// TestServerTLS checks the errors of loading server.tls: each names the
// key to fix.
func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir, "a")
	_, otherKey, _ := selfSigned(t, dir, "b")
	for _, c := range []struct {
		name string
		tls  config.ServerTLS
		want string // "" loads
	}{
		{"neither", config.ServerTLS{}, ""},
		{"both", config.ServerTLS{CertFile: certFile, KeyFile: keyFile}, ""},
		{"no certificate file", config.ServerTLS{CertFile: filepath.Join(dir, "none.crt"), KeyFile: keyFile}, "server.tls.cert_file: open "},
		{"no key file", config.ServerTLS{CertFile: certFile, KeyFile: filepath.Join(dir, "none.key")}, "server.tls.key_file: open "},
		{"key of another certificate", config.ServerTLS{CertFile: certFile, KeyFile: otherKey}, "server.tls.cert_file " + certFile + " and key_file " + otherKey + ": tls: private key does not match public key"},
		{"key file as certificate", config.ServerTLS{CertFile: keyFile, KeyFile: keyFile}, "server.tls.cert_file " + keyFile + " and key_file"},
		{"certificate only", config.ServerTLS{CertFile: certFile}, "server.tls: set both cert_file and key_file, or neither"},
	} {
		got, err := serverTLS(c.tls)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (got == nil) != (c.tls.CertFile == ""):
			t.Errorf("%s: config %v, want one exactly when files are set", c.name, got)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
		if got != nil && got.MinVersion < tls.VersionTLS12 {
			t.Errorf("%s: MinVersion %x, want TLS 1.2 or later", c.name, got.MinVersion)
		}
	}
}

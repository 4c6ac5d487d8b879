package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestTLS connects over TLS for real: native TLS to ClickHouse 18.16 and
// HTTPS to the current engine's front, both with certificates of a
// throwaway CA that `make test` makes. With the CA the store connects;
// without it the error is one line that says what to set; told to skip
// verification it connects (the command line warns, see cmd/doraflow).
func TestTLS(t *testing.T) {
	t.Parallel()
	ep := clickhousetest.TLS(t)
	const password = "tls-test-password"
	for _, tc := range []struct {
		name     string
		addr     string
		protocol clickhouse.Protocol
		secure   bool
		tls      clickhouse.TLSOptions
		wantErr  string // "" to connect
	}{
		{name: "native with the CA", addr: ep.Native, protocol: clickhouse.Native, secure: true, tls: clickhouse.TLSOptions{CAFile: ep.CAFile}},
		{name: "https with the CA", addr: ep.HTTPS, protocol: clickhouse.HTTP, secure: true, tls: clickhouse.TLSOptions{CAFile: ep.CAFile}},
		{name: "native without the CA", addr: ep.Native, protocol: clickhouse.Native, secure: true,
			wantErr: "clickhouse " + ep.Native + ": TLS handshake failed: certificate signed by unknown authority (set clickhouse.tls.ca_file)"},
		{name: "https without the CA", addr: ep.HTTPS, protocol: clickhouse.HTTP, secure: true,
			wantErr: "clickhouse " + ep.HTTPS + ": TLS handshake failed: certificate signed by unknown authority (set clickhouse.tls.ca_file)"},
		{name: "native skipping verification", addr: ep.Native, protocol: clickhouse.Native, secure: true, tls: clickhouse.TLSOptions{InsecureSkipVerify: true}},
		{name: "https skipping verification", addr: ep.HTTPS, protocol: clickhouse.HTTP, secure: true, tls: clickhouse.TLSOptions{InsecureSkipVerify: true}},
		{name: "native with a name the certificate lacks", addr: ep.Native, protocol: clickhouse.Native, secure: true,
			tls:     clickhouse.TLSOptions{CAFile: ep.CAFile, ServerName: "clickhouse.example.com"},
			wantErr: "clickhouse " + ep.Native + ": TLS handshake failed: x509: certificate is valid for localhost, not clickhouse.example.com (set clickhouse.tls.server_name to a name the certificate holds)"},
		{name: "https to a server too old for it", addr: ep.OldHTTPS, protocol: clickhouse.HTTP, secure: true, tls: clickhouse.TLSOptions{CAFile: ep.CAFile},
			wantErr: "clickhouse " + ep.OldHTTPS + ": this server is too old for the HTTP protocol (it refuses the setting client_protocol_version that the driver sends): use clickhouse.protocol: native"},
		{name: "native TLS to a plain port", addr: clickhousetest.Engines(t)[0].Addr, protocol: clickhouse.Native, secure: true, tls: clickhouse.TLSOptions{CAFile: ep.CAFile},
			wantErr: "TLS handshake failed: the server does not speak TLS on this port (set clickhouse.secure: false, or use the server's TLS port)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// The test servers' default user has no password; the cases
			// that fail in the TLS handshake, before any login, are given
			// one, which they must not show.
			pw := ""
			if strings.Contains(tc.wantErr, "TLS handshake failed") {
				pw = password
			}
			s, err := clickhouse.Open(ctx, clickhouse.Options{
				Addr: []string{tc.addr}, Database: "default", Username: "default", Password: pw,
				Protocol: tc.protocol, Secure: tc.secure, TLS: tc.tls, DialTimeout: 10 * time.Second,
			})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				defer s.Close()
				if err := s.Ping(ctx); err != nil {
					t.Fatalf("ping: %v", err)
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("connected; want the error %q", tc.wantErr)
			}
			msg := err.Error()
			if !strings.HasSuffix(msg, tc.wantErr) || strings.Contains(msg, "\n") || strings.Contains(msg, password) {
				t.Errorf("error\n  %q\nwant one line ending in\n  %q\nwithout the password", msg, tc.wantErr)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestClickHouseTLS runs doraflow migrate over native TLS as a user would:
// with the CA it works quietly, skipping verification it works and warns,
// and without either it fails with one line that says what to set and
// never shows the password.
func TestClickHouseTLS(t *testing.T) {
	ep := clickhousetest.TLS(t)
	t.Setenv("CH_SECRET", "")
	db := fmt.Sprintf("t_cli_tls_%d", time.Now().UnixNano()%1e9)
	for _, tc := range []struct {
		name, tls  string
		code       int
		wantStderr string // a line of stderr must contain it; "" for no warning
	}{
		{name: "with the CA", tls: "    ca_file: " + ep.CAFile + "\n", code: 0},
		{name: "skipping verification", tls: "    insecure_skip_verify: true\n", code: 0,
			wantStderr: "clickhouse.tls.insecure_skip_verify is true: the server's certificate is not verified"},
		{name: "without the CA", tls: "", code: 1,
			wantStderr: "doraflow: clickhouse " + ep.Native + ": TLS handshake failed: certificate signed by unknown authority (set clickhouse.tls.ca_file)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "doraflow.yaml")
			body := fmt.Sprintf("clickhouse:\n  addr: %s\n  database: %s\n  password: ${CH_SECRET}\n  secure: true\n  tls:\n%s", ep.Native, db, tc.tls)
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"--config", path, "migrate"}, &out, &errOut)
			stderr := errOut.String()
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr)
			}
			if tc.wantStderr == "" {
				if stderr != "" {
					t.Errorf("stderr %q, want nothing", stderr)
				}
				return
			}
			if !strings.Contains(stderr, tc.wantStderr) || (code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") != 0) {
				t.Errorf("stderr %q, want a line with %q", stderr, tc.wantStderr)
			}
		})
	}
	t.Cleanup(func() {
		// The database the successful migrates made.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := clickhouse.Open(ctx, clickhouse.Options{Addr: []string{ep.Native}, Database: "default", Username: "default",
			Secure: true, TLS: clickhouse.TLSOptions{CAFile: ep.CAFile}})
		if err != nil {
			t.Logf("drop %s: %v", db, err)
			return
		}
		defer s.Close()
		if err := s.DropDatabase(ctx, db); err != nil {
			t.Logf("drop %s: %v", db, err)
		}
	})
}

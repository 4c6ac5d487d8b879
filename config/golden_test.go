package config

import (
	"doraflow/sources"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the want.txt files of testdata")

// TestGolden loads testdata/<case>/doraflow.yaml with testEnv and compares
// the exact output, the problems or else the effective configuration, with
// want.txt. Run `go test ./config -run Golden -update` after a deliberate
// change of messages, and review the diff.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/doraflow.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if c, err := Parse(data, "doraflow.yaml", sources.Registry(), testEnv); err != nil {
				got = err.Error() + "\n"
			} else {
				got = c.Redacted()
			}
			wantPath := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"ch-secret-pw", "ghp_secretgithub", "pd-secret-token", "api-secret-token"} {
				if strings.Contains(got, secret) {
					t.Errorf("the output shows the secret %q", secret)
				}
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

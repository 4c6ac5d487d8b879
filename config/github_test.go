package config

import (
	"doraflow/sources"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGitHubAppKey checks each form of github.app's private key: the
// loaded key, or the one problem it makes, which never shows the key.
func TestGitHubAppKey(t *testing.T) {
	pemKey, err := os.ReadFile("testdata/github-app/app.pem")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := os.ReadFile("testdata/github-app-wrong/ec.pem")
	if err != nil {
		t.Fatal(err)
	}
	keyEnv := env("KEY", string(pemKey), "EC_KEY", string(ecKey), "NOT_PEM", "SECRETnotpem", "EMPTY", "")
	app := func(key string) string { return "github:\n  app:\n    id: 1\n    installation_id: 2\n" + key }
	tests := []struct {
		name, src string
		want      string // the one problem; "" for a key that loads
	}{
		{"file", app("    private_key_file: testdata/github-app/app.pem\n"), ""},
		{"inline through a variable", app("    private_key: ${KEY}\n"), ""},
		{"missing file", app("    private_key_file: testdata/nope.pem\n"),
			"doraflow.yaml:5: github.app.private_key_file: cannot read testdata/nope.pem: no such file: check the path (relative paths start in the directory doraflow runs in)"},
		{"file without PEM", app("    private_key_file: testdata/github-app-wrong/notpem.pem\n"),
			"doraflow.yaml:5: github.app.private_key_file: testdata/github-app-wrong/notpem.pem holds no PEM block (-----BEGIN RSA PRIVATE KEY-----): use the .pem file GitHub generated for the App (its settings page, Private keys)"},
		{"EC key file", app("    private_key_file: testdata/github-app-wrong/ec.pem\n"),
			`doraflow.yaml:5: github.app.private_key_file: testdata/github-app-wrong/ec.pem holds a "EC PRIVATE KEY" PEM block that is no private key: use the .pem file GitHub generated for the App (its settings page, Private keys)`},
		{"inline EC key", app("    private_key: ${EC_KEY}\n"),
			`doraflow.yaml:5: github.app.private_key: the value holds a "EC PRIVATE KEY" PEM block that is no private key: give the PEM text of the .pem file GitHub generated for the App, e.g. private_key: ${GITHUB_APP_PRIVATE_KEY}`},
		{"inline not PEM", app("    private_key: ${NOT_PEM}\n"),
			"doraflow.yaml:5: github.app.private_key: the value holds no PEM block (-----BEGIN RSA PRIVATE KEY-----): give the PEM text of the .pem file GitHub generated for the App, e.g. private_key: ${GITHUB_APP_PRIVATE_KEY}"},
		{"no key", app(""),
			"doraflow.yaml:3: github.app.private_key_file: the App's private key is missing: set private_key_file to the .pem file GitHub generated for the App, or private_key to its text"},
		{"key from an empty variable", app("    private_key: ${EMPTY}\n"),
			"doraflow.yaml:5: github.app.private_key_file: the App's private key is missing: set private_key_file to the .pem file GitHub generated for the App, or private_key to its text"},
		{"the contract's template is no App", "github:\n  app:\n    id: 0\n    installation_id: 0\n    private_key_file: \"\"\n    private_key: \"\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.src), "doraflow.yaml", sources.Registry(), keyEnv)
			if tt.want != "" {
				if err == nil || err.Error() != tt.want {
					t.Fatalf("got %v\nwant %s", err, tt.want)
				}
				for _, secret := range []string{"SECRETnotpem", string(ecKey[40:80]), string(pemKey[40:80])} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error shows the key: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.name, "template") {
				if c.GitHub.App.Set() {
					t.Errorf("App set by the template: %+v", c.GitHub.App)
				}
				return
			}
			if c.GitHub.App.ID != 1 || c.GitHub.App.InstallationID != 2 || c.GitHub.App.PrivateKey.Value() != string(pemKey) {
				t.Errorf("App = id %d, installation %d, key loaded %t", c.GitHub.App.ID, c.GitHub.App.InstallationID, c.GitHub.App.PrivateKey.Value() == string(pemKey))
			}
		})
	}
}

// TestGitHubAppKeyUnreadable: a key file the process may not read is a
// problem saying what to do.
func TestGitHubAppKeyUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := Parse([]byte("github:\n  app: {id: 1, installation_id: 2, private_key_file: "+path+"}\n"), "doraflow.yaml", sources.Registry(), testEnv)
	want := "doraflow.yaml:2: github.app.private_key_file: cannot read " + path + ": permission denied: let the user doraflow runs as read it (chmod 600, owned by that user)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// TestGitHubAppKeyNotShown: an inline key is a secret, shown nowhere
// (config validate -v, %v, JSON); a key file shows as its path.
func TestGitHubAppKeyNotShown(t *testing.T) {
	pemKey, err := os.ReadFile("testdata/github-app/app.pem")
	if err != nil {
		t.Fatal(err)
	}
	body := string(pemKey[40:120]) // from the middle of the key
	c, err := Parse([]byte("github:\n  app:\n    id: 1\n    installation_id: 2\n    private_key: ${KEY}\n"), "doraflow.yaml", sources.Registry(), env("KEY", string(pemKey)))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := c.Redacted()
	for what, text := range map[string]string{"Redacted()": out, "%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "JSON": string(js)} {
		if strings.Contains(text, body) || strings.Contains(text, "BEGIN RSA") {
			t.Errorf("%s shows the private key:\n%s", what, text)
		}
	}
	if !strings.Contains(out, "    private_key: '[redacted]'\n") {
		t.Errorf("Redacted() does not show the key as [redacted]:\n%s", out)
	}
}

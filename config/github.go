package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// GitHubApp is GitHub App sign-in (github.app): doraflow signs a JWT with
// the App's private key and trades it for installation tokens, which last
// an hour and are renewed as they run out. Many organisations allow Apps
// where they forbid personal tokens.
type GitHubApp struct {
	ID             int64 // the App's ID (its settings page, "App ID")
	InstallationID int64 // the installation on the organisation
	// PrivateKeyFile is the PEM file the key was read from, "" when the
	// key was given inline (private_key).
	PrivateKeyFile string
	// PrivateKey is the App's RSA private key in PEM, from private_key or
	// read from PrivateKeyFile; the loader checked that it parses.
	PrivateKey Secret
}

// Set reports whether the config signs in as a GitHub App.
func (a GitHubApp) Set() bool {
	return a.ID != 0 || a.InstallationID != 0 || a.PrivateKey != "" || a.PrivateKeyFile != ""
}

// AllTokens returns github.token, if set, then github.tokens: the tokens
// in the order they are used.
func (g GitHub) AllTokens() []Secret {
	var out []Secret
	if g.Token != "" {
		out = append(out, g.Token)
	}
	return append(out, g.Tokens...)
}

var githubKeys = []string{"base_url", "token", "tokens", "app", "api", "concurrency"}

// GitHub's APIs that github.api chooses between for pull requests and
// their commits.
const (
	GitHubGraphQL = "graphql"
	GitHubREST    = "rest"
)

// github reads the github section: where the API is and how to sign in
// (one token, several, or a GitHub App).
func (d *decoder) github(f fields, g *GitHub) {
	gh := f.sub("github", githubKeys, nil)
	str(gh, "base_url", &g.BaseURL, baseURL("https://api.github.com/ or https://HOST/api/v3/"))
	g.BaseURL = strings.TrimRight(g.BaseURL, "/") + "/"
	str(gh, "token", &g.Token, token)
	list(gh, "tokens", &g.Tokens, distinctToken(g.Token))
	str(gh, "api", &g.API, oneOf("api", []string{GitHubGraphQL, GitHubREST}))
	integer(gh, "concurrency", &g.Concurrency, 1, 100)
	if d.githubApp(gh, &g.App) && len(g.AllTokens()) > 0 {
		// Exclusive rather than an order of precedence: a config that
		// names both would sign in one way while its reader believes
		// the other.
		key := "token"
		if !gh.has(key) || g.Token == "" {
			key = "tokens"
		}
		d.problem(gh.vals["app"], join(gh.path, "app"), "app is set together with %s: sign in either as a GitHub App or with tokens; remove one (an empty ${VAR} leaves a token unset)", key)
	}
}

// distinctToken is token's check for github.tokens, plus: a token that
// repeats github.token or an earlier entry is refused, as it would add no
// budget. Tokens are never quoted.
func distinctToken(first Secret) check {
	seen := map[string]bool{string(first): first != ""}
	return func(v string) string {
		if msg := token(v); msg != "" {
			return msg
		}
		if seen[v] {
			return "the same token as github.token or an earlier entry: remove it (a token adds its budget once)"
		}
		seen[v] = true
		return ""
	}
}

// githubApp reads github.app. The contract's template, id: 0 and empty
// keys, means no App; once any of them is set, all of id, installation_id
// and one form of the private key must be. It reports whether the file
// asks for an App.
func (d *decoder) githubApp(gh fields, a *GitHubApp) bool {
	app := gh.sub("app", []string{"id", "installation_id", "private_key_file", "private_key"}, nil)
	if app.wrongType {
		return true
	}
	id := appID(app, "id", &a.ID)
	inst := appID(app, "installation_id", &a.InstallationID)
	file, fn, fpath, fok := app.scalar("private_key_file")
	key, kn, kpath, kok := app.scalar("private_key")
	unusable := (app.has("private_key_file") && !fok) || (app.has("private_key") && !kok) // reported by text
	if a.ID == 0 && a.InstallationID == 0 && file == "" && key == "" && id && inst && !unusable {
		return false
	}
	if a.ID == 0 && id {
		d.problem(either(app, "id", "installation_id"), join(app.path, "id"), "missing: set the App ID, a whole number on the App's settings page (General, About)")
	}
	if a.InstallationID == 0 && inst {
		d.problem(either(app, "installation_id", "id"), join(app.path, "installation_id"), "missing: set the installation's ID, the number that ends the installation's settings URL (https://github.com/organizations/ORG/settings/installations/NUMBER)")
	}
	switch {
	case file != "" && key != "":
		d.problem(kn, kpath, "private_key and private_key_file are both set: keep one")
	case file != "":
		a.PrivateKeyFile = file
		data, err := os.ReadFile(file)
		if err != nil {
			d.problem(fn, fpath, "%s", keyFileProblem(file, err))
			return true
		}
		if msg := rsaKeyProblem(data); msg != "" {
			d.problem(fn, fpath, "%s holds %s: use the .pem file GitHub generated for the App (its settings page, Private keys)", file, msg)
			return true
		}
		a.PrivateKey = Secret(data)
	case key != "":
		if msg := rsaKeyProblem([]byte(key)); msg != "" {
			// Not quoted: the value is (or was meant to be) a key.
			d.problem(kn, kpath, "the value holds %s: give the PEM text of the .pem file GitHub generated for the App, e.g. private_key: ${GITHUB_APP_PRIVATE_KEY}", msg)
			return true
		}
		a.PrivateKey = Secret(key)
	case !unusable:
		n := either(app, "private_key_file", "private_key")
		if n == nil {
			n = either(app, "id", "installation_id")
		}
		d.problem(n, join(app.path, "private_key_file"), "the App's private key is missing: set private_key_file to the .pem file GitHub generated for the App, or private_key to its text")
	}
	return true
}

// appID reads an id of github.app into dst; 0 or absent leaves it 0. ok
// is false when the value was reported as wrong.
func appID(app fields, key string, dst *int64) (ok bool) {
	v, n, path, ok := app.scalar(key)
	if !app.has(key) {
		return true
	}
	if !ok {
		return false
	}
	if v == "" {
		return true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		app.d.problem(n, path, "invalid value %q: use the whole number GitHub shows for the App", v)
		return false
	}
	*dst = id
	return true
}

// keyFileProblem says why a key file cannot be read, and what to do.
func keyFileProblem(file string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("cannot read %s: no such file: check the path (relative paths start in the directory doraflow runs in)", file)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("cannot read %s: permission denied: let the user doraflow runs as read it (chmod 600, owned by that user)", file)
	}
	return fmt.Sprintf("cannot read %s: %v", file, errors.Unwrap(err))
}

// rsaKeyProblem says what is wrong with a PEM that should hold an RSA
// private key (PKCS #1, as GitHub generates, or PKCS #8), or "". It never
// shows any of the data.
func rsaKeyProblem(data []byte) string {
	block, _ := pem.Decode(data)
	if block == nil {
		return "no PEM block (-----BEGIN RSA PRIVATE KEY-----)"
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return ""
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return fmt.Sprintf("a %q PEM block that is no private key", block.Type)
	}
	if _, ok := k.(*rsa.PrivateKey); !ok {
		return "a private key that is not RSA (GitHub Apps sign with RSA keys)"
	}
	return ""
}

// setGitHubSignIn renders github.tokens and github.app into the effective
// configuration, each only when set: the configurations of one token show
// as they always did. The key is shown as [redacted] only when given
// inline; a file's path is no secret.
func setGitHubSignIn(gh *yaml.Node, g GitHub) {
	if len(g.Tokens) > 0 {
		set(gh, "tokens", secrets(g.Tokens))
	}
	if !g.App.Set() {
		return
	}
	app := mappingNode()
	set(app, "id", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(g.App.ID, 10)})
	set(app, "installation_id", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(g.App.InstallationID, 10)})
	if g.App.PrivateKeyFile != "" {
		set(app, "private_key_file", scalar(g.App.PrivateKeyFile))
	} else {
		set(app, "private_key", scalar(g.App.PrivateKey.String()))
	}
	set(gh, "app", app)
}

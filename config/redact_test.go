package config

import (
	"doraflow/sources"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// secretEnv holds the credentials the redaction tests must never see again.
var secretEnv = env(
	"GH", "ghp_SECRETgithub",
	"PD_NEWLINE", "pdSECRETpager\n",
	"CH", "chSECRETpassword",
	"API", "apiSECRETtoken-0123456789", // server.tokens need 16 characters
	"API2", "apiSECRETother token",
	"EMPTY", "",
)

var secretValues = []string{"ghp_SECRETgithub", "pdSECRETpager", "chSECRETpassword", "apiSECRETtoken", "apiSECRETother", "SECRETliteral", "SECRETinurl", "SECRETmalformed", "SECRETlist"}

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secretValues {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", what, s, text)
		}
	}
}

// TestSecretsNotInErrors gives every secret key an invalid value, directly
// and through variables, and checks that the messages never echo them.
func TestSecretsNotInErrors(t *testing.T) {
	src := `
clickhouse:
  password: [chSECRETlist]
github:
  token: "ghp_SECRETliteral with space"
  base_url: https://user:SECRETinurl@ghe.example.com/
pagerduty:
  token: ${PD_NEWLINE}
server:
  tokens: ["${API2}", "${EMPTY}", "SECRETmalformed${oops", "${API}", "${UNSET}"]
`
	_, err := Parse([]byte(src), "doraflow.yaml", sources.Registry(), secretEnv)
	if err == nil {
		t.Fatal("want problems")
	}
	// One problem per bad value: each was found, and none quoted.
	if n := len(err.(*Errors).Problems); n != 8 {
		t.Errorf("got %d problems, want 8:\n%v", n, err)
	}
	assertNoSecret(t, "Error()", err.Error())
}

func TestSecretsNotInOutput(t *testing.T) {
	src := `
clickhouse:
  password: ${CH}
github:
  token: ${GH}
pagerduty:
  token: "pdSECRETpager"
server:
  tokens: ["${API}", apiSECRETother-0123456789]
`
	c, err := Parse([]byte(src), "doraflow.yaml", sources.Registry(), secretEnv)
	if err != nil {
		t.Fatal(err)
	}
	out := c.Redacted()
	assertNoSecret(t, "Redacted()", out)
	if strings.Count(out, "[redacted]") != 5 {
		t.Errorf("want 5 secrets shown as [redacted]:\n%s", out)
	}
	assertNoSecret(t, "%v", fmt.Sprintf("%v", c))
	assertNoSecret(t, "%+v", fmt.Sprintf("%+v", c))
	assertNoSecret(t, "%#v", fmt.Sprintf("%#v", c))
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "JSON", string(js))
	if c.GitHub.Token.Value() != "ghp_SECRETgithub" {
		t.Error("Value lost the credential")
	}
}

// TestRedactedLoads checks that the effective configuration is itself a
// valid config file meaning the same, secrets aside.
func TestRedactedLoads(t *testing.T) {
	c, err := LoadWithEnv("doraflow.sample.yaml", sources.Registry(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse([]byte(unredacted(c.Redacted())), "effective.yaml", sources.Registry(), withRedacted)
	if err != nil {
		t.Fatalf("Redacted output does not load:\n%v\n%s", err, c.Redacted())
	}
	if again.Redacted() != c.Redacted() {
		t.Errorf("reloading changed the configuration:\n%s\nwas:\n%s", again.Redacted(), c.Redacted())
	}
}

// unredacted puts a variable where Redacted shows a secret, so that the
// effective configuration loads again: "[redacted]" itself is too short
// for server.tokens (and must never become a token anyone can guess).
// Each secret gets its own variable, as github.tokens refuses a repeat.
func unredacted(out string) string {
	parts := strings.Split(out, "'[redacted]'")
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			fmt.Fprintf(&b, `"${REDACTED_SECRET_%d}"`, i)
		}
		b.WriteString(p)
	}
	return b.String()
}

// withRedacted is testEnv with the variables unredacted puts in.
func withRedacted(name string) (string, bool) {
	if n, ok := strings.CutPrefix(name, "REDACTED_SECRET_"); ok {
		return "a-secret-put-back-0123456789-" + n, true
	}
	return testEnv(name)
}

func TestRedactedInvalidText(t *testing.T) {
	c := Default()
	c.Timezone = "\xff"
	if out := c.Redacted(); !strings.HasPrefix(out, "# cannot render the configuration: ") {
		t.Errorf("got %q", out)
	}
}

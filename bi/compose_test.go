package bi_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"doraflow"
	"doraflow/config"
	"doraflow/sources"
)

// repoRoot is where docker-compose.yaml resolves relative paths.
const repoRoot = ".."

// composeFile is the part of docker-compose.yaml the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yaml"))
	must(t, err)
	var c composeFile
	if err := yaml.Unmarshal(body, &c); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	return c
}

// pinned reports whether an image reference names a fixed version: a
// digest, or a tag other than latest.
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	return ok && tag != "" && tag != "latest"
}

// mount is one short-syntax volume of a service.
type mount struct{ source, target string }

func mounts(s composeService) []mount {
	var out []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out = append(out, mount{parts[0], parts[1]})
		}
	}
	return out
}

// TestComposeFile checks docker-compose.yaml without Docker: it parses,
// its images are pinned, the files it mounts exist, what it names is
// defined, and the Grafana and doraflow services find what their
// configuration files expect.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for _, want := range []string{"clickhouse", "doraflow", "grafana", "metabase"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("no service %q", want)
		}
	}
	for name, s := range c.Services {
		switch {
		case s.Image == "" && s.Build == nil:
			t.Errorf("service %s: neither image nor build", name)
		case s.Build == nil && !pinned(s.Image):
			t.Errorf("service %s: image %q is not pinned: name a version tag or a digest", name, s.Image)
		}
		for _, m := range mounts(s) {
			if strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/") {
				if _, err := os.Stat(filepath.Join(repoRoot, m.source)); err != nil {
					t.Errorf("service %s mounts %s, which is not in the repository: %v", name, m.source, err)
				}
			} else if _, ok := c.Volumes[m.source]; !ok {
				t.Errorf("service %s mounts volume %q, which is not declared", name, m.source)
			}
		}
		for _, dep := range dependsOn(t, s.DependsOn) {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %q, which is not a service", name, dep)
			}
		}
	}

	grafana := c.Services["grafana"]
	if !strings.Contains(grafana.Environment["GF_INSTALL_PLUGINS"], "grafana-clickhouse-datasource ") {
		t.Errorf("grafana: GF_INSTALL_PLUGINS %q must install grafana-clickhouse-datasource at a pinned version", grafana.Environment["GF_INSTALL_PLUGINS"])
	}
	targets := map[string]string{}
	for _, m := range mounts(grafana) {
		targets[filepath.Clean(m.source)] = m.target
	}
	if targets["deploy/grafana/provisioning"] != "/etc/grafana/provisioning" {
		t.Errorf("grafana: deploy/grafana/provisioning must be mounted at /etc/grafana/provisioning, not %q", targets["deploy/grafana/provisioning"])
	}
	body, err := os.ReadFile(providerFile)
	must(t, err)
	if !strings.Contains(string(body), "path: "+targets["deploy/grafana/dashboards"]+"\n") {
		t.Errorf("grafana: deploy/grafana/dashboards is mounted at %q, which %s does not load", targets["deploy/grafana/dashboards"], providerFile)
	}
	body, err = os.ReadFile(datasourceFile)
	must(t, err)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, ref := range regexp.MustCompile(`\$(\w+)`).FindAllStringSubmatch(line, -1) {
			if _, ok := grafana.Environment[ref[1]]; !ok {
				t.Errorf("grafana: %s reads $%s, which the service's environment does not set", datasourceFile, ref[1])
			}
		}
	}

	doraflowService := c.Services["doraflow"]
	if !slices.Equal(doraflowService.Command[len(doraflowService.Command)-2:], []string{"run", "--migrate"}) {
		t.Errorf("doraflow: command %q, want it to end in run --migrate", doraflowService.Command)
	}
}

// dependsOn returns the service names of a depends_on, in either the list
// or the map form.
func dependsOn(t *testing.T, n yaml.Node) []string {
	t.Helper()
	var out []string
	switch n.Kind {
	case yaml.SequenceNode:
		must(t, n.Decode(&out))
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, n.Content[i].Value)
		}
	}
	return out
}

// composeDefault returns the value docker compose gives ${VAR:-default}
// when VAR is not set, a stand-in for a required ${VAR:?message}, or the
// literal value.
func composeDefault(v string) string {
	if m := regexp.MustCompile(`^\$\{\w+:-(.*)\}$`).FindStringSubmatch(v); m != nil {
		return m[1]
	}
	// A variable that must be set (${NAME:?message}) gets what a user's
	// .env would give it: a long random-looking value, the same for the
	// same name.
	if m := regexp.MustCompile(`^\$\{(\w+):\?.*\}$`).FindStringSubmatch(v); m != nil {
		return "from-dot-env-" + strings.ToLower(m[1]) + "-4f9c2a"
	}
	return v
}

// TestComposeDoraflowConfig loads deploy/doraflow.compose.yaml with the
// environment the compose file gives the doraflow service when nothing is
// set: it must be valid, reach the compose ClickHouse, and configure only
// custom blocks, which need no token.
func TestComposeDoraflowConfig(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	s := c.Services["doraflow"]
	var configPath string
	for _, m := range mounts(s) {
		if m.target == "/etc/doraflow/doraflow.yaml" {
			configPath = filepath.Join(repoRoot, m.source)
		}
	}
	if configPath == "" || !slices.Contains(s.Command, "/etc/doraflow/doraflow.yaml") {
		t.Fatalf("doraflow: want its config mounted at /etc/doraflow/doraflow.yaml and named by --config")
	}
	getenv := func(name string) (string, bool) {
		v, ok := s.Environment[name]
		return composeDefault(v), ok
	}
	cfg, err := config.LoadWithEnv(configPath, sources.Registry(), getenv)
	if err != nil {
		t.Fatalf("%s with the compose defaults: %v", configPath, err)
	}
	if !slices.Equal(cfg.ClickHouse.Addr, []string{"clickhouse:9000"}) || cfg.ClickHouse.Password.Value() != composeDefault(c.Services["clickhouse"].Environment["CLICKHOUSE_PASSWORD"]) {
		t.Errorf("config reaches ClickHouse at %v with another password than the clickhouse service sets", cfg.ClickHouse.Addr)
	}
	for _, b := range append(cfg.Deployments, cfg.Incidents...) {
		if b.Method != doraflow.MethodCustom {
			t.Errorf("block %s: method %s needs a token; without tokens only custom blocks may be configured", b.Name, b.Method)
		}
	}
	if cfg.GitHub.Token.Value() != "" || cfg.PagerDuty.Token.Value() != "" {
		t.Errorf("the tokens must default to empty")
	}
}

// TestDockerfile checks the image build: pinned base images, a static
// build and a small runtime image whose entrypoint is doraflow.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	must(t, err)
	var froms []string
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "FROM" {
			froms = append(froms, f[1])
			if !pinned(f[1]) {
				t.Errorf("Dockerfile: FROM %s is not pinned", f[1])
			}
		}
	}
	if len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:") {
		t.Fatalf("Dockerfile: want a golang build stage and a runtime stage, got %q", froms)
	}
	if last := froms[len(froms)-1]; !strings.Contains(last, "distroless/static") && !strings.Contains(last, "debian") {
		t.Errorf("Dockerfile: runtime image %s: want distroless/static or debian-slim", last)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/doraflow", `ENTRYPOINT ["/usr/local/bin/doraflow"]`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("Dockerfile: no %s", want)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	must(t, err)
	if !strings.Contains(string(ignore), ".local") {
		t.Errorf(".dockerignore must leave out .local (the test and demo servers' data)")
	}
}

// requiredSecret matches a compose value that must be set, with no
// default: ${NAME:?message}.
var requiredSecret = regexp.MustCompile(`^\$\{\w+:\?[^}]+\}$`)

// TestComposeHasNoDefaultSecrets holds docker-compose.yaml to what the
// security review asked: no password or API token has a default (compose
// refuses to start without them), and Grafana reads ClickHouse as a
// read-only user that can see only doraflow's database.
func TestComposeHasNoDefaultSecrets(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for name, s := range c.Services {
		for key, value := range s.Environment {
			secret := strings.Contains(key, "PASSWORD") || strings.HasSuffix(key, "_TOKEN")
			optional := key == "GITHUB_TOKEN" || key == "PAGERDUTY_TOKEN" // empty: that source is off
			if secret && !optional && !requiredSecret.MatchString(value) {
				t.Errorf("service %s: %s = %q has a default; use ${VAR:?message} so that compose refuses to start without it", name, key, value)
			}
		}
	}
	grafana := c.Services["grafana"]
	user := grafana.Environment["CLICKHOUSE_USER"]
	body, err := os.ReadFile(filepath.Join(repoRoot, "deploy/clickhouse/users.d/reader.xml"))
	must(t, err)
	var users struct {
		Profiles []struct {
			Inner []struct {
				XMLName  xml.Name
				Readonly int `xml:"readonly"`
			} `xml:",any"`
		} `xml:"profiles"`
		Users []struct {
			Inner []struct {
				XMLName   xml.Name
				Profile   string   `xml:"profile"`
				Databases []string `xml:"allow_databases>database"`
			} `xml:",any"`
		} `xml:"users"`
	}
	must(t, xml.Unmarshal(body, &users))
	readonly := map[string]int{}
	for _, p := range users.Profiles {
		for _, in := range p.Inner {
			readonly[in.XMLName.Local] = in.Readonly
		}
	}
	found := false
	for _, u := range users.Users {
		for _, in := range u.Inner {
			if in.XMLName.Local != user {
				continue
			}
			found = true
			if readonly[in.Profile] == 0 || !slices.Equal(in.Databases, []string{"dora"}) {
				t.Errorf("ClickHouse user %s: profile %s has readonly %d and databases %v; want read-only on dora alone", user, in.Profile, readonly[in.Profile], in.Databases)
			}
		}
	}
	if !found || user == "default" {
		t.Errorf("grafana reads ClickHouse as %q, which is not a read-only user of deploy/clickhouse/users.d/reader.xml", user)
	}
	mounted := false
	for _, m := range mounts(c.Services["clickhouse"]) {
		mounted = mounted || filepath.Clean(m.source) == "deploy/clickhouse/users.d/reader.xml" && strings.HasPrefix(m.target, "/etc/clickhouse-server/users.d/")
	}
	if !mounted {
		t.Error("clickhouse does not mount deploy/clickhouse/users.d/reader.xml into /etc/clickhouse-server/users.d/")
	}
	ds, err := os.ReadFile(datasourceFile)
	must(t, err)
	if !strings.Contains(string(ds), "editable: false") {
		t.Errorf("%s: the data source must not be editable in Grafana's UI", datasourceFile)
	}
}

package custom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"doraflow"
)

// memory is a Recorder that keeps records in maps.
type memory struct {
	mu          sync.Mutex
	deployments map[string]doraflow.Deployment
	incidents   map[string]doraflow.Incident
}

// StageDeploymentRecord merges an update over the stored record, as the
// pipeline does.
func (m *memory) StageDeploymentRecord(_ context.Context, r DeploymentRecord) (doraflow.Deployment, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev, had := m.deployments[strings.TrimSpace(r.ID)]
	if had {
		r = r.Over(prev)
	}
	d, err := r.Deployment(validateNow, "manual")
	if err != nil {
		return d, false, err
	}
	m.deployments[d.ID] = d
	return d, !had, nil
}

// StageIncidentRecord warns of a cause in another service, as the
// pipeline does.
func (m *memory) StageIncidentRecord(_ context.Context, r IncidentRecord) (doraflow.Incident, bool, []Warning, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev, had := m.incidents[strings.TrimSpace(r.ID)]
	if had {
		r = r.Over(prev)
	}
	in, err := r.Incident(validateNow, "manual")
	if err != nil {
		return in, false, nil, err
	}
	var warnings []Warning
	if d, ok := m.deployments[in.DeploymentID]; ok && d.Service != in.Service {
		warnings = append(warnings, Warning{Field: "deployment_id", Message: "deployment " + d.ID + " is of service " + d.Service + ", not " + in.Service})
	}
	m.incidents[in.ID] = in
	return in, !had, warnings, nil
}

func (m *memory) RetractDeploymentRecord(_ context.Context, id string) (doraflow.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, had := m.deployments[id]
	if !had {
		return d, fmt.Errorf("retract deployment %q: %w", id, ErrNotRecorded)
	}
	d.Retracted = true
	m.deployments[id] = d
	return d, nil
}

func (m *memory) RetractIncidentRecord(_ context.Context, id string) (doraflow.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, had := m.incidents[id]
	if !had {
		return in, fmt.Errorf("retract incident %q: %w", id, ErrNotRecorded)
	}
	in.Retracted = true
	m.incidents[id] = in
	return in, nil
}

func TestAPI(t *testing.T) {
	mem := &memory{deployments: map[string]doraflow.Deployment{}, incidents: map[string]doraflow.Incident{}}
	mux := http.NewServeMux()
	NewHandler(mem, []string{"good-token", ""}, zerolog.Nop()).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		name, path, token, body string
		want                    int
		wantErr                 string // substring of the JSON error
	}{
		{"no token", "/api/v1/deployments", "", `{"service":"api"}`, 401, "bearer token"},
		{"wrong token", "/api/v1/deployments", "bad", `{"service":"api"}`, 401, "bearer token"},
		{"empty token does not open the API", "/api/v1/deployments", " ", `{"service":"api"}`, 401, ""},
		{"created", "/api/v1/deployments", "good-token", `{"id":"d1","service":"api","deployed_at":"2024-01-02T10:00:00Z"}`, 201, ""},
		{"same id again", "/api/v1/deployments", "good-token", `{"id":"d1","service":"api","deployed_at":"2024-01-02T11:00:00Z"}`, 200, ""},
		{"bad json", "/api/v1/deployments", "good-token", `{"service":`, 400, "not valid JSON"},
		{"wrong type", "/api/v1/deployments", "good-token", `{"service":42}`, 400, "service"},
		{"unknown field", "/api/v1/deployments", "good-token", `{"service":"api","servce":"x"}`, 400, "servce: unknown field"},
		{"duplicate field", "/api/v1/deployments", "good-token", `{"id":"d9","service":"api","service":"evil"}`, 400, "service: duplicate field"},
		{"field in upper case", "/api/v1/deployments", "good-token", `{"id":"d9","SERVICE":"api"}`, 400, "SERVICE: unknown field (field names are lower case: service)"},
		{"control character in a name", "/api/v1/deployments", "good-token", `{"id":"d9","service":"api\u001b[31m"}`, 400, "service: contains the control character U+001B"},
		{"another source's id", "/api/v1/deployments", "good-token", `{"id":"acme/api#run-123","service":"api"}`, 400, "has the form of GitHub deployment ids"},
		{"lower-case scheme", "/api/v1/incidents", "good-token", `{"id":"i2","service":"api","created_at":"2024-01-02T10:00:00Z"}`, 201, ""},
		{"bad date", "/api/v1/deployments", "good-token", `{"service":"api","deployed_at":"yesterday"}`, 400, "deployed_at"},
		{"empty service", "/api/v1/deployments", "good-token", `{"service":"  "}`, 400, "service"},
		{"bad status", "/api/v1/deployments", "good-token", `{"service":"api","status":"meh"}`, 400, "status"},
		{"two values", "/api/v1/deployments", "good-token", `{"service":"api"} {}`, 400, "more than one"},
		{"empty body", "/api/v1/deployments", "good-token", ``, 400, "empty"},
		{"too big", "/api/v1/deployments", "good-token", `{"service":"` + strings.Repeat("a", MaxBody) + `"}`, 413, "body over"},
		{"incident open", "/api/v1/incidents", "good-token", `{"id":"i1","service":"api","created_at":"2024-01-02T10:00:00Z"}`, 201, ""},
		{"incident resolved", "/api/v1/incidents", "good-token", `{"id":"i1","service":"api","created_at":"2024-01-02T10:00:00Z","resolved_at":"2024-01-02T11:00:00Z"}`, 200, ""},
		{"incident without created_at", "/api/v1/incidents", "good-token", `{"service":"api"}`, 400, "created_at"},
		{"incident resolved before created", "/api/v1/incidents", "good-token", `{"service":"api","created_at":"2024-01-02","resolved_at":"2024-01-01"}`, 400, "resolved_at"},
		{"GET is not allowed", "/api/v1/incidents", "good-token", "", 405, ""},
	}
	for _, c := range cases {
		method := http.MethodPost
		if c.want == 405 {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, srv.URL+c.path, strings.NewReader(c.body))
		if c.token != "" {
			scheme := "Bearer "
			if strings.HasPrefix(c.name, "lower-case scheme") {
				scheme = "bearer "
			}
			req.Header.Set("Authorization", scheme+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body := new(strings.Builder)
		_, _ = io.Copy(body, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d (%s)", c.name, resp.StatusCode, c.want, body)
		}
		if c.wantErr != "" && !strings.Contains(body.String(), c.wantErr) {
			t.Errorf("%s: body %s, want an error mentioning %q", c.name, body, c.wantErr)
		}
		if c.want >= 400 && c.want != 405 && !strings.HasPrefix(body.String(), `{"error":`) {
			t.Errorf("%s: body %s, want a JSON error", c.name, body)
		}
	}
	if len(mem.deployments) != 1 || mem.deployments["d1"].DeployedAt.Hour() != 11 {
		t.Fatalf("stored deployments = %+v, want d1 updated to 11:00", mem.deployments)
	}
	if in := mem.incidents["i1"]; len(mem.incidents) != 2 || !in.Resolved() {
		t.Fatalf("stored incidents = %+v, want i1 resolved and i2", mem.incidents)
	}
}

// TestAPIUpdatesAndRetracts checks that a repeated id changes only the
// fields sent (an incident resolved by its id and resolved_at keeps its
// title), and the DELETE endpoints: bearer token required, 200 with the
// record retracted, 404 for an id never recorded.
func TestAPIUpdatesAndRetracts(t *testing.T) {
	mem := &memory{deployments: map[string]doraflow.Deployment{}, incidents: map[string]doraflow.Incident{}}
	mux := http.NewServeMux()
	NewHandler(mem, []string{"good-token"}, zerolog.Nop()).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, c := range []struct {
		name, method, path, token, body string
		want                            int
		wantBody                        string // substring of the JSON answer
	}{
		{"record", "POST", "/api/v1/deployments", "good-token", `{"id":"d1","service":"api","title":"v1.2","deployed_at":"2024-05-02T10:00:00Z"}`, 201, `"id":"d1"`},
		{"update the status only", "POST", "/api/v1/deployments", "good-token", `{"id":"d1","status":"failure"}`, 200, `"deployed_at":"2024-05-02T10:00:00Z"`},
		{"open incident", "POST", "/api/v1/incidents", "good-token", `{"id":"INC-1","service":"api","title":"errors up","created_at":"2024-05-02T10:30:00Z"}`, 201, ""},
		{"resolve by id", "POST", "/api/v1/incidents", "good-token", `{"id":"INC-1","resolved_at":"2024-05-02T11:00:00Z"}`, 200, `"resolved_at":"2024-05-02T11:00:00Z"`},
		{"a cause in another service is stored and warned", "POST", "/api/v1/incidents", "good-token", `{"id":"INC-2","service":"web","created_at":"2024-05-02T10:40:00Z","deployment_id":"d1"}`, 201,
			`"warnings":[{"field":"deployment_id","message":"deployment d1 is of service api, not web"}]`},
		{"a new record still needs its service", "POST", "/api/v1/deployments", "good-token", `{"id":"d2"}`, 400, "service: required"},
		{"retract without a token", "DELETE", "/api/v1/deployments/d1", "", "", 401, "bearer token"},
		{"retract with a wrong token", "DELETE", "/api/v1/deployments/d1", "bad", "", 401, "bearer token"},
		{"retract a deployment", "DELETE", "/api/v1/deployments/d1", "good-token", "", 200, `"retracted":true`},
		{"retract it again", "DELETE", "/api/v1/deployments/d1", "good-token", "", 200, `"retracted":true`},
		{"retract an incident", "DELETE", "/api/v1/incidents/INC-1", "good-token", "", 200, `"id":"INC-1"`},
		{"retract an unknown deployment", "DELETE", "/api/v1/deployments/nope", "good-token", "", 404, `id: no custom deployment \"nope\" is recorded`},
		{"retract an unknown incident", "DELETE", "/api/v1/incidents/nope", "good-token", "", 404, `id: no custom incident \"nope\" is recorded`},
		{"retract with an escaped slash", "DELETE", "/api/v1/incidents/a%2Fb", "good-token", "", 404, `\"a/b\"`},
		{"DELETE without an id", "DELETE", "/api/v1/deployments/", "good-token", "", 400, "id: required"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !strings.Contains(string(body), c.wantBody) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, resp.StatusCode, body, c.want, c.wantBody)
		}
		if c.want >= 400 && c.want != 405 && !strings.HasPrefix(string(body), `{"error":`) {
			t.Errorf("%s: body %s, want a JSON error", c.name, body)
		}
		if strings.Contains(string(body), `"warnings"`) != strings.Contains(c.wantBody, `"warnings"`) {
			t.Errorf("%s: body %s: warnings only when the record looks like a slip", c.name, body)
		}
	}
	d := mem.deployments["d1"]
	if len(mem.deployments) != 1 || d.Title != "v1.2" || d.Status != doraflow.StatusFailure || d.DeployedAt.Hour() != 10 || !d.Retracted {
		t.Errorf("stored deployments %+v, want d1 with its title and time, failed, retracted", mem.deployments)
	}
	in := mem.incidents["INC-1"]
	if len(mem.incidents) != 2 || in.Title != "errors up" || in.Service != "api" || !in.Resolved() || !in.Retracted {
		t.Errorf("stored incidents %+v, want INC-1 with its title, resolved, retracted, and INC-2 caused by d1", mem.incidents)
	}
}

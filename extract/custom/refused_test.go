package custom

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"doraflow"
)

// TestDecodeRefusesDuplicateAndFoldedFields checks the fields encoding/json
// would take silently: a repeated field, whose last value wins, and a name
// in another case, which it matches to a field case-insensitively.
func TestDecodeRefusesDuplicateAndFoldedFields(t *testing.T) {
	for _, c := range []struct {
		name, body, want string // want "" accepts
	}{
		{"duplicate", `{"service":"api","service":"evil"}`, "service: duplicate field: send each field once"},
		{"duplicate, same value", `{"id":"a","id":"a","service":"api"}`, "id: duplicate field"},
		{"duplicate, written with an escape", `{"service":"api","\u0073ervice":"evil"}`, "service: duplicate field"},
		{"duplicate after a nested value", `{"title":"x","url":"u","title":"y"}`, "title: duplicate field"},
		{"upper case", `{"SERVICE":"api"}`, "SERVICE: unknown field (field names are lower case: service)"},
		{"title case", `{"service":"api","Deployed_At":"2024-01-01"}`, "Deployed_At: unknown field (field names are lower case: deployed_at)"},
		{"Unicode folding (long s)", `{"ſervice":"api"}`, "ſervice: unknown field (field names are lower case: service)"},
		{"Kelvin sign", `{"service":"api","\u212aey":"x"}`, "\u212aey: unknown field"},
		{"unknown", `{"service":"api","servce":"x"}`, "servce: unknown field"},
		// Values are not walked for names: a nested object is a type error.
		{"nested object", `{"service":{"service":1,"service":2}}`, "service: want a string"},
		{"escaped name", `{"\u0073ervice":"api"}`, ""},
		{"every field once", `{"id":"a","service":"api","environment":"e","sha":"s","repository":"a/b","deployed_at":"2024-01-01","status":"success","url":"u","title":"t"}`, ""},
		// Not objects, or not JSON: decoding names the problem, as before.
		{"array", `[{"service":"api"},{"service":"api"}]`, "body: want a JSON object"},
		{"broken after a duplicate-free start", `{"service":"api",`, "not valid JSON"},
	} {
		var rec DeploymentRecord
		err := decodeStrict([]byte(c.body), &rec)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it decoded", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRefusedRequestsAreLoggedAndCounted sends requests the API refuses:
// each is counted by reason, and each refused for its token is logged
// once at warn with the method, path and remote address, never with the
// token.
func TestRefusedRequestsAreLoggedAndCounted(t *testing.T) {
	const token, guess = "the-configured-token-0123", "a-guessed-token-SECRET-4567"
	var logs bytes.Buffer
	var mu sync.Mutex
	counts := map[string]int{}
	mem := &memory{deployments: map[string]doraflow.Deployment{}, incidents: map[string]doraflow.Incident{}}
	h := NewHandler(mem, []string{token}, zerolog.New(&logs))
	h.Refused = func(reason string) {
		mu.Lock()
		defer mu.Unlock()
		counts[reason]++
	}
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, c := range []struct {
		path, auth, body string
		want             int
	}{
		{"/api/v1/deployments", "Bearer " + guess, `{"service":"api"}`, http.StatusUnauthorized},
		{"/api/v1/incidents", "", `{"service":"api"}`, http.StatusUnauthorized},
		{"/api/v1/deployments", "Basic " + guess, `{"service":"api"}`, http.StatusUnauthorized},
		{"/api/v1/deployments", "Bearer " + token, `{"service":"api","service":"x"}`, http.StatusBadRequest},
		{"/api/v1/deployments", "Bearer " + token, `{"service":"api\u001b[31m"}`, http.StatusBadRequest},
		{"/api/v1/deployments", "Bearer " + token, `{"service":"` + strings.Repeat("a", MaxBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"/api/v1/deployments", "Bearer " + token, `{"service":"api"}`, http.StatusCreated},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Fatalf("POST %s: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}

	mu.Lock()
	if want := map[string]int{RefusedUnauthorized: 3, RefusedInvalid: 2, RefusedTooLarge: 1}; !maps.Equal(counts, want) {
		t.Errorf("refused counts %v, want %v", counts, want)
	}
	mu.Unlock()
	if strings.Contains(logs.String(), guess) || strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("the log shows a token:\n%s", logs.String())
	}
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want one per request refused for its token:\n%s", len(lines), logs.String())
	}
	paths := []string{"/api/v1/deployments", "/api/v1/incidents", "/api/v1/deployments"}
	for i, l := range lines {
		if l["level"] != "warn" || l["method"] != http.MethodPost || l["path"] != paths[i] || !strings.HasPrefix(l["remote"].(string), "127.0.0.1:") {
			t.Errorf("log line %d = %v, want a warning with method POST, path %s and the remote address", i, l, paths[i])
		}
	}
}

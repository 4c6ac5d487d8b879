package custom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
)

// sampleRecorder keeps records under the sample's block names, as the
// pipeline files them under the config's first custom block.
type sampleRecorder struct {
	memory
	deploymentBlock, incidentBlock string
}

func (s *sampleRecorder) StageDeploymentRecord(_ context.Context, r DeploymentRecord) (doraflow.Deployment, bool, error) {
	d, err := r.Deployment(validateNow, s.deploymentBlock)
	if err != nil {
		return d, false, err
	}
	_, had := s.deployments[d.ID]
	s.deployments[d.ID] = d
	return d, !had, nil
}

func (s *sampleRecorder) StageIncidentRecord(_ context.Context, r IncidentRecord) (doraflow.Incident, bool, []Warning, error) {
	in, err := r.Incident(validateNow, s.incidentBlock)
	if err != nil {
		return in, false, nil, err
	}
	_, had := s.incidents[in.ID]
	s.incidents[in.ID] = in
	return in, !had, nil, nil
}

// TestSampleBlocks loads sample.yaml with the config loader and records a
// deployment and an incident through the API with its token and blocks,
// so the sample stays valid and meaningful.
func TestSampleBlocks(t *testing.T) {
	cfg, err := config.LoadWithEnv("sample.yaml", doraflow.NewRegistry(Methods()), func(k string) (string, bool) { return "sample-" + k, true })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Deployments) != 1 || cfg.Deployments[0].Method != doraflow.MethodCustom {
		t.Fatalf("sample.yaml has deployment blocks %+v, want one of method custom", cfg.Deployments)
	}
	if len(cfg.Incidents) != 1 || cfg.Incidents[0].Method != doraflow.MethodCustom {
		t.Fatalf("sample.yaml has incident blocks %+v, want one of method custom", cfg.Incidents)
	}
	if cfg.Server.Listen != "127.0.0.1:8080" || len(cfg.Server.Tokens) != 1 {
		t.Fatalf("sample server section %+v, want loopback and one token", cfg.Server)
	}
	token := cfg.Server.Tokens[0].Value()
	if token != "sample-DORAFLOW_API_TOKEN" {
		t.Fatalf("sample token %q, want ${DORAFLOW_API_TOKEN}", token)
	}

	rec := &sampleRecorder{
		memory:          memory{deployments: map[string]doraflow.Deployment{}, incidents: map[string]doraflow.Incident{}},
		deploymentBlock: cfg.Deployments[0].Name, incidentBlock: cfg.Incidents[0].Name,
	}
	mux := http.NewServeMux()
	NewHandler(rec, []string{token}, zerolog.Nop()).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	post := func(path, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s %s: status %d, want %d (%s)", path, body, resp.StatusCode, want, got)
		}
	}
	post("/api/v1/deployments", `{"id":"deploy-4711","service":"api","sha":"9fceb02","repository":"acme/api","deployed_at":"2024-03-01T10:00:00Z"}`, http.StatusCreated)
	post("/api/v1/incidents", `{"id":"INC-12","service":"api","created_at":"2024-03-01T10:20:00Z","deployment_id":"deploy-4711"}`, http.StatusCreated)
	post("/api/v1/incidents", `{"id":"INC-12","service":"api","created_at":"2024-03-01T10:20:00Z","resolved_at":"2024-03-01T11:05:00Z","deployment_id":"deploy-4711"}`, http.StatusOK)

	d := rec.deployments["deploy-4711"]
	if d.Block != cfg.Deployments[0].Name || d.Source != doraflow.SourceCustom || d.Method != doraflow.MethodCustom ||
		d.Environment != doraflow.EnvironmentProduction || d.Status != doraflow.StatusSuccess {
		t.Errorf("recorded deployment %+v", d)
	}
	in := rec.incidents["INC-12"]
	if in.Block != cfg.Incidents[0].Name || in.Source != doraflow.SourceCustom || !in.Resolved() || in.DeploymentID != "deploy-4711" {
		t.Errorf("recorded incident %+v", in)
	}
}

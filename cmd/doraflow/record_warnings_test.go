package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"doraflow/extract/custom"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestAPIWarnsOfACauseInAnotherService posts incidents to `doraflow run`:
// one pinned on a deployment of another service is stored (201) with a
// warnings array naming both services; one pinned on its own service's
// deployment has no warnings key at all.
func TestAPIWarnsOfACauseInAnotherService(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		const token = "warnings-api-token-0123"
		addr := freeAddr(t)
		c := newCLI(t, fmt.Sprintf("server:\n  listen: %s\n  tokens: [%s]\n", addr, token))
		mustCLI(t, c, "migrate")
		mustCLI(t, c, "record", "deployment", "--service", "api", "--id", "d1", "--deployed-at", "2024-01-02T10:00:00Z")
		d := c.startDaemon(addr)
		for _, tc := range []struct {
			name, body string
			want       int
			warnings   []string // what each warning says, in part
		}{
			{"own service", `{"id":"i1","service":"api","created_at":"2024-01-02T11:00:00Z","deployment_id":"d1"}`, http.StatusCreated, nil},
			{"another service", `{"id":"i2","service":"web","new_service":true,"created_at":"2024-01-02T11:00:00Z","deployment_id":"d1"}`, http.StatusCreated,
				[]string{`deployment "d1" is of service api, but incident "i2" is of service web`}},
			{"the same cause on update", `{"id":"i2","resolved_at":"2024-01-02T12:00:00Z"}`, http.StatusOK, nil},
		} {
			code, resp := d.request(http.MethodPost, "/api/v1/incidents", token, tc.body)
			var body struct {
				ID       string            `json:"id"`
				Warnings *[]custom.Warning `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(resp), &body); err != nil || code != tc.want {
				t.Fatalf("%s: %d %s (%v), want %d", tc.name, code, resp, err, tc.want)
			}
			switch {
			case tc.warnings == nil && body.Warnings != nil:
				t.Errorf("%s: %s, want no warnings key", tc.name, resp)
			case tc.warnings != nil && (body.Warnings == nil || len(*body.Warnings) != len(tc.warnings)):
				t.Errorf("%s: %s, want %d warnings", tc.name, resp, len(tc.warnings))
			case tc.warnings != nil:
				for i, w := range *body.Warnings {
					if w.Field != "deployment_id" || !strings.Contains(w.Message, tc.warnings[i]) || !strings.Contains(w.Message, "If that is a mistake") {
						t.Errorf("%s: warning %+v, want deployment_id saying %q and how to fix it", tc.name, w, tc.warnings[i])
					}
				}
			}
		}
		if code := d.stop(); code != 0 {
			t.Fatalf("doraflow run exited %d:\n%s", code, d.stderr.String())
		}
	})
}

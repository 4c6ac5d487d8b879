package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

// TestRecordRefusesUnsafeIdentifiers runs `doraflow record` with values
// the API refuses too: each exits 2 naming the flag, before ClickHouse is
// reached (the config points at a port nothing listens on).
func TestRecordRefusesUnsafeIdentifiers(t *testing.T) {
	path := writeFile(t, t.TempDir(), "doraflow.yaml", "clickhouse:\n  addr: 127.0.0.1:1\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"deployment", "--service", "api\x1b[31m"}, "record deployment: --service: contains the control character U+001B"},
		{[]string{"deployment", "--service", "api", "--id", "d\u202e1"}, "record deployment: --id: contains the bidirectional formatting character U+202E"},
		{[]string{"deployment", "--service", "api", "--environment", "prod\tx"}, "record deployment: --environment: contains the control character U+0009"},
		{[]string{"deployment", "--service", "api", "--id", "acme/api#run-123"}, "record deployment: --id: \"acme/api#run-123\" has the form of GitHub deployment ids"},
		{[]string{"deployment", "--service", "api", "--deployed-at", "2100-12-31T23:59:59-23:00"}, "record deployment: --deployed-at: 2100-12-31T23:59:59-23:00 is 2101-01-01T22:59:59Z in UTC, out of range"},
		{[]string{"incident", "--service", "api", "--created-at", "2024-01-01", "--deployment", "d\x00"}, "record incident: --deployment: contains the control character U+0000"},
		{[]string{"incident", "--service", "api", "--created-at", "2024-01-01", "--id", "PT4KHLK"}, "record incident: --id: \"PT4KHLK\" has the form of PagerDuty incident ids"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"--config", path, "record"}, c.args...), &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("record %q: exit %d, stderr %q; want exit 2 with %q", c.args, code, errOut.String(), c.want)
		}
	}
}

// TestRecordUpdateTyposAndDelete runs `doraflow record` against a test
// database: an update keeps the fields it does not give, typos exit 2
// naming the flag and what to do, and `record delete` retracts a record
// so that it stops counting.
func TestRecordUpdateTyposAndDelete(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		mustRun := func(args ...string) string {
			t.Helper()
			code, out, errOut := c.run(args...)
			if code != 0 {
				t.Fatalf("doraflow %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			}
			return out
		}
		deployments := func() float64 {
			t.Helper()
			var report struct{ Rows []map[string]any }
			out := mustRun("metrics", "--from", "2024-01-01", "--to", "2024-01-08", "--group-by", "none", "--format", "json")
			if err := json.Unmarshal([]byte(out), &report); err != nil || len(report.Rows) != 1 {
				t.Fatalf("metrics json: %v\n%s", err, out)
			}
			return report.Rows[0]["deployments"].(float64)
		}
		mustRun("migrate")
		mustRun("record", "deployment", "--service", "api", "--id", "d1", "--title", "v1.2", "--deployed-at", "2024-01-02T10:00:00Z")
		mustRun("record", "deployment", "--service", "api", "--id", "d2", "--deployed-at", "2024-01-03T10:00:00Z")
		// Neither --service nor --deployed-at: both kept.
		if out := mustRun("record", "deployment", "--id", "d1", "--sha", "abc123"); out != "updated deployment d1 (service api, production, 2024-01-02T10:00:00Z)\n" {
			t.Fatalf("update said %q", out)
		}
		mustRun("record", "incident", "--service", "api", "--id", "INC-1", "--title", "errors up", "--created-at", "2024-01-03T11:00:00Z")
		if out := mustRun("record", "incident", "--id", "INC-1", "--resolved-at", "2024-01-03T11:30:00Z"); !strings.Contains(out, "updated incident INC-1 (service api, created 2024-01-03T11:00:00Z, resolved 2024-01-03T11:30:00Z)") {
			t.Fatalf("resolve said %q", out)
		}
		store, err := clickhouse.Open(context.Background(), c.db)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		in, _, errI := store.RecordedIncident(context.Background(), "INC-1")
		d, _, errD := store.RecordedDeployment(context.Background(), "d1")
		if errI != nil || errD != nil {
			t.Fatal(errI, errD)
		}
		if in.Title != "errors up" || d.Title != "v1.2" || d.SHA != "abc123" {
			t.Fatalf("after the updates: incident %+v, deployment %+v; want their titles kept", in, d)
		}

		for _, cc := range []struct {
			args []string
			want string
		}{
			{[]string{"record", "deployment", "--service", "nosuch-svc"}, `record deployment: --service: "nosuch-svc" is not a service of the config (api)`},
			{[]string{"record", "deployment", "--service", "api", "--environment", "Prod"}, `record deployment: --environment: "Prod" is an environment no deployment had yet (known: production) (did you mean "production"?)`},
			{[]string{"record", "deployment", "--service", "api", "--deployed-at", "2030-01-01"}, "record deployment: --deployed-at: 2030-01-01T00:00:00Z is more than a day in the future"},
			{[]string{"record", "incident", "--service", "api", "--created-at", "2024-01-04", "--deployment", "does-not-exist"}, `record incident: --deployment: no deployment "does-not-exist" is recorded`},
			{[]string{"record", "delete", "deployment", "--id", "nope"}, `record delete deployment: --id: no custom deployment "nope" is recorded`},
			{[]string{"record", "delete", "incident"}, "record delete incident: --id: required"},
			{[]string{"record", "delete", "thing", "--id", "x"}, "record delete: say what to retract"},
			{[]string{"record", "deployment", "--id", "d9"}, "record deployment: --service: required"},
		} {
			code, _, errOut := c.run(cc.args...)
			if code != 2 || !strings.Contains(errOut, cc.want) {
				t.Errorf("doraflow %s: exit %d, stderr %q; want exit 2 with %q", strings.Join(cc.args, " "), code, errOut, cc.want)
			}
		}
		mustRun("record", "deployment", "--service", "billing", "--new-service", "--environment", "canary", "--new-environment", "--id", "b1", "--deployed-at", "2024-01-10")
		// A cause in another service is recorded, and the caller warned on
		// stderr (the golden pins the line: both services, how to fix).
		checkEdgeCases(t, c, []edgeCase{{name: "record-incident-other-service", args: []string{"record", "incident", "--service", "billing", "--new-service",
			"--id", "INC-2", "--created-at", "2024-01-10T11:00:00Z", "--deployment", "d1"}}})
		// The same cause again is no news: no warning.
		if code, _, errOut := c.run("record", "incident", "--id", "INC-2", "--resolved-at", "2024-01-10T12:00:00Z"); code != 0 || withoutInfoLogs(t, errOut) != "" {
			t.Errorf("resolving INC-2: exit %d, stderr %q; want 0 and nothing on stderr", code, errOut)
		}

		if n := deployments(); n != 2 {
			t.Fatalf("deployments before delete = %v, want 2", n)
		}
		if out := mustRun("record", "delete", "deployment", "--id", "d2"); !strings.HasPrefix(out, "retracted deployment d2 (service api)") {
			t.Fatalf("delete said %q", out)
		}
		if n := deployments(); n != 1 {
			t.Fatalf("deployments after delete = %v, want 1", n)
		}
		mustRun("record", "delete", "incident", "--id", "INC-1")
	})
}

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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

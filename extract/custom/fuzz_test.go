package custom

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/metrics"
)

// FuzzRecord feeds any body to the write API's decoding and validation of
// a deployment or an incident: no input panics, every error names the
// field at fault (or the body), and what validates is a row the store can
// hold.
func FuzzRecord(f *testing.F) {
	for _, body := range []string{
		`{"id":"d1","service":"api","environment":"staging","sha":"9fceb02","repository":"acme/api","deployed_at":"2024-03-01T10:00:00Z","status":"failure","url":"https://ci/1","title":"Deploy"}`,
		`{"id":"i1","service":"api","created_at":"2024-03-01","resolved_at":"2024-03-01T11:05:00+02:00","deployment_id":"d1","title":"Down\nagain"}`,
		`{"service":"x'); DROP TABLE deployments; --","created_at":"2024-01-01"}`,
		`{"service":"\u0000","id":"a\r\n"}`, `{"service":"☕ \\ ' \" \u0007"}`, `{"service":"  "}`,
		`{"service":42}`, `{"service":["a"]}`, `{"service":{"a":1}}`, `{"service":null}`, `{"service":1e400}`,
		`{"servce":"api"}`, `{"service":"api"} {}`, `{"service":"api"`, `[]`, `"api"`, `null`, `42`, ``, ` `,
		`{"service":"api","deployed_at":"1970-01-01"}`, `{"service":"api","deployed_at":"2101-01-01"}`, `{"service":"api","deployed_at":"yesterday"}`,
		`{"service":"api","created_at":"2024-01-02","resolved_at":"2024-01-01"}`, `{"service":"api","status":"meh"}`,
		`{"service":"api","repository":"a/b/c"}`, `{"service":"` + strings.Repeat("a", maxField+1) + `"}`,
		// Bounds are in UTC, whatever the offset: the first two are
		// 2101-01-01 and 1970-12-31 in UTC, the last two within range.
		`{"service":"api","deployed_at":"2100-12-31T23:59:59-23:00"}`, `{"service":"api","created_at":"1971-01-01T00:30:00+01:00"}`,
		`{"service":"api","deployed_at":"2101-01-01T00:30:00+01:00"}`, `{"service":"api","created_at":"1970-12-31T23:30:00-01:00"}`,
		`{"service":"api","created_at":"2024-01-01","resolved_at":"2100-12-31T23:59:59-23:59"}`,
		// Fields encoding/json would take: twice, or in another case.
		`{"service":"api","service":"evil"}`, `{"SERVICE":"api"}`, `{"ſervice":"api"}`, `{"service":"api","service":"x"}`,
		// Text that acts on a terminal, and other sources' ids.
		`{"service":"api[31m"}`, `{"service":"‮ipa"}`, `{"service":"api","id":"a	b"}`, `{"service":"api","title":"[2J‮"}`,
		`{"service":"api","id":"acme/api#run-123"}`, `{"service":"api","created_at":"2024-01-01","id":"Q0RIJJZL24RC6W"}`,
	} {
		f.Add(false, []byte(body))
		f.Add(true, []byte(body))
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, incident bool, body []byte) {
		if incident {
			var rec IncidentRecord
			if err := decodeStrict(body, &rec); err != nil {
				checkDecodeError(t, err, rec)
				return
			}
			in, err := rec.Incident(now, "manual")
			if err != nil {
				checkFieldError(t, err, rec)
				return
			}
			checkRow(t, [][2]string{{"id", in.ID}, {"service", in.Service}, {"deployment_id", in.DeploymentID}}, in.CreatedAt)
			if pagerDutyIncidentID.MatchString(in.ID) {
				t.Fatalf("incident id %q of PagerDuty's form accepted", in.ID)
			}
			if in.Resolved() && in.ResolvedAt.Before(in.CreatedAt) {
				t.Fatalf("incident resolved at %s before it was created at %s", in.ResolvedAt, in.CreatedAt)
			}
			return
		}
		var rec DeploymentRecord
		if err := decodeStrict(body, &rec); err != nil {
			checkDecodeError(t, err, rec)
			return
		}
		d, err := rec.Deployment(now, "manual")
		if err != nil {
			checkFieldError(t, err, rec)
			return
		}
		checkRow(t, [][2]string{{"id", d.ID}, {"service", d.Service}, {"environment", d.Environment}, {"repository", d.Repository}, {"sha", d.SHA}}, d.DeployedAt)
		if githubDeploymentID.MatchString(d.ID) {
			t.Fatalf("deployment id %q of GitHub's form accepted", d.ID)
		}
		if d.Status != doraflow.StatusSuccess && d.Status != doraflow.StatusFailure {
			t.Fatalf("status %q accepted", d.Status)
		}
	})
}

// jsonFields returns the JSON names of a record type's fields.
func jsonFields(record any) []string {
	var names []string
	rt := reflect.TypeOf(record)
	for i := range rt.NumField() {
		names = append(names, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	return names
}

// checkDecodeError wants a message that starts with the body or with the
// field at fault: a field of the record, or an unknown one it names.
func checkDecodeError(t *testing.T, err error, record any) {
	t.Helper()
	msg := err.Error()
	field, rest, ok := strings.Cut(msg, ": ")
	switch {
	case strings.HasPrefix(msg, "body "), strings.HasPrefix(msg, "body:"):
	case strings.HasSuffix(msg, ": unknown field"), strings.Contains(msg, ": unknown field (field names are lower case: "):
		// An unknown name, which may itself hold ": ".
	case ok && strings.HasPrefix(rest, "duplicate field") && slices.Contains(jsonFields(record), field):
	case ok && slices.Contains(jsonFields(record), field):
	default:
		t.Fatalf("decode error %q names neither the body nor a field", msg)
	}
}

// checkFieldError wants a *FieldError naming a field of the record, with
// a message.
func checkFieldError(t *testing.T, err error, record any) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) || !slices.Contains(jsonFields(record), fe.Field) || fe.Message == "" {
		t.Fatalf("validation error %v (%T): want a *FieldError naming a field and what is wrong", err, err)
	}
}

// checkRow checks what a record that validated holds: identifiers that
// are set, bounded, printable as they are (nothing metrics.Text would
// escape), and a time ClickHouse can store.
func checkRow(t *testing.T, identifiers [][2]string, at time.Time) {
	t.Helper()
	for _, f := range identifiers {
		name, v := f[0], f[1]
		if len(v) > maxField || metrics.Text(v) != v || v != strings.TrimSpace(v) {
			t.Fatalf("%s %q accepted", name, v)
		}

		if (name == "id" || name == "service") && v == "" {
			t.Fatalf("%s empty in a valid record", name)
		}
	}
	if at.Year() < 1971 || at.Year() > 2100 || at.Location() != time.UTC || at.Nanosecond() != 0 {
		t.Fatalf("time %s accepted: want UTC seconds between 1971 and 2100", at)
	}
}

package custom

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"doraflow"
	"doraflow/metrics"
)

var validateNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// validate runs the validation of a record at validateNow and returns
// its error, if any.
func validate(t *testing.T, record any) error {
	t.Helper()
	return validateAt(t, validateNow, record)
}

// validateAt runs the validation of a record at now.
func validateAt(t *testing.T, now time.Time, record any) error {
	t.Helper()
	switch r := record.(type) {
	case DeploymentRecord:
		_, err := r.Deployment(now, "manual")
		return err
	case IncidentRecord:
		_, err := r.Incident(now, "manual")
		return err
	}
	t.Fatalf("not a record: %T", record)
	return nil
}

// wantFieldError checks that err is a *FieldError on field whose message
// contains want; want "" wants no error.
func wantFieldError(t *testing.T, what string, err error, field, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Errorf("%s: %v, want it accepted", what, err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(fe.Message, want) {
		t.Errorf("%s: error %v, want a FieldError on %s mentioning %q", what, err, field, want)
	}
}

// unsafeText are the characters that act on a terminal or on the order
// text is shown in, one of each kind, and how they are refused.
var unsafeText = []struct {
	name, text, want string
}{
	{"ESC", "api\x1b[31m", "control character U+001B"},
	{"tab", "a\tpi", "control character U+0009"},
	{"NUL", "a\x00pi", "control character U+0000"},
	{"newline", "a\npi", "control character U+000A"},
	{"BEL", "a\x07pi", "control character U+0007"},
	{"DEL", "a\x7fpi", "control character U+007F"},
	{"C1 CSI", "a\u009b31mpi", "control character U+009B"},
	{"C1 NEL", "a\u0085pi", "control character U+0085"},
	{"line separator", "a\u2028pi", "control character U+2028"},
	{"RLO", "api\u202eved", "bidirectional formatting character U+202E"},
	{"LRE", "\u202aapi", "bidirectional formatting character U+202A"},
	{"RLI", "a\u2067pi", "bidirectional formatting character U+2067"},
	{"PDI", "a\u2069pi", "bidirectional formatting character U+2069"},
	{"LRM", "a\u200epi", "bidirectional formatting character U+200E"},
	{"RLM", "a\u200fpi", "bidirectional formatting character U+200F"},
	{"ALM", "a\u061cpi", "bidirectional formatting character U+061C"},
	{"byte that is not UTF-8", "a\x9bpi", "not valid UTF-8"},
}

// TestIdentifiersRefuseUnsafeText puts each unsafe character into each
// id and name of both records: every one is refused, naming the field,
// so that explain and metrics never print it raw. Titles keep them.
func TestIdentifiersRefuseUnsafeText(t *testing.T) {
	for _, c := range unsafeText {
		for field, rec := range map[string]any{
			"id":            DeploymentRecord{ID: c.text, Service: "api"},
			"service":       DeploymentRecord{Service: c.text},
			"environment":   DeploymentRecord{Service: "api", Environment: c.text},
			"repository":    DeploymentRecord{Service: "api", Repository: "acme/" + c.text},
			"sha":           DeploymentRecord{Service: "api", SHA: c.text},
			"url":           DeploymentRecord{Service: "api", URL: "https://ci/" + c.text},
			"incident id":   IncidentRecord{ID: c.text, Service: "api", CreatedAt: "2024-01-01"},
			"incident svc":  IncidentRecord{Service: c.text, CreatedAt: "2024-01-01"},
			"deployment_id": IncidentRecord{Service: "api", CreatedAt: "2024-01-01", DeploymentID: c.text},
		} {
			name := map[string]string{"incident id": "id", "incident svc": "service"}[field]
			if name == "" {
				name = field
			}
			wantFieldError(t, c.name+" in "+field, validate(t, rec), name, c.want)
		}
		wantFieldError(t, c.name+" in a deployment title", validate(t, DeploymentRecord{Service: "api", Title: c.text}), "", "")
		wantFieldError(t, c.name+" in an incident title", validate(t, IncidentRecord{Service: "api", CreatedAt: "2024-01-01", Title: c.text}), "", "")
	}
	// What is printable stays accepted, whatever its script.
	for _, ok := range []string{"api", "café ☕ 日本語 🚀", `x'); DROP TABLE deployments; --`, `<b>"a"</b>`, "\uFFFD", `back\slash`} {
		wantFieldError(t, ok, validate(t, DeploymentRecord{ID: ok, Service: ok, Environment: ok, SHA: ok}), "", "")
	}
}

// TestRefusedRunesAreTheEscapedOnes holds the validation and the terminal
// output to one definition: a rune is refused in an identifier exactly
// when metrics.Text escapes it, for every rune there is.
func TestRefusedRunesAreTheEscapedOnes(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue // surrogates are no runes of UTF-8 text
		}
		s := "a" + string(r) + "b"
		refused := unprintable(s) != ""
		escaped := metrics.Text(s) != s
		if refused != escaped {
			t.Fatalf("%U: refused in ids %v, escaped by metrics.Text %v", r, refused, escaped)
		}
	}
}

// TestTimeBoundsAreUTC checks the 1971 to 2100 bounds on the instant, in
// UTC, whatever offset the caller wrote it in: 2100-12-31T23:59:59-23:00
// is 2101-01-01T22:59:59Z and was stored as such. The records are checked
// on the last day of 2100, so that the future bound (MaxAhead) lets the
// upper bound of the range show.
func TestTimeBoundsAreUTC(t *testing.T) {
	now := time.Date(2100, 12, 31, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at, want string // want "" accepts
	}{
		{"2100-12-31T23:59:59Z", ""},
		{"2100-12-31T23:59:59+23:00", ""}, // 2100-12-31T00:59:59Z
		{"2100-12-31T23:59:59-23:00", "2101-01-01T22:59:59Z in UTC, out of range"},
		{"2100-12-31T23:30:00-01:00", "2101-01-01T00:30:00Z in UTC, out of range"},
		{"2101-01-01T00:30:00+01:00", ""}, // 2100-12-31T23:30:00Z
		{"1971-01-01T00:00:00Z", ""},
		{"1971-01-01T00:00:00-01:00", ""}, // 01:00Z
		{"1971-01-01T00:30:00+01:00", "1970-12-31T23:30:00Z in UTC, out of range"},
		{"1970-12-31T23:30:00-01:00", ""}, // 1971-01-01T00:30:00Z
		{"2101-01-01", "out of range"},
		{"1970-12-31", "out of range"},
	} {
		wantFieldError(t, "deployed_at "+c.at, validateAt(t, now, DeploymentRecord{Service: "api", DeployedAt: c.at}), "deployed_at", c.want)
		wantFieldError(t, "created_at "+c.at, validateAt(t, now, IncidentRecord{Service: "api", CreatedAt: c.at}), "created_at", c.want)
		d, err := DeploymentRecord{Service: "api", DeployedAt: c.at}.Deployment(now, "manual")
		if err == nil && (d.DeployedAt.Year() < 1971 || d.DeployedAt.Year() > 2100 || d.DeployedAt.Location() != time.UTC) {
			t.Errorf("deployed_at %s stored as %s", c.at, d.DeployedAt)
		}
	}
}

// TestOtherSourcesIDsAreRefused checks that a custom record cannot take
// the id of a GitHub deployment or a PagerDuty incident, which would
// replace that fact when a custom block comes first in the config, while
// custom ids of other forms, and references to other sources' ids, stay
// accepted.
func TestOtherSourcesIDsAreRefused(t *testing.T) {
	for _, c := range []struct {
		record any
		want   string // "" accepts
	}{
		// The ids the GitHub extractor gives deployments, one per method.
		{DeploymentRecord{ID: "acme/api#pr-12", Service: "api"}, "GitHub deployment ids"},
		{DeploymentRecord{ID: "acme/api#run-9876543210", Service: "api"}, "GitHub deployment ids"},
		{DeploymentRecord{ID: "acme/api#release-42", Service: "api"}, "GitHub deployment ids"},
		{DeploymentRecord{ID: "acme/api#deployment-7", Service: "api"}, "GitHub deployment ids"},
		{DeploymentRecord{ID: " Acme/API.go#run-1 ", Service: "api"}, "GitHub deployment ids"}, // trimmed first
		// PagerDuty's incident ids, older and current.
		{IncidentRecord{ID: "PT4KHLK", Service: "api", CreatedAt: "2024-01-01"}, "PagerDuty incident ids"},
		{IncidentRecord{ID: "Q0RIJJZL24RC6W", Service: "api", CreatedAt: "2024-01-01"}, "PagerDuty incident ids"},
		// Custom ids of their own.
		{DeploymentRecord{ID: "deploy-4711", Service: "api"}, ""},
		{DeploymentRecord{ID: "acme/api#4711", Service: "api"}, ""},
		{DeploymentRecord{ID: "acme/api#deploy-4711", Service: "api"}, ""},
		{DeploymentRecord{ID: "acme/api#run-12-retry", Service: "api"}, ""},
		{DeploymentRecord{ID: "PT4KHLK", Service: "api"}, ""}, // no PagerDuty deployments
		{IncidentRecord{ID: "INC-12", Service: "api", CreatedAt: "2024-01-01"}, ""},
		// Words in PagerDuty's shapes but without a digit, or of another
		// length, are custom ids people write.
		{IncidentRecord{ID: "PLATFORM", Service: "api", CreatedAt: "2024-01-01"}, ""},
		{IncidentRecord{ID: "QUARTERLY", Service: "api", CreatedAt: "2024-01-01"}, ""},
		{IncidentRecord{ID: "PROD1234", Service: "api", CreatedAt: "2024-01-01"}, ""},
		{IncidentRecord{ID: "INC0012345", Service: "api", CreatedAt: "2024-01-01"}, ""},
		{IncidentRecord{ID: "pt4khlk", Service: "api", CreatedAt: "2024-01-01"}, ""},
		{IncidentRecord{ID: "acme/api#run-1", Service: "api", CreatedAt: "2024-01-01"}, ""}, // no GitHub incidents
		// A custom incident may name the GitHub deployment that caused it.
		{IncidentRecord{ID: "INC-13", Service: "api", CreatedAt: "2024-01-01", DeploymentID: "acme/api#run-123"}, ""},
	} {
		wantFieldError(t, "id", validate(t, c.record), "id", c.want)
	}
}

// TestFutureTimesAreRefused checks MaxAhead: a time up to a day past now
// is a clock or time-zone slip and accepted, one beyond is a typo (2030
// for 2023) and refused, in every time field, naming it.
func TestFutureTimesAreRefused(t *testing.T) {
	for _, c := range []struct {
		name   string
		record any
		field  string
		want   string // "" accepts
	}{
		{"deployed a day ahead", DeploymentRecord{Service: "api", DeployedAt: "2024-06-02T12:00:00Z"}, "deployed_at", ""},
		{"deployed a day and a second ahead", DeploymentRecord{Service: "api", DeployedAt: "2024-06-02T12:00:01Z"}, "deployed_at", "more than a day in the future"},
		{"deployed in 2030", DeploymentRecord{Service: "api", DeployedAt: "2030-01-01"}, "deployed_at", "2030-01-01T00:00:00Z is more than a day in the future (now is 2024-06-01T12:00:00Z)"},
		{"ahead only in its offset", DeploymentRecord{Service: "api", DeployedAt: "2024-06-02T23:00:00+12:00"}, "deployed_at", ""},
		{"created in 2030", IncidentRecord{Service: "api", CreatedAt: "2030-01-01"}, "created_at", "more than a day in the future"},
		{"resolved in 2030", IncidentRecord{Service: "api", CreatedAt: "2024-06-01", ResolvedAt: "2030-01-01"}, "resolved_at", "more than a day in the future"},
	} {
		wantFieldError(t, c.name, validate(t, c.record), c.field, c.want)
	}
}

// TestUpdateKeepsStoredFields checks Over: an update takes every field it
// leaves out from the stored record, and changes those it gives.
func TestUpdateKeepsStoredFields(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	storedD := doraflow.Deployment{ID: "d1", Service: "api", Environment: "staging", SHA: "abc", Repository: "acme/api",
		DeployedAt: at, Status: doraflow.StatusFailure, URL: "https://ci/1", Title: "release 1"}
	d, err := DeploymentRecord{ID: "d1", Status: "success"}.Over(storedD).Deployment(validateNow, "manual")
	if err != nil {
		t.Fatal(err)
	}
	want := storedD
	want.Status, want.Source, want.Method, want.Block = doraflow.StatusSuccess, doraflow.SourceCustom, doraflow.MethodCustom, "manual"
	if d != want {
		t.Errorf("updated deployment\n%+v, want\n%+v", d, want)
	}

	storedI := doraflow.Incident{ID: "INC-1", Service: "api", CreatedAt: at, DeploymentID: "d1", Title: "errors", URL: "https://pd/1"}
	in, err := IncidentRecord{ID: "INC-1", ResolvedAt: "2024-05-01T11:00:00Z"}.Over(storedI).Incident(validateNow, "manual")
	if err != nil {
		t.Fatal(err)
	}
	wantI := storedI
	wantI.ResolvedAt, wantI.Source, wantI.Block = at.Add(time.Hour), doraflow.SourceCustom, "manual"
	if in != wantI {
		t.Errorf("resolved incident\n%+v, want\n%+v", in, wantI)
	}
	// What is given wins, and an open incident stays open.
	in, err = IncidentRecord{ID: "INC-1", Title: "new title"}.Over(storedI).Incident(validateNow, "manual")
	if err != nil || in.Title != "new title" || in.Resolved() || !in.CreatedAt.Equal(at) {
		t.Errorf("retitled incident %+v, %v; want the new title, open, created %s", in, err, at)
	}
}

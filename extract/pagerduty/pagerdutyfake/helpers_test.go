package pagerdutyfake_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"doraflow/extract/pagerduty/pagerdutyfake"
)

const testToken = "s3cret-token"

// genEnd is the End of generated sizes that name none.
var genEnd = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// start runs a server over d and returns it with a real go-pagerduty client
// pointed at it. Options.Token defaults to testToken and Options.Now to
// genEnd.
func start(t *testing.T, d *pagerdutyfake.Data, opts pagerdutyfake.Options) (*pagerdutyfake.Server, *pagerduty.Client) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return genEnd }
	}
	srv := pagerdutyfake.NewServer(d, opts)
	srv.Start()
	t.Cleanup(srv.Close)
	client := pagerduty.NewClient(opts.Token, pagerduty.WithAPIEndpoint(srv.URL()))
	client.HTTPClient = srv.HTTPClient()
	return srv, client
}

// listAll pages through GET /incidents with limit 100 as an extractor
// would, and returns the incidents and the number of pages read.
func listAll(t *testing.T, client *pagerduty.Client, o pagerduty.ListIncidentsOptions) ([]pagerduty.Incident, int) {
	t.Helper()
	o.Limit = 100
	var out []pagerduty.Incident
	pages := 0
	for {
		resp, err := client.ListIncidentsWithContext(context.Background(), o)
		if err != nil {
			t.Fatalf("ListIncidents offset=%d: %v", o.Offset, err)
		}
		pages++
		if resp.Limit != 100 || resp.Offset != o.Offset {
			t.Fatalf("page at offset %d echoed limit=%d offset=%d", o.Offset, resp.Limit, resp.Offset)
		}
		out = append(out, resp.Incidents...)
		if !resp.More {
			return out, pages
		}
		o.Offset += resp.Limit
	}
}

func ids(in []pagerduty.Incident) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.ID
	}
	return out
}

// want returns the ids of the data's incidents that keep accepts, in the
// API's default order.
func want(d *pagerdutyfake.Data, keep func(pagerdutyfake.Incident) bool) []string {
	var out []string
	for _, in := range d.Incidents() {
		if keep(in) {
			out = append(out, in.ID)
		}
	}
	return out
}

func in(since, until time.Time) func(pagerdutyfake.Incident) bool {
	return func(x pagerdutyfake.Incident) bool { return !x.CreatedAt.Before(since) && x.CreatedAt.Before(until) }
}

// apiError asserts that err is a pagerduty.APIError with the status, and,
// when code is not 0, a JSON error object with that code.
func apiError(t *testing.T, err error, status, code int) pagerduty.APIError {
	t.Helper()
	var ae pagerduty.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a pagerduty.APIError", err, err)
	}
	if ae.StatusCode != status {
		t.Fatalf("status %d, want %d (%v)", ae.StatusCode, status, err)
	}
	if code != 0 {
		if !ae.APIError.Valid {
			t.Fatalf("no JSON error object in %v", err)
		}
		if ae.APIError.ErrorObject.Code != code {
			t.Fatalf("error code %d, want %d (%v)", ae.APIError.ErrorObject.Code, code, err)
		}
	}
	return ae
}

// get sends a raw GET with the test token and returns status, headers and
// body.
func get(t *testing.T, srv *pagerdutyfake.Server, path string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+testToken)
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp.StatusCode, resp.Header, body
}

// handMade is a small account built with the builder: two teams, three
// services (one without a team), P1/P2, two users and five incidents.
func handMade(t *testing.T) *pagerdutyfake.Data {
	t.Helper()
	d := pagerdutyfake.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddTeam(pagerdutyfake.Team{ID: "PTPLA01", Name: "platform"}))
	must(d.AddTeam(pagerdutyfake.Team{ID: "PTWEB01", Name: "web"}))
	must(d.AddService(pagerdutyfake.Service{ID: "PAPI001", Name: "api", TeamIDs: []string{"PTPLA01"}}))
	must(d.AddService(pagerdutyfake.Service{ID: "PWEB001", Name: "web", TeamIDs: []string{"PTWEB01", "PTPLA01"}}))
	must(d.AddService(pagerdutyfake.Service{ID: "PORPH01", Name: "orphan"}))
	must(d.AddPriority(pagerdutyfake.Priority{ID: "PPRIO01", Name: "P1", Color: "a8171c", Order: 1}))
	must(d.AddPriority(pagerdutyfake.Priority{ID: "PPRIO02", Name: "P2", Color: "eb6016", Order: 2}))
	must(d.AddUser(pagerdutyfake.User{ID: "PU00001", Name: "Ada Lovelace", Email: "ada@example.com"}))
	must(d.AddUser(pagerdutyfake.User{ID: "PU00002", Name: "Grace Hopper", Email: "grace@example.com"}))
	base := time.Date(2024, 12, 1, 10, 0, 0, 0, time.UTC)
	add := func(in pagerdutyfake.Incident) {
		t.Helper()
		if _, err := d.AddIncident(in); err != nil {
			t.Fatal(err)
		}
	}
	add(pagerdutyfake.Incident{ID: "QRESOLVED00001", Title: "API down", ServiceID: "PAPI001", PriorityID: "PPRIO01",
		CreatedAt: base, ResolvedAt: base.Add(90 * time.Minute), AssigneeIDs: []string{"PU00001"}})
	add(pagerdutyfake.Incident{ID: "QOPEN000000002", Title: `Web "slow" \ 5xx`, ServiceID: "PWEB001", Urgency: pagerdutyfake.UrgencyLow,
		CreatedAt: base.Add(24 * time.Hour), AssigneeIDs: []string{"PU00002"}})
	add(pagerdutyfake.Incident{ID: "QACKED00000003", Title: "Orphan job failed", ServiceID: "PORPH01", Status: pagerdutyfake.StatusAcknowledged,
		CreatedAt: base.Add(48 * time.Hour), AcknowledgedAt: base.Add(49 * time.Hour), AssigneeIDs: []string{"PU00001"}})
	add(pagerdutyfake.Incident{ID: "QMIDNIGHT00004", Title: "At midnight", ServiceID: "PAPI001", PriorityID: "PPRIO02",
		CreatedAt: time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC)})
	add(pagerdutyfake.Incident{ID: "QOLD0000000005", Title: "Long ago", ServiceID: "PAPI001",
		CreatedAt: base.AddDate(0, -8, 0), ResolvedAt: base.AddDate(0, -8, 1)})
	return d
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

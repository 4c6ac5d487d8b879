package pagerdutyfake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
	"github.com/jonboulle/clockwork"

	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/fakeapi"
)

func TestAuthentication(t *testing.T) {
	d := handMade(t)
	const oauthToken = "s3cret-oauth-token"
	tests := []struct {
		name      string
		opts      pagerdutyfake.Options
		client    func(url string) *pagerduty.Client
		status    int
		wantJSON  bool
		wantCode  int
		wantValid bool
	}{
		{
			name:   "right token",
			client: func(u string) *pagerduty.Client { return pagerduty.NewClient(testToken, pagerduty.WithAPIEndpoint(u)) },
			status: 200,
		},
		{
			name: "OAuth bearer token",
			opts: pagerdutyfake.Options{OAuthToken: oauthToken},
			// NewOAuthClient drops its options in go-pagerduty v1.8.0, so
			// build the OAuth client from NewClient and WithOAuth.
			client: func(u string) *pagerduty.Client {
				return pagerduty.NewClient(oauthToken, pagerduty.WithOAuth(), pagerduty.WithAPIEndpoint(u))
			},
			status: 200,
		},
		{
			// PagerDuty takes API keys as "Token token=" and OAuth tokens
			// as "Bearer": each in the other's scheme is refused.
			name: "API key in the Bearer scheme",
			opts: pagerdutyfake.Options{OAuthToken: oauthToken},
			client: func(u string) *pagerduty.Client {
				return pagerduty.NewClient(testToken, pagerduty.WithOAuth(), pagerduty.WithAPIEndpoint(u))
			},
			status: 401,
		},
		{
			name:   "OAuth token in the Token scheme",
			opts:   pagerdutyfake.Options{OAuthToken: oauthToken},
			client: func(u string) *pagerduty.Client { return pagerduty.NewClient(oauthToken, pagerduty.WithAPIEndpoint(u)) },
			status: 401,
		},
		{
			name:   "wrong token, as the live API: 401 without a JSON body",
			client: func(u string) *pagerduty.Client { return pagerduty.NewClient("wrong", pagerduty.WithAPIEndpoint(u)) },
			status: 401,
		},
		{
			name:      "wrong token, documented JSON error",
			opts:      pagerdutyfake.Options{JSONAuthError: true},
			client:    func(u string) *pagerduty.Client { return pagerduty.NewClient("wrong", pagerduty.WithAPIEndpoint(u)) },
			status:    401,
			wantCode:  2006,
			wantValid: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := start(t, d, tt.opts)
			c := tt.client(srv.URL())
			c.HTTPClient = srv.HTTPClient()
			_, err := c.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{})
			if tt.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ae := apiError(t, err, tt.status, tt.wantCode)
			if ae.APIError.Valid != tt.wantValid {
				t.Errorf("JSON error object present = %v, want %v", ae.APIError.Valid, tt.wantValid)
			}
		})
	}

	t.Run("no Authorization header", func(t *testing.T) {
		srv, _ := start(t, d, pagerdutyfake.Options{})
		resp, err := srv.HTTPClient().Get(srv.URL() + "/incidents")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
}

func TestRateLimit(t *testing.T) {
	d := handMade(t)
	clk := clockwork.NewFakeClockAt(time.Date(2024, 12, 20, 12, 0, 10, 0, time.UTC))
	srv, client := start(t, d, pagerdutyfake.Options{RateLimit: 3, RateWindow: time.Minute, Now: clk.Now})
	ctx := context.Background()
	list := func() error {
		_, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{})
		return err
	}
	for i := range 3 {
		if err := list(); err != nil {
			t.Fatalf("request %d within budget: %v", i+1, err)
		}
	}
	err := list()
	if ae := apiError(t, err, 429, 0); !ae.RateLimited() || !ae.Temporary() {
		t.Errorf("RateLimited %v Temporary %v", ae.RateLimited(), ae.Temporary())
	}
	status, h, _ := get(t, srv, "/priorities")
	if status != 429 || h.Get("ratelimit-limit") != "3" || h.Get("ratelimit-remaining") != "0" || h.Get("ratelimit-reset") != "50" {
		t.Errorf("status %d, headers limit=%q remaining=%q reset=%q", status, h.Get("ratelimit-limit"),
			h.Get("ratelimit-remaining"), h.Get("ratelimit-reset"))
	}
	clk.Advance(50 * time.Second) // the next window
	if err := list(); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	status, h, _ = get(t, srv, "/priorities")
	if status != 200 || h.Get("ratelimit-remaining") != "1" {
		t.Errorf("status %d remaining %q", status, h.Get("ratelimit-remaining"))
	}
	if st := srv.Stats(); st.RateLimited != 2 || st.ByStatus[429] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestInjectedFaults(t *testing.T) {
	d := handMade(t)
	tests := []struct {
		name  string
		fault fakeapi.Fault
		check func(t *testing.T, err error)
	}{
		{
			name:  "500 with PagerDuty's error",
			fault: fakeapi.Fault{Status: 500},
			check: func(t *testing.T, err error) {
				if ae := apiError(t, err, 500, 2000); !ae.Temporary() {
					t.Error("500 not Temporary")
				}
			},
		},
		{
			name:  "503 HTML page from the edge",
			fault: fakeapi.Fault{Status: 503},
			check: func(t *testing.T, err error) {
				if ae := apiError(t, err, 503, 0); ae.APIError.Valid || !ae.Temporary() {
					t.Errorf("valid %v temporary %v", ae.APIError.Valid, ae.Temporary())
				}
			},
		},
		{
			name:  "dropped connection",
			fault: fakeapi.Fault{Drop: true},
			check: func(t *testing.T, err error) {
				var ae pagerduty.APIError
				if err == nil || errors.As(err, &ae) {
					t.Errorf("error %v, want a transport error", err)
				}
			},
		},
		{
			name:  "truncated body",
			fault: fakeapi.Fault{Truncate: true},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
					t.Errorf("error %v, want unexpected EOF", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := start(t, d, pagerdutyfake.Options{Faults: fakeapi.FailAt(tt.fault, 1, 3)})
			ctx := context.Background()
			// Request 1 runs on a fresh connection, so net/http cannot
			// quietly retry it (it retries idempotent requests that fail on
			// a reused keep-alive connection).
			_, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{})
			tt.check(t, err)
			if _, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{}); err != nil {
				t.Fatalf("request after the fault: %v", err)
			}
			st := srv.Stats()
			if st.Faults < 1 || st.Total < 2 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestDelayEndsWhenTheClientGivesUp(t *testing.T) {
	d := handMade(t)
	tests := []struct {
		name string
		opts pagerdutyfake.Options
	}{
		{"fault delay", pagerdutyfake.Options{Faults: fakeapi.FailAt(fakeapi.Fault{Delay: time.Minute}, 1)}},
		{"latency", pagerdutyfake.Options{Latency: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := start(t, d, tt.opts)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			began := time.Now()
			_, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{})
			// go-pagerduty flattens transport errors with %v, so match the text.
			if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
				t.Fatalf("error %v, want the context deadline", err)
			}
			if el := time.Since(began); el > 10*time.Second {
				t.Fatalf("took %v", el)
			}
			srv.Close() // waits for the handler, which must end early too
			if el := time.Since(began); el > 10*time.Second {
				t.Fatalf("handler kept sleeping: %v", el)
			}
			if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Status != 499 {
				t.Errorf("logged %+v, want one request with status 499", reqs)
			}
		})
	}

	t.Run("short delay still answers", func(t *testing.T) {
		_, client := start(t, d, pagerdutyfake.Options{Latency: 5 * time.Millisecond})
		if _, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestServicesTeamsPriorities(t *testing.T) {
	d := pagerdutyfake.Generate(1, pagerdutyfake.Size{Services: 30, Teams: 4, Incidents: 100})
	_, client := start(t, d, pagerdutyfake.Options{})
	ctx := context.Background()

	services, err := client.ListServicesPaginated(ctx, pagerduty.ListServiceOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	wantSvcs := d.Services()
	if len(services) != len(wantSvcs) {
		t.Fatalf("listed %d services, want %d", len(services), len(wantSvcs))
	}
	for i, s := range services {
		if s.ID != wantSvcs[i].ID || s.Name != wantSvcs[i].Name || s.Type != "service" {
			t.Errorf("service %d = %s %q %q, want %s %q", i, s.ID, s.Name, s.Type, wantSvcs[i].ID, wantSvcs[i].Name)
		}
	}

	svc, err := client.GetServiceWithContext(ctx, "PAPI001", &pagerduty.GetServiceOptions{Includes: []string{"teams"}})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Name != "api" || len(svc.Teams) != 1 || svc.Teams[0].Name == "" || svc.LastIncidentTimestamp == "" {
		t.Errorf("service %+v", svc)
	}
	if _, err := client.GetServiceWithContext(ctx, "PNOPE01", &pagerduty.GetServiceOptions{}); err == nil {
		t.Error("unknown service found")
	} else {
		apiError(t, err, 404, 2100)
	}

	byTeam, err := client.ListServicesWithContext(ctx, pagerduty.ListServiceOptions{TeamIDs: []string{d.Teams()[0].ID}, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	if byTeam.Total == 0 || int(byTeam.Total) != len(byTeam.Services) {
		t.Errorf("team filter: total %d, %d services", byTeam.Total, len(byTeam.Services))
	}

	teams, err := client.ListTeamsWithContext(ctx, pagerduty.ListTeamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(teams.Teams) != 4 {
		t.Errorf("listed %d teams", len(teams.Teams))
	}
	team, err := client.GetTeamWithContext(ctx, teams.Teams[0].ID)
	if err != nil || team.Name != teams.Teams[0].Name {
		t.Errorf("GetTeam = %+v, %v", team, err)
	}

	prios, err := client.ListPrioritiesWithContext(ctx, pagerduty.ListPrioritiesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range prios.Priorities {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "P1,P2,P3,P4,P5" {
		t.Errorf("priorities %v", names)
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	srv, _ := start(t, handMade(t), pagerdutyfake.Options{})
	status, _, body := get(t, srv, "/schedules")
	if status != 404 || !strings.Contains(string(body), `"code":2100`) {
		t.Errorf("GET /schedules: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/incidents", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Token token="+testToken)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /incidents: %d", resp.StatusCode)
	}
	st := srv.Stats()
	if st.ByEndpoint[pagerdutyfake.EndpointUnknown] != 1 || st.ByEndpoint["POST /incidents"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestResetClearsLogAndNumbering(t *testing.T) {
	srv, client := start(t, handMade(t), pagerdutyfake.Options{})
	for range 2 {
		if _, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Reset()
	if st := srv.Stats(); st.Total != 0 || len(srv.Requests()) != 0 {
		t.Fatalf("after Reset: %+v", st)
	}
	if _, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := srv.Requests(); len(r) != 1 || r[0].Seq != 1 {
		t.Errorf("after Reset: %+v", r)
	}
}

// TestServeWhileDataChanges runs readers against the server while the data
// is resolved, acknowledged, deleted and added to; run it with -race.
func TestServeWhileDataChanges(t *testing.T) {
	d := pagerdutyfake.Generate(2, pagerdutyfake.Small())
	_, client := start(t, d, pagerdutyfake.Options{})
	var open []pagerdutyfake.Incident
	for _, x := range d.Incidents() {
		if x.Open() {
			open = append(open, x)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{DateRange: "all", Limit: 100, Offset: 100})
				if err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i, x := range open {
		switch i % 3 {
		case 0:
			_ = d.Resolve(x.ID, x.CreatedAt.Add(time.Hour))
		case 1:
			_ = d.Acknowledge(x.ID, x.CreatedAt.Add(time.Minute))
		default:
			_ = d.Delete(x.ID)
		}
		if _, err := d.AddIncident(pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: genEnd.Add(-time.Duration(i) * time.Hour)}); err != nil {
			t.Error(err)
		}
	}
	cancel()
	wg.Wait()
}

package pagerdutyfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestEveryDocumentIsValidJSON(t *testing.T) {
	d := Generate(3, Small())
	if _, err := d.AddIncident(Incident{ServiceID: "PAPI001", Title: "weird \x01 \xfe \"title\"", CreatedAt: defaultEnd().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(d, Options{Now: defaultEnd})
	for _, path := range []string{
		"/incidents?date_range=all&limit=100&include[]=services&include[]=teams&include[]=assignees&total=true",
		"/incidents?sort_by=resolved_at:desc,urgency&date_range=all&limit=100",
		"/incidents/1",
		"/services?include[]=teams&total=true",
		"/services/PAPI001",
		"/teams",
		"/teams/PTPLA01",
		"/priorities",
		"/incidents?since=bogus",
	} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Token token="+DefaultToken)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: invalid JSON:\n%s", path, rec.Body.Bytes())
		}
		if rec.Code != 200 && path != "/incidents?since=bogus" {
			t.Errorf("%s: status %d", path, rec.Code)
		}
	}
}

func TestSortByResolvedAtPutsOpenIncidentsLast(t *testing.T) {
	d := Generate(4, Small())
	srv := NewServer(d, Options{Now: defaultEnd})
	req := httptest.NewRequest(http.MethodGet, "/incidents?date_range=all&sort_by=resolved_at&limit=100&offset=500", nil)
	req.Header.Set("Authorization", "Token token="+DefaultToken)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var doc struct {
		Incidents []struct {
			ResolvedAt *string `json:"resolved_at"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	prev := ""
	seenOpen := false
	for i, x := range doc.Incidents {
		switch {
		case x.ResolvedAt == nil:
			seenOpen = true
		case seenOpen:
			t.Fatalf("resolved incident %d after an open one", i)
		case *x.ResolvedAt < prev:
			t.Fatalf("incident %d resolved at %s, before %s", i, *x.ResolvedAt, prev)
		default:
			prev = *x.ResolvedAt
		}
	}
	if !seenOpen {
		t.Error("no open incident at the end of the resolved_at order")
	}
}

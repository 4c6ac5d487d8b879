package pagerdutyfake

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGenerateLarge measures generating 112,000 incidents.
func BenchmarkGenerateLarge(b *testing.B) {
	for b.Loop() {
		Generate(1, Large())
	}
}

// BenchmarkListIncidentsPage measures one page of 100 incidents out of the
// large data set, without the network: query, filter and render.
func BenchmarkListIncidentsPage(b *testing.B) {
	d := Generate(1, Large())
	srv := NewServer(d, Options{Now: defaultEnd})
	for _, bm := range []struct{ name, query string }{
		{"all services first page", "/incidents?limit=100"},
		{"one service deep offset", "/incidents?limit=100&offset=5000&since=2024-09-01T00:00:00Z&until=2024-12-31T00:00:00Z&service_ids[]=PAPI001"},
		{"three services, low urgency", "/incidents?limit=100&offset=1000&service_ids[]=PAPI001&service_ids[]=PWEB001&service_ids[]=PPAY001&urgencies[]=low&since=2024-08-01T00:00:00Z&until=2024-12-31T00:00:00Z"},
		{"with total", "/incidents?limit=100&date_range=all&total=true"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, bm.query, nil)
			req.Header.Set("Authorization", "Token token="+DefaultToken)
			for b.Loop() {
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

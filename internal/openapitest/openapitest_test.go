package openapitest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func tiny(t *testing.T) *Description {
	t.Helper()
	d, err := Load("testdata/tiny.yaml", Rules{
		Anywhere: map[int]string{http.StatusForbidden: "error"},
		Extra: func(ex Exchange) []error {
			if ex.Header.Get("X-Limit") == "" {
				return []error{errors.New("no X-Limit")}
			}
			return nil
		},
		Params: map[string]func(string) error{"query since": searchDate},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFind(t *testing.T) {
	d := tiny(t)
	tests := []struct {
		path, want string
		params     map[string]string
	}{
		{"/items", "/items", map[string]string{}},
		{"/items/latest", "/items/latest", map[string]string{}}, // the literal wins over {id}
		{"/items/7", "/items/{id}", map[string]string{"id": "7"}},
		{"/refs/main", "/refs/{ref}", map[string]string{"ref": "main"}},
		{"/refs/heads/release/1.x", "/refs/{ref}", map[string]string{"ref": "heads/release/1.x"}}, // the last parameter spans
		{"/refs/a%2Fb", "/refs/{ref}", map[string]string{"ref": "a/b"}},
		{"/nothing", "", nil},
		{"/items/7/more", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, params, ok := d.Find(http.MethodGet, tt.path)
			if tt.want == "" {
				if ok {
					t.Fatalf("found %s, want none", r.Path)
				}
				return
			}
			if !ok || r.Path != tt.want {
				t.Fatalf("found %v %v, want %s", ok, r, tt.want)
			}
			if len(params) != len(tt.params) {
				t.Errorf("params %v, want %v", params, tt.params)
			}
			for k, v := range tt.params {
				if params[k] != v {
					t.Errorf("param %s = %q, want %q", k, params[k], v)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	d := tiny(t)
	root, _ := url.Parse("http://127.0.0.1:1/api/v3/")
	ok := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Link": {`<x>; rel="next"`}, "X-Limit": {"1"}}
	with := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	conditional := http.Header{"If-None-Match": {`"a"`}}
	tests := []struct {
		name    string
		path    string // with the query
		reqHdr  http.Header
		status  int
		header  http.Header
		body    string
		cut     bool
		wantErr []string // each must appear in one error; none: no error
	}{
		{name: "a good page", path: "/items?per_page=100&since=2024-01-01..2024-02-01", status: 200, header: ok, body: `[{"id":1,"name":"a","note":null}]`},
		{name: "a missing property", path: "/items", status: 200, header: ok, body: `[{"id":1},{"id":2}]`,
			wantErr: []string{`GET /items: 200: response body doesn't match schema: /*/name: property "name" is missing`}},
		{name: "a wrong type and a null", path: "/items/1", status: 200, header: ok, body: `{"id":"1","name":null}`,
			wantErr: []string{"/id: value must be an integer", "/name: Value is not nullable"}},
		{name: "a declared header missing", path: "/items", status: 200, header: with(ok, "Link", ""), body: `[]`,
			wantErr: []string{`GET /items: 200: response header "Link" missing`}},
		{name: "a service-wide header missing", path: "/items", status: 200, header: with(ok, "X-Limit", ""), body: `[]`,
			wantErr: []string{"no X-Limit"}},
		{name: "a status nobody declares", path: "/items/1", status: 418, header: ok, body: `{}`,
			wantErr: []string{"status 418 is declared neither by the operation (200) nor for every operation"}},
		{name: "a status declared for every operation", path: "/items/1", status: 403, header: ok, body: `{"message":"no"}`},
		{name: "that status with a bad body", path: "/items/1", status: 403, header: ok, body: `{"message":1}`,
			wantErr: []string{"403 (documented for every operation): /message: value must be a string"}},
		{name: "a 304 as it should be", path: "/items", reqHdr: conditional, status: 304, header: with(ok, "ETag", `"a"`)},
		{name: "a 304 without being asked, with a body, without ETag", path: "/items", status: 304, header: ok, body: "x",
			wantErr: []string{"not conditional", "with a body of 1 bytes", "without the ETag"}},
		{name: "an unknown operation", path: "/nothing", status: 200, header: ok, body: `{}`,
			wantErr: []string{"GET /nothing: the description has no such operation"}},
		{name: "a request parameter out of range", path: "/items?per_page=500", status: 200, header: ok, body: `[]`,
			wantErr: []string{"GET /items: request: parameter query per_page"}},
		{name: "a parameter the rules check instead", path: "/items?since=yesterday", status: 200, header: ok, body: `[]`,
			wantErr: []string{`parameter query since: "yesterday": "yesterday" is neither a date nor a date-time`}},
		{name: "a cut body is not checked", path: "/items", status: 200, header: ok, body: `[{"id"`, cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse("http://127.0.0.1:1/api/v3" + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			reqHdr := tt.reqHdr
			if reqHdr == nil {
				reqHdr = http.Header{}
			}
			errs := d.Check(context.Background(), root, Exchange{Method: http.MethodGet, URL: u, RequestHeader: reqHdr, Status: tt.status, Header: tt.header, Body: []byte(tt.body), Cut: tt.cut})
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			if len(tt.wantErr) == 0 && len(errs) > 0 {
				t.Fatalf("unexpected errors:\n%s", all)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(all, want) {
					t.Errorf("errors do not say %q:\n%s", want, all)
				}
			}
		})
	}
}

// TestTape: the client reads what the server sent, and the tape keeps
// the same, statuses and bodies included.
func TestTape(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Path", r.URL.Path)
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = w.Write([]byte("body of " + r.URL.Path))
	}))
	t.Cleanup(ts.Close)
	tape := &Tape{}
	c := &http.Client{Transport: tape}
	for _, p := range []string{"/a", "/missing"} {
		resp, err := c.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		_ = resp.Body.Close()
		if b.String() != "body of "+p {
			t.Errorf("client read %q", b.String())
		}
	}
	ex := tape.Exchanges()
	if len(ex) != 2 {
		t.Fatalf("%d exchanges, want 2", len(ex))
	}
	for i, want := range []struct {
		path   string
		status int
	}{{"/a", 200}, {"/missing", 404}} {
		e := ex[i]
		if e.URL.Path != want.path || e.Status != want.status || string(e.Body) != "body of "+want.path || e.Header.Get("X-Path") != want.path || e.Cut {
			t.Errorf("exchange %d = %s %d %q %v, want %s %d", i, e.URL.Path, e.Status, e.Body, e.Cut, want.path, want.status)
		}
	}
}

// TestFromEnvFailsOnAMissingFile: with the variable set, a missing file
// fails the test rather than skipping it.
func TestFromEnvFailsOnAMissingFile(t *testing.T) {
	t.Setenv("DORAFLOW_TEST_OPENAPI_TINY", "testdata/absent.json")
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		FromEnv(ft, "DORAFLOW_TEST_OPENAPI_TINY", "scripts/x.sh fetch", Rules{})
	}()
	if !ft.fatal || ft.skipped || !strings.Contains(ft.msg, "run `scripts/x.sh fetch`") {
		t.Errorf("fatal %v, skipped %v, message %q; want a failure telling to fetch", ft.fatal, ft.skipped, ft.msg)
	}
	t.Setenv("DORAFLOW_TEST_OPENAPI_TINY", "")
	ft = &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		FromEnv(ft, "DORAFLOW_TEST_OPENAPI_TINY", "scripts/x.sh fetch", Rules{})
	}()
	if !ft.skipped || ft.fatal || !strings.Contains(ft.msg, "make test") {
		t.Errorf("fatal %v, skipped %v, message %q; want a skip naming make test", ft.fatal, ft.skipped, ft.msg)
	}
}

// fakeT records how FromEnv ends a test; it stops there with a panic
// that the caller recovers, as t.FailNow would stop the goroutine.
type fakeT struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal, f.msg = true, fmt.Sprintf(format, args...)
	panic(f)
}
func (f *fakeT) Fatal(args ...any) { f.fatal, f.msg = true, fmt.Sprint(args...); panic(f) }
func (f *fakeT) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	panic(f)
}

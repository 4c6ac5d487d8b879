// Package openapitest holds a fake HTTP API to the real API's OpenAPI
// description: a test records every exchange a real client has with the
// fake (a Tape), and a Description checks each response against the
// operation the request names — its status, the headers the description
// declares and the body's schema — and each request's parameters.
//
// Which description, and where, comes from an environment variable that
// `make test` sets after fetching the description (scripts/openapi.sh):
//
//	func TestAgainstTheDescription(t *testing.T) {
//		d := openapitest.GitHub(t) // skips outside make, fails when the file is missing
//		tape := &openapitest.Tape{}
//		… run the client with tape as its transport …
//		d.CheckAll(t, root, tape.Exchanges())
//	}
//
// A description is loaded once per test binary (GitHub's is 13 MB), and
// a Description is safe for concurrent use.
package openapitest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Rules are what a service documents for every operation at once, in
// prose rather than in each operation of its description.
type Rules struct {
	// Anywhere maps a status any operation can answer to the schema (a
	// name under components/schemas) of its body, e.g. 403 for a rate
	// limit. A status neither the operation nor Anywhere declares fails.
	Anywhere map[int]string
	// Extra checks an exchange further (headers every response carries,
	// what a 304 must hold); nil means nothing more.
	Extra func(ex Exchange) []error
	// Params replace the description's check of a request parameter,
	// keyed "IN NAME" ("query created"), where the service documents a
	// wider syntax than the description's schema allows.
	Params map[string]func(value string) error
}

// Description is a loaded OpenAPI description with the service's Rules.
type Description struct {
	doc    *openapi3.T
	rules  Rules
	routes map[string][]route // by method
	// anywhere holds the resolved schemas of Rules.Anywhere.
	anywhere map[int]*openapi3.SchemaRef
}

// route is one operation of the description, its path split in segments;
// a segment "" is a path parameter, named in params.
type route struct {
	*routers.Route
	segments []string
	params   []string
	literals int
	// spans is set when the last segment is a string parameter, which
	// may hold slashes (a branch, a ref).
	spans bool
}

// Load reads the description at path, JSON or YAML. It does not validate
// the description itself (GitHub's has conflicting path templates and
// examples that break their own schemas), only responses against it.
func Load(path string, rules Rules) (*Description, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load %s: %w", path, err)
	}
	d := &Description{doc: doc, rules: rules, routes: map[string][]route{}, anywhere: map[int]*openapi3.SchemaRef{}}
	for status, name := range rules.Anywhere {
		s, ok := doc.Components.Schemas[name]
		if !ok || s.Value == nil {
			return nil, fmt.Errorf("openapitest: %s has no schema %q for status %d: fix the Rules", path, name, status)
		}
		d.anywhere[status] = s
	}
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			r := route{Route: &routers.Route{Spec: doc, Path: p, PathItem: item, Method: method, Operation: op}}
			for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
				if name, ok := strings.CutPrefix(seg, "{"); ok && strings.HasSuffix(name, "}") {
					r.segments = append(r.segments, "")
					r.params = append(r.params, strings.TrimSuffix(name, "}"))
					continue
				}
				r.segments = append(r.segments, seg)
				r.params = append(r.params, "")
				r.literals++
			}
			if n := len(r.params); n > 0 && r.params[n-1] != "" {
				p := op.Parameters.GetByInAndName(openapi3.ParameterInPath, r.params[n-1])
				if p == nil {
					p = item.Parameters.GetByInAndName(openapi3.ParameterInPath, r.params[n-1])
				}
				r.spans = p != nil && p.Schema != nil && p.Schema.Value != nil && p.Schema.Value.Type.Is(openapi3.TypeString)
			}
			d.routes[method] = append(d.routes[method], r)
		}
	}
	for m := range d.routes {
		// The most specific template first; ties in path order, so a
		// lookup is deterministic.
		slices.SortStableFunc(d.routes[m], func(a, b route) int {
			return cmp.Or(cmp.Compare(b.literals, a.literals), cmp.Compare(a.Path, b.Path))
		})
	}
	return d, nil
}

// loaded caches descriptions by path for the test binary: loading
// GitHub's takes seconds, checking a response microseconds.
var loaded sync.Map // path -> *loading

type loading struct {
	once sync.Once
	d    *Description
	err  error
}

// FromEnv returns the description at the path the environment variable
// env names, loaded once per test binary. Outside make, without the
// variable, it skips the test saying how to run it; with the variable
// set, a missing or broken file fails the test: a run that is meant to
// check never passes without checking.
func FromEnv(t testing.TB, env, fetch string, rules Rules) *Description {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		t.Skipf("%s is not set: this test checks the fake against the API's OpenAPI description; run it with `make test`, or `%s=$(%s) go test …`", env, env, fetch)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v: run `%s` to get the description (make test does)", env, path, err, fetch)
	}
	v, _ := loaded.LoadOrStore(path, &loading{})
	l := v.(*loading)
	l.once.Do(func() { l.d, l.err = Load(path, rules) })
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.d
}

// Find returns the operation of a request for path (relative to the API
// root, with its leading slash) and its path parameters, preferring the
// template with the most literal segments. A parameter in the last
// segment takes the rest of the path when no template fits segment for
// segment (a branch or ref with slashes).
func (d *Description) Find(method, path string) (*routers.Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, spanning := range []bool{false, true} {
		for _, r := range d.routes[method] {
			if params, ok := r.match(segs, spanning); ok {
				return r.Route, params, true
			}
		}
	}
	return nil, nil, false
}

func (r route) match(segs []string, spanning bool) (map[string]string, bool) {
	n := len(r.segments)
	if len(segs) != n && !(spanning && len(segs) > n && r.spans) {
		return nil, false
	}
	if spanning && len(segs) == n {
		return nil, false // tried in the first pass
	}
	params := map[string]string{}
	for i, seg := range r.segments {
		v := segs[i]
		if i == n-1 && len(segs) > n {
			v = strings.Join(segs[i:], "/")
		}
		if seg != "" {
			if v != seg {
				return nil, false
			}
			continue
		}
		if v == "" {
			return nil, false
		}
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		params[r.params[i]] = v
	}
	return params, true
}

// Check checks one exchange of a client whose API root was root (the
// base URL it was given, such as http://127.0.0.1:PORT/ or
// http://HOST/api/v3/). It returns every problem found, each naming the
// operation; nil means the exchange is what the description allows.
func (d *Description) Check(ctx context.Context, root *url.URL, ex Exchange) []error {
	if ex.Cut {
		return nil // an injected fault, not a shape
	}
	rel, ok := strings.CutPrefix(ex.URL.Path, strings.TrimSuffix(root.Path, "/"))
	if !ok {
		return []error{fmt.Errorf("%s %s is outside the API root %s", ex.Method, ex.URL.Path, root)}
	}
	route, params, ok := d.Find(ex.Method, rel)
	if !ok {
		return []error{fmt.Errorf("%s %s: the description has no such operation", ex.Method, rel)}
	}
	name := ex.Method + " " + route.Path
	req := &http.Request{Method: ex.Method, URL: &url.URL{Scheme: "https", Host: "api.example", Path: rel, RawQuery: ex.URL.RawQuery}, Header: ex.RequestHeader}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, IncludeResponseStatus: true}
	opts.WithCustomSchemaErrorFunc(schemaError)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	var errs []error
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		for _, e := range flatten(name+": request", err) {
			if !d.ownCheck(name, e) {
				errs = append(errs, e)
			}
		}
	}
	for key, check := range d.rules.Params {
		in, pname, _ := strings.Cut(key, " ")
		var vals []string
		switch in {
		case openapi3.ParameterInQuery:
			vals = ex.URL.Query()[pname]
		case openapi3.ParameterInHeader:
			vals = ex.RequestHeader.Values(pname)
		}
		for _, v := range vals {
			if route.Operation.Parameters.GetByInAndName(in, pname) == nil {
				continue
			}
			if err := check(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: request: parameter %s: %q: %w", name, key, v, err))
			}
		}
	}
	if d.rules.Extra != nil {
		for _, err := range d.rules.Extra(ex) {
			errs = append(errs, fmt.Errorf("%s: %d: %w", name, ex.Status, err))
		}
	}
	switch {
	case ex.Status == http.StatusNotModified:
		errs = append(errs, checkNotModified(ex)...)
	case route.Operation.Responses.Status(ex.Status) != nil || route.Operation.Responses.Default() != nil:
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.Header, Options: opts}
		out.SetBodyBytes(ex.Body)
		if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
			errs = append(errs, flatten(fmt.Sprintf("%s: %d", name, ex.Status), err)...)
		}
	case d.anywhere[ex.Status] != nil:
		if err := checkAnywhere(d.anywhere[ex.Status], ex); err != nil {
			errs = append(errs, flatten(fmt.Sprintf("%s: %d (documented for every operation)", name, ex.Status), err)...)
		}
	default:
		errs = append(errs, fmt.Errorf("%s: status %d is declared neither by the operation (%s) nor for every operation", name, ex.Status, strings.Join(declared(route.Operation), ", ")))
	}
	return errs
}

// ownCheck reports whether err is the description's check of a
// parameter that Rules.Params checks instead.
func (d *Description) ownCheck(name string, err error) bool {
	for key := range d.rules.Params {
		if strings.HasPrefix(err.Error(), name+": request: parameter "+key+": ") {
			return true
		}
	}
	return false
}

// flatten splits kin-openapi's error trees (a MultiError of every
// property that breaks the schema, inside a RequestError or a
// ResponseError) into one error per problem, each under prefix, so that
// CheckAll counts each problem once however many responses have it.
func flatten(prefix string, err error) []error {
	var multi openapi3.MultiError
	var req *openapi3filter.RequestError
	var resp *openapi3filter.ResponseError
	switch {
	case errors.As(err, &resp) && resp.Err != nil:
		return flatten(prefix+": "+resp.Reason, resp.Err)
	case errors.As(err, &req) && req.Err != nil:
		where := req.Reason
		if req.Parameter != nil {
			where = "parameter " + req.Parameter.In + " " + req.Parameter.Name
		}
		return flatten(prefix+": "+where, req.Err)
	case errors.As(err, &multi):
		var out []error
		seen := map[string]bool{}
		for _, e := range multi {
			for _, f := range flatten(prefix, e) {
				if !seen[f.Error()] {
					seen[f.Error()] = true
					out = append(out, f)
				}
			}
		}
		return out
	}
	return []error{fmt.Errorf("%s: %w", prefix, err)}
}

// checkNotModified holds a 304 to RFC 9110 §15.4.5: it answers a
// conditional request, has no body, and carries the ETag a 200 would.
func checkNotModified(ex Exchange) []error {
	var errs []error
	if ex.RequestHeader.Get("If-None-Match") == "" && ex.RequestHeader.Get("If-Modified-Since") == "" {
		errs = append(errs, errors.New("304 to a request that was not conditional"))
	}
	if len(ex.Body) != 0 {
		errs = append(errs, fmt.Errorf("304 with a body of %d bytes", len(ex.Body)))
	}
	if ex.Header.Get("ETag") == "" {
		errs = append(errs, errors.New("304 without the ETag header (RFC 9110 §15.4.5)"))
	}
	return errs
}

// checkAnywhere checks the JSON body of a status the service documents
// for every operation against its schema.
func checkAnywhere(schema *openapi3.SchemaRef, ex Exchange) error {
	if ct := ex.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	v, err := decodeJSON(ex.Body)
	if err != nil {
		return err
	}
	return schema.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse(), openapi3.SetSchemaErrorMessageCustomizer(schemaError))
}

// schemaError says where a value breaks its schema and how, without the
// schema and the value kin-openapi prints by default (GitHub's schemas
// run to pages). Array indices become *, so that one shape broken in
// every item of a page is one problem.
func schemaError(err *openapi3.SchemaError) string {
	ptr := err.JSONPointer()
	for i, p := range ptr {
		if _, e := strconv.Atoi(p); e == nil {
			ptr[i] = "*"
		}
	}
	return "/" + strings.Join(ptr, "/") + ": " + err.Reason
}

func declared(op *openapi3.Operation) []string {
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	slices.Sort(out)
	return out
}

// CheckAll checks every exchange and fails t once per distinct problem,
// with how many exchanges had it and one URL that did. It returns how
// many exchanges each operation ("GET /repos/{owner}/{repo}/pulls")
// answered, by status, so a test can assert what it covered.
func (d *Description) CheckAll(t testing.TB, root *url.URL, exchanges []Exchange) map[string]map[int]int {
	t.Helper()
	type problem struct {
		n       int
		example string
	}
	problems := map[string]*problem{}
	covered := map[string]map[int]int{}
	for _, ex := range exchanges {
		rel := strings.TrimPrefix(ex.URL.Path, strings.TrimSuffix(root.Path, "/"))
		if route, _, ok := d.Find(ex.Method, rel); ok {
			op := ex.Method + " " + route.Path
			if covered[op] == nil {
				covered[op] = map[int]int{}
			}
			covered[op][ex.Status]++
		}
		for _, err := range d.Check(t.Context(), root, ex) {
			p := problems[err.Error()]
			if p == nil {
				p = &problem{example: ex.URL.RequestURI()}
				problems[err.Error()] = p
			}
			p.n++
		}
	}
	for _, msg := range slices.Sorted(maps.Keys(problems)) {
		p := problems[msg]
		t.Errorf("%s\n(%d exchanges, e.g. %s)", msg, p.n, p.example)
	}
	return covered
}

// decodeJSON decodes a body as the schema checks want it.
func decodeJSON(body []byte) (any, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	return v, nil
}

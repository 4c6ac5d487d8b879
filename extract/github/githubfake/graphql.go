package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"doraflow/internal/fakeapi"
)

// The GraphQL API (POST /graphql; GitHub Enterprise Server: POST
// /api/graphql), over the same organisation as the REST API. Every query
// is parsed and validated against GitHub's published schema
// (Options.GraphQLSchema, LoadSchema), so a query the real API would
// refuse is refused here too, with the errors document GitHub sends
// (HTTP 200, "errors"). Then, as docs.github.com "Rate limits and node
// limits for the GraphQL API" says:
//
//   - every connection needs first or last, from 1 to 100
//     (MISSING_PAGINATION_BOUNDARIES, EXCESSIVE_PAGINATION);
//   - a query may ask for at most 500,000 nodes: the sum over connections
//     of first times the firsts of the connections around it
//     (MAX_NODE_LIMIT_EXCEEDED);
//   - it costs the requests needed to fill its connections (1 for a
//     connection at the top, the product of the firsts around it
//     otherwise), summed, divided by 100 and rounded, at least 1 point,
//     from a budget of 5,000 points an hour (Options.GraphQLBudget), kept
//     apart from the REST budget; a spent budget answers 200 with a
//     RATE_LIMITED error and x-ratelimit-remaining 0, and the reset in
//     x-ratelimit-reset;
//   - rateLimit { cost remaining resetAt limit used nodeCount } reports it.
//
// Only the fields the extractor reads are modelled (graphqlResolvers); a
// valid query for any other field is answered with an error that names
// it, never with made-up data.

// SchemaEnv is the environment variable that names GitHub's GraphQL
// schema for tests (make test sets it to what scripts/graphql-schema.sh
// fetch prints).
const SchemaEnv = "DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA"

// EndpointGraphQL names GraphQL requests in the log and the counters.
const EndpointGraphQL = "POST /graphql"

// GraphQL limits, from docs.github.com "Rate limits and node limits for
// the GraphQL API".
const (
	graphqlMaxFirst   = 100
	graphqlMaxNodes   = 500_000
	graphqlBudget     = 5000
	docsGraphQLLimits = "https://docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api"
)

// LoadSchema reads GitHub's GraphQL schema (the schema.graphql of npm
// @octokit/graphql-schema, scripts/graphql-schema.sh) for
// Options.GraphQLSchema. The published schema declares a few fields twice
// in one type (EnterpriseOwnerInfo.repositoryDeployKeySetting in 15.26.1),
// which the GraphQL spec forbids and gqlparser refuses; the later
// declaration is dropped, as GitHub's own server evidently does.
func LoadSchema(path string) (*ast.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("githubfake: GitHub's GraphQL schema: %w (run scripts/graphql-schema.sh fetch)", err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: path, Input: string(b)})
	if err != nil {
		return nil, fmt.Errorf("githubfake: parsing %s: %w", path, err)
	}
	for _, def := range doc.Definitions {
		seen := map[string]bool{}
		fields := def.Fields[:0]
		for _, f := range def.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				fields = append(fields, f)
			}
		}
		def.Fields = fields
	}
	schema, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("githubfake: %s: %w", path, err)
	}
	return schema, nil
}

// graphqlPath is where the server answers GraphQL: /graphql on
// github.com, /api/graphql beside GitHub Enterprise Server's /api/v3.
func (s *Server) graphqlPath() string {
	if s.prefix == "" {
		return "/graphql"
	}
	return strings.TrimSuffix(s.prefix, "/v3") + "/graphql"
}

// gqlRequest is the body of a GraphQL request.
type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Type    string `json:"type,omitempty"`
	Path    []any  `json:"path,omitempty"`
	Message string `json:"message"`
}

// hGraphQL answers POST /graphql.
func hGraphQL(c *call) int {
	schema := c.s.opts.GraphQLSchema
	if schema == nil {
		return c.fail(http.StatusNotFound, "Not Found: this fake serves GraphQL only with Options.GraphQLSchema (githubfake.LoadSchema)")
	}
	if c.r.Method != http.MethodPost {
		return c.notFound()
	}
	var req gqlRequest
	dec := json.NewDecoder(c.r.Body)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Query == "" {
		return c.fail(http.StatusBadRequest, "Problems parsing JSON")
	}
	doc, errs := gqlparser.LoadQuery(schema, req.Query)
	if len(errs) > 0 {
		return c.gqlErrors(errs)
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		return c.gqlErrors(gqlerror.List{gqlerror.Errorf("no operation %q in the document", req.OperationName)})
	}
	if op.Operation != ast.Query {
		return c.gqlErrors(gqlerror.List{gqlerror.Errorf("the fake answers queries only, not %s", op.Operation)})
	}
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		return c.gqlErrors(gqlerror.List{gqlerror.Wrap(err)})
	}
	ex := &gqlExec{c: c, schema: schema, doc: doc, vars: vars}
	requests, nodes, lerr := ex.cost(schema.Query.Name, op.SelectionSet, 1, nil)
	if lerr == nil && nodes > graphqlMaxNodes {
		lerr = &gqlError{Type: "MAX_NODE_LIMIT_EXCEEDED", Message: fmt.Sprintf(
			"This query requests up to %d possible nodes which exceeds the maximum limit of %d.", nodes, graphqlMaxNodes)}
	}
	if lerr != nil {
		return c.gqlWrite(nil, []gqlError{*lerr})
	}
	ex.cost1 = max(1, int(math.Round(float64(requests)/100)))
	ex.nodes = nodes
	rate, ok := c.s.graphqlChargeOK(c.budget, c.now, ex.cost1)
	c.gqlRate = &rate
	if !ok {
		who := strings.Replace(c.budget, " ", " ID ", 1)
		if who == "" {
			who = hostOnly(c.r.RemoteAddr)
		}
		return c.gqlWrite(nil, []gqlError{{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for " + who + "."}})
	}
	ex.rate = rate
	var data fakeapi.JSON
	ex.w = &data
	if err := ex.object(schema.Query.Name, nil, op.SelectionSet, nil); err != nil {
		return c.gqlWrite(nil, []gqlError{{Message: err.Error()}})
	}
	return c.gqlWrite(data.Bytes(), ex.errs)
}

func ptr[T any](v T) *T { return &v }

// gqlErrors answers a query that fails to parse or validate, as GitHub
// does: 200 with the errors and no data.
func (c *call) gqlErrors(list gqlerror.List) int {
	errs := make([]gqlError, 0, len(list))
	for _, e := range list {
		errs = append(errs, gqlError{Message: e.Message})
	}
	return c.gqlWrite(nil, errs)
}

// gqlWrite writes {"data": ..., "errors": [...]}; data nil is left out.
// A query refused before it ran costs nothing.
func (c *call) gqlWrite(data []byte, errs []gqlError) int {
	if c.gqlRate == nil {
		c.gqlRate = ptr(c.s.graphqlCharge(c.budget, c.now, 0))
	}
	c.w.Reset(c.w.Bytes()[:0])
	c.w.Object()
	if data != nil {
		c.w.Key("data").Raw(string(data))
	}
	if len(errs) > 0 {
		b, _ := json.Marshal(errs)
		c.w.Key("errors").Raw(string(b))
	}
	c.w.EndObject()
	return http.StatusOK
}

// gqlExec executes one query.
type gqlExec struct {
	c      *call
	schema *ast.Schema
	doc    *ast.QueryDocument
	vars   map[string]any
	w      *fakeapi.JSON
	errs   []gqlError
	cost1  int // the query's cost in points
	nodes  int
	rate   Rate
}

// gobj is an object value: its concrete GraphQL type ("" for the field's
// own type) and what its resolvers read.
type gobj struct {
	typ string
	v   any
}

// fieldError is a field that resolves to null with an error beside the
// data (GitHub's partial answers, e.g. NOT_FOUND).
type fieldError struct{ typ, msg string }

func (e *fieldError) Error() string { return e.msg }

// collect returns the fields a selection set asks of an object of type
// typ, fragments expanded and @skip/@include applied, in order; fields of
// the same response name are merged. typ "" takes every fragment (the
// cost of a query counts them all).
func (ex *gqlExec) collect(typ string, sel ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	byName := map[string]*ast.Field{}
	var walk func(ast.SelectionSet)
	walk = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				if !ex.included(s.Directives) {
					continue
				}
				if f := byName[s.Alias]; f != nil {
					merged := *f
					merged.SelectionSet = append(append(ast.SelectionSet{}, f.SelectionSet...), s.SelectionSet...)
					*f = merged
					continue
				}
				f := *s
				byName[s.Alias] = &f
				out = append(out, &f)
			case *ast.InlineFragment:
				if ex.included(s.Directives) && ex.applies(typ, s.TypeCondition) {
					walk(s.SelectionSet)
				}
			case *ast.FragmentSpread:
				if ex.included(s.Directives) && s.Definition != nil && ex.applies(typ, s.Definition.TypeCondition) {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(sel)
	return out
}

// included applies @skip and @include.
func (ex *gqlExec) included(ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil && d.ArgumentMap(ex.vars)["if"] == true {
		return false
	}
	if d := ds.ForName("include"); d != nil && d.ArgumentMap(ex.vars)["if"] == false {
		return false
	}
	return true
}

// applies reports whether a fragment on cond applies to an object of typ.
func (ex *gqlExec) applies(typ, cond string) bool {
	if typ == "" || cond == "" || cond == typ {
		return true
	}
	for _, d := range ex.schema.GetPossibleTypes(ex.schema.Types[cond]) {
		if d.Name == typ {
			return true
		}
	}
	return false
}

// cost adds up, under a selection on type typ reached mult times, the
// requests that fill its connections and the nodes they may hold.
func (ex *gqlExec) cost(typ string, sel ast.SelectionSet, mult int, path []any) (requests, nodes int, err *gqlError) {
	for _, f := range ex.collect("", sel) {
		if f.Definition == nil {
			continue
		}
		named := f.Definition.Type.Name()
		m := mult
		p := append(append([]any{}, path...), f.Alias)
		if strings.HasSuffix(named, "Connection") {
			args := f.ArgumentMap(ex.vars)
			n, ok := intArg(args["first"])
			if !ok {
				n, ok = intArg(args["last"])
			}
			switch {
			case !ok:
				return 0, 0, &gqlError{Type: "MISSING_PAGINATION_BOUNDARIES", Path: p,
					Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", f.Name)}
			case n < 0 || n > graphqlMaxFirst:
				return 0, 0, &gqlError{Type: "EXCESSIVE_PAGINATION", Path: p,
					Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of %d records.", n, f.Name, graphqlMaxFirst)}
			}
			requests += mult
			nodes += mult * n
			m = mult * n
		}
		r, n, err := ex.cost(named, f.SelectionSet, m, p)
		if err != nil {
			return 0, 0, err
		}
		requests, nodes = requests+r, nodes+n
	}
	return requests, nodes, nil
}

// intArg reads an Int argument (int64 from a literal, json.Number or int
// from a variable).
func intArg(v any) (int, bool) {
	switch v := v.(type) {
	case int64:
		return int(v), true
	case int:
		return v, true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}

// object writes an object of type typ.
func (ex *gqlExec) object(typ string, v any, sel ast.SelectionSet, path []any) error {
	w := ex.w
	w.Object()
	for _, f := range ex.collect(typ, sel) {
		w.Key(f.Alias)
		if f.Name == "__typename" {
			w.Str(typ)
			continue
		}
		p := append(append([]any{}, path...), f.Alias)
		res := graphqlResolvers[typ+"."+f.Name]
		if res == nil && strings.HasSuffix(typ, "Connection") {
			res = graphqlResolvers["Connection."+f.Name]
		}
		if res == nil && strings.HasSuffix(typ, "Edge") {
			res = graphqlResolvers["Edge."+f.Name]
		}
		if res == nil {
			return fmt.Errorf("githubfake does not model %s.%s; add a resolver to graphqlResolvers", typ, f.Name)
		}
		val, err := res(ex, v, f.ArgumentMap(ex.vars))
		var fe *fieldError
		if errors.As(err, &fe) {
			w.Null()
			ex.errs = append(ex.errs, gqlError{Type: fe.typ, Path: p, Message: fe.msg})
			continue
		}
		if err != nil {
			return fmt.Errorf("%s.%s: %w", typ, f.Name, err)
		}
		if err := ex.value(f.Definition.Type, val, f.SelectionSet, p); err != nil {
			return err
		}
	}
	w.EndObject()
	return nil
}

// value writes a value of type t.
func (ex *gqlExec) value(t *ast.Type, v any, sel ast.SelectionSet, path []any) error {
	w := ex.w
	if v == nil {
		w.Null()
		return nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%v: a list resolved to %T", path, v)
		}
		w.Array()
		for i, e := range list {
			if err := ex.value(t.Elem, e, sel, append(path, i)); err != nil {
				return err
			}
		}
		w.EndArray()
		return nil
	}
	switch v := v.(type) {
	case gobj:
		typ := v.typ
		if typ == "" {
			typ = t.NamedType
		}
		return ex.object(typ, v.v, sel, path)
	case string:
		w.Str(v)
	case int:
		w.Int(int64(v))
	case int64:
		w.Int(v)
	case bool:
		w.Bool(v)
	case time.Time:
		w.Str(v.UTC().Format(time.RFC3339))
	default:
		return fmt.Errorf("%v: cannot write %T", path, v)
	}
	return nil
}

// graphqlCharge returns acct's GraphQL budget after taking points.
func (s *Server) graphqlCharge(acct string, now time.Time, points int) Rate {
	r, _ := s.graphqlChargeOK(acct, now, points)
	return r
}

// graphqlChargeOK is chargeOK for the GraphQL budget, in points: a query
// that costs more than what is left is refused and takes nothing.
func (s *Server) graphqlChargeOK(acct string, now time.Time, points int) (Rate, bool) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	w := s.gqlWindows[acct]
	if w == nil {
		w = &rateWindow{}
		s.gqlWindows[acct] = w
	}
	if w.resetAt.IsZero() || !now.Before(w.resetAt) {
		w.used = 0
		w.resetAt = now.Add(s.opts.ResetEvery)
	}
	ok := w.used+points <= s.opts.GraphQLBudget
	if ok {
		w.used += points
		s.stats.Points += int64(points)
	}
	return Rate{Limit: s.opts.GraphQLBudget, Remaining: s.opts.GraphQLBudget - w.used, Used: w.used, Reset: w.resetAt}, ok
}

// GraphQLRate returns the GraphQL budget of Options.Token's user (or of
// everyone, when the server checks no credential), in points.
func (s *Server) GraphQLRate() Rate {
	acct := ""
	if s.checksCredentials() {
		acct = userAccount(1)
	}
	return s.graphqlCharge(acct, s.now(), 0)
}

// GraphQLRateOf returns the GraphQL budget, in points, of the user or
// installation a credential belongs to; ok is false for a credential the
// server does not know. Each has its own ("Rate limits and node limits
// for the GraphQL API": the limit is per user or per installation).
func (s *Server) GraphQLRateOf(credential string) (r Rate, ok bool) {
	acct, known := s.account(credential)
	if !known {
		return Rate{}, false
	}
	return s.graphqlCharge(acct, s.now(), 0), true
}

// cursor is an opaque cursor for the item at offset i of a connection.
func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(i)))
}

// gconn is a connection's page.
type gconn struct {
	nodes            []any
	lo, total        int
	hasNext, hasPrev bool
	// matches is what a search matched, of which it pages at most
	// searchCap (total): SearchResultItemConnection.issueCount.
	matches int
	// count, when set, counts the items instead of total: a commit's
	// history is walked only as far as a page needs (commitHistory).
	count func() int
}

// page cuts a connection of total items by first and after, calling item
// for each one on the page.
func page(args map[string]any, total int, item func(i int) any) (any, error) {
	if _, ok := args["last"]; ok && args["last"] != nil {
		return nil, errors.New("the fake pages connections with first and after only")
	}
	if args["before"] != nil {
		return nil, errors.New("the fake pages connections with first and after only")
	}
	first, _ := intArg(args["first"])
	lo, err := after(args)
	if err != nil {
		return nil, err
	}
	lo = min(lo, total)
	hi := min(lo+first, total)
	c := &gconn{lo: lo, total: total, hasNext: hi < total, hasPrev: lo > 0}
	for i := lo; i < hi; i++ {
		c.nodes = append(c.nodes, item(i))
	}
	return gobj{v: c}, nil
}

// after is where a page starts: past the item its after cursor names, 0
// without one.
func after(args map[string]any) (int, error) {
	a, ok := args["after"].(string)
	if !ok || a == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(a)
	n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:v2:"))
	if err != nil || err2 != nil || !strings.HasPrefix(string(b), "cursor:v2:") || n < 0 {
		return 0, &fieldError{typ: "INVALID_CURSOR_ARGUMENTS", msg: fmt.Sprintf("`%s` does not appear to be a valid cursor.", a)}
	}
	return n + 1, nil
}

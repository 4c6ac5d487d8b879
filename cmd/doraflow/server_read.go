package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow/config"
	"doraflow/extract/custom"
	"doraflow/metrics"
	"doraflow/pipeline"
)

// readAPI serves the read side of the HTTP API, what a Backstage plugin,
// a Slack bot or a spreadsheet pulls: GET /api/v1/metrics answers exactly
// the JSON of `doraflow metrics --format json`, and
// GET /api/v1/explain/{kind} that of `doraflow explain KIND --format
// json`, from the same query parameters as the flags (docs/api.md).
// server.tokens and server.read_tokens are both accepted.
type readAPI struct {
	pipeline *pipeline.Pipeline
	// loc is the config time zone that DATE parameters are midnight in.
	loc *time.Location
	log zerolog.Logger
	// tokens are the digests of server.tokens and server.read_tokens.
	tokens tokenSet
	// now is the current time for the default window.
	now func() time.Time
	// refused counts each refused request by why, as the write API's.
	refused func(reason string)
}

// register adds the read endpoints to mux.
func (a *readAPI) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/metrics", a.metrics)
	mux.HandleFunc("GET /api/v1/explain/{kind}", a.explain)
}

// metricsParams and explainParams are the query parameters each endpoint
// takes: the flags of the command, snake_case.
var (
	metricsParams = []string{"from", "to", "group_by", "period", "service", "team", "environment"}
	explainParams = []string{"from", "to", "service", "team", "environment"}
)

func (a *readAPI) metrics(w http.ResponseWriter, r *http.Request) {
	p, ok := a.params(w, r, metricsParams)
	if !ok {
		return
	}
	q := metrics.Query{Location: a.loc, GroupBy: cmp.Or(p["group_by"], metrics.GroupService), Period: cmp.Or(p["period"], metrics.PeriodNone),
		Service: p["service"], Team: p["team"], Environment: p["environment"]}
	for _, c := range []struct {
		name, value string
		valid       []string
	}{
		{"group_by", q.GroupBy, groupings}, {"period", q.Period, periods},
	} {
		if !contains(c.valid, c.value) {
			a.bad(w, fmt.Sprintf("parameter %s=%q: use one of %s", c.name, c.value, strings.Join(c.valid, ", ")))
			return
		}
	}
	if q.From, q.To, ok = a.window(w, p); !ok {
		return
	}
	report, err := a.pipeline.Metrics(r.Context(), q, pipeline.MetricsOptions{})
	if err != nil {
		a.failed(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := metrics.WriteJSON(&b, report); err != nil {
		a.failed(w, r, err)
		return
	}
	writeBody(w, b.Bytes())
}

func (a *readAPI) explain(w http.ResponseWriter, r *http.Request) {
	what := r.PathValue("kind")
	p, ok := a.params(w, r, explainParams)
	if !ok {
		return
	}
	if !contains(pipeline.ExplainKinds, what) {
		// The path names the subject, as the command's first argument:
		// an unknown one is a bad request, not a missing page.
		a.bad(w, fmt.Sprintf("unknown subject %q in /api/v1/explain/{subject}: use one of %s", what, strings.Join(pipeline.ExplainKinds, ", ")))
		return
	}
	from, to, ok := a.window(w, p)
	if !ok {
		return
	}
	items, err := a.pipeline.Explain(r.Context(), pipeline.ExplainQuery{What: what, From: from, To: to,
		Service: p["service"], Team: p["team"], Environment: p["environment"]})
	if err != nil {
		a.failed(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := writeItemsJSON(&b, what, from, to, items); err != nil {
		a.failed(w, r, err)
		return
	}
	writeBody(w, b.Bytes())
}

// params checks the token and the query parameters: each one known and
// given once. It answers 401 or 400 itself and returns false then.
func (a *readAPI) params(w http.ResponseWriter, r *http.Request, known []string) (map[string]string, bool) {
	if !a.tokens.has(r) {
		a.refuse(custom.RefusedUnauthorized)
		w.Header().Set("WWW-Authenticate", `Bearer realm="doraflow"`)
		writeAPIError(w, http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer TOKEN with a token of server.tokens or server.read_tokens")
		return nil, false
	}
	out := map[string]string{}
	for name, values := range r.URL.Query() {
		switch {
		case !slices.Contains(known, name):
			a.bad(w, fmt.Sprintf("unknown parameter %q: use %s", name, strings.Join(known, ", ")))
			return nil, false
		case len(values) > 1:
			a.bad(w, fmt.Sprintf("parameter %s is given %d times: give it once", name, len(values)))
			return nil, false
		}
		out[name] = values[0]
	}
	return out, true
}

// window resolves from and to as the commands' --from and --to.
func (a *readAPI) window(w http.ResponseWriter, p map[string]string) (time.Time, time.Time, bool) {
	from, to, err := windowNamed("parameter from", p["from"], "parameter to", p["to"], a.loc, a.now())
	if err != nil {
		a.bad(w, err.Error())
		return from, to, false
	}
	return from, to, true
}

func (a *readAPI) bad(w http.ResponseWriter, msg string) {
	a.refuse(custom.RefusedInvalid)
	writeAPIError(w, http.StatusBadRequest, msg)
}

func (a *readAPI) refuse(reason string) {
	if a.refused != nil {
		a.refused(reason)
	}
}

// failed answers 500 without the cause, which may name hosts and tables:
// the log has it.
func (a *readAPI) failed(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error().Err(err).Str("path", r.URL.Path).Msg("read API failed")
	writeAPIError(w, http.StatusInternalServerError, "could not read the metrics from ClickHouse; the server's log says why, try again")
}

// tokenSet holds the SHA-256 digests of bearer tokens, compared in
// constant time, as the write API does (extract/custom): digests have one
// length whatever the token's, so the comparison tells nothing of it.
type tokenSet [][sha256.Size]byte

// newTokenSet digests the tokens of every list given.
func newTokenSet(lists ...[]config.Secret) tokenSet {
	var ts tokenSet
	for _, list := range lists {
		for _, t := range list {
			ts = append(ts, sha256.Sum256([]byte(t.Value())))
		}
	}
	return ts
}

// has reports whether r carries one of the tokens as a bearer token; the
// scheme is matched without regard to case (RFC 9110 §11.1). Every token
// is compared, so the time taken tells not which matched.
func (ts tokenSet) has(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range ts {
		match |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return match == 1
}

// refusedReadOnly is why a write with a read token is refused (403), in
// doraflow_api_refused_total beside the write API's reasons.
const refusedReadOnly = "read_only"

// readOnly wraps the API: a request that would write (any method but GET
// and HEAD) with a token of server.read_tokens, and not of server.tokens,
// is refused with 403 — the token is valid, it may only read — before
// the write API sees it.
func readOnly(next http.Handler, write, read tokenSet, refused func(string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && strings.HasPrefix(r.URL.Path, "/api/") &&
			read.has(r) && !write.has(r) {
			if refused != nil {
				refused(refusedReadOnly)
			}
			writeAPIError(w, http.StatusForbidden, "this token is a read token (server.read_tokens): it may only read; record with a token of server.tokens")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeAPIError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeBody(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

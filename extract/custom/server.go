package custom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"doraflow"
)

// MaxBody is the largest request body the API accepts.
const MaxBody = 1 << 20

// Recorder stores records; the pipeline implements it.
type Recorder interface {
	StageDeploymentRecord(ctx context.Context, r DeploymentRecord) (d doraflow.Deployment, created bool, err error)
	// StageIncidentRecord also returns what about the record is allowed
	// but likely a slip (a cause in another service), for the caller.
	StageIncidentRecord(ctx context.Context, r IncidentRecord) (in doraflow.Incident, created bool, warnings []Warning, err error)
	// RetractDeploymentRecord and RetractIncidentRecord stage the
	// retraction of the custom record id; an id that names none returns
	// an error wrapping ErrNotRecorded.
	RetractDeploymentRecord(ctx context.Context, id string) (doraflow.Deployment, error)
	RetractIncidentRecord(ctx context.Context, id string) (doraflow.Incident, error)
}

// Handler serves the write API of `doraflow run`:
//
//	POST /api/v1/deployments   record a deployment
//	POST /api/v1/incidents     record or update an incident
//	DELETE /api/v1/deployments/{id}, DELETE /api/v1/incidents/{id}
//	                           retract a custom record
//
// All need "Authorization: Bearer TOKEN" with one of the configured
// tokens. POST answers 201 for a new id, 200 for an id already recorded
// (updating only the fields sent), with a "warnings" array of [Warning]
// when the record is stored but looks like a slip, 400 naming the bad field, 401 without
// a valid token and 413 over MaxBody; DELETE 200, 404 for an id that
// names no custom record and 401; always with a JSON body. A request refused for its token is logged at
// warn with its method, path and remote address, never with the token.
type Handler struct {
	// Refused, when set, is called once for every request refused with
	// 401, 413 or 400, with why: RefusedUnauthorized, RefusedTooLarge or
	// RefusedInvalid (a body, or a record, that is not valid). `doraflow
	// run` counts them in /metrics. Set it before the handler serves.
	Refused func(reason string)

	rec    Recorder
	tokens [][32]byte // SHA-256 of each token: compared in constant time, whatever their lengths
	log    zerolog.Logger
}

// The reasons Handler.Refused is called with.
const (
	RefusedUnauthorized = "unauthorized" // 401: no token, or not a configured one
	RefusedTooLarge     = "too_large"    // 413: a body over MaxBody
	RefusedInvalid      = "invalid"      // 400: a body that is not a valid record
)

// NewHandler returns the API handler. An empty token list refuses every
// request: the API is never open by accident.
func NewHandler(rec Recorder, tokens []string, log zerolog.Logger) *Handler {
	h := &Handler{rec: rec, log: log}
	for _, t := range tokens {
		if t != "" {
			h.tokens = append(h.tokens, sha256.Sum256([]byte(t)))
		}
	}
	return h
}

// Register adds the API routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/deployments", h.deployments)
	mux.HandleFunc("POST /api/v1/incidents", h.incidents)
	// {id...}: a custom id may hold a slash (acme/deploy-1).
	mux.HandleFunc("DELETE /api/v1/deployments/{id...}", h.retractDeployment)
	mux.HandleFunc("DELETE /api/v1/incidents/{id...}", h.retractIncident)
}

func (h *Handler) deployments(w http.ResponseWriter, r *http.Request) {
	var rec DeploymentRecord
	if !h.accept(w, r, &rec) {
		return
	}
	d, created, err := h.rec.StageDeploymentRecord(r.Context(), rec)
	h.reply(w, r, created, err, map[string]any{"id": d.ID, "service": d.Service, "environment": d.Environment, "deployed_at": d.DeployedAt})
}

func (h *Handler) incidents(w http.ResponseWriter, r *http.Request) {
	var rec IncidentRecord
	if !h.accept(w, r, &rec) {
		return
	}
	in, created, warnings, err := h.rec.StageIncidentRecord(r.Context(), rec)
	body := map[string]any{"id": in.ID, "service": in.Service, "created_at": in.CreatedAt}
	if in.Resolved() {
		body["resolved_at"] = in.ResolvedAt
	}
	if len(warnings) > 0 {
		// The record is stored all the same; the caller is told, since
		// the API's caller is who can fix a slip (the server's log is
		// read by someone else, if at all).
		body["warnings"] = warnings
	}
	h.reply(w, r, created, err, body)
}

func (h *Handler) retractDeployment(w http.ResponseWriter, r *http.Request) {
	h.retract(w, r, "deployment", func(ctx context.Context, id string) (string, error) {
		d, err := h.rec.RetractDeploymentRecord(ctx, id)
		return d.Service, err
	})
}

func (h *Handler) retractIncident(w http.ResponseWriter, r *http.Request) {
	h.retract(w, r, "incident", func(ctx context.Context, id string) (string, error) {
		in, err := h.rec.RetractIncidentRecord(ctx, id)
		return in.Service, err
	})
}

// retract serves a DELETE of a kind of record: 400 without an id in the
// path, 404 for an id that names no custom record of the kind, 200 once
// its retraction is stored.
func (h *Handler) retract(w http.ResponseWriter, r *http.Request, kind string, do func(ctx context.Context, id string) (service string, err error)) {
	if !h.authorize(w, r) {
		return
	}
	id := r.PathValue("id")
	if strings.TrimSpace(id) == "" {
		h.refused(RefusedInvalid)
		writeError(w, http.StatusBadRequest, fmt.Sprintf("id: required: give the id of the %s to retract in the path, DELETE /api/v1/%ss/ID", kind, kind))
		return
	}
	service, err := do(r.Context(), id)
	if errors.Is(err, ErrNotRecorded) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("id: no custom %s %q is recorded: check the id (doraflow explain lists them)", kind, id))
		return
	}
	h.reply(w, r, false, err, map[string]any{"id": id, "service": service, "retracted": true})
}

// accept authenticates the request and decodes its body into v, writing
// the error response itself when it cannot.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, v any) bool {
	if !h.authorize(w, r) {
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refused(RefusedTooLarge)
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", MaxBody))
			return false
		}
		h.refused(RefusedInvalid)
		writeError(w, http.StatusBadRequest, "could not read the body")
		return false
	}
	if err := decodeStrict(body, v); err != nil {
		h.refused(RefusedInvalid)
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

// authorize checks the bearer token, answering 401 itself when it is
// missing or not one of the configured tokens.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) bool {
	if h.authorized(r) {
		return true
	}
	// A guess at a token is worth an operator's attention; the token
	// itself is never logged, nor the header it came in.
	h.log.Warn().Str("method", r.Method).Str("path", r.URL.Path).Str("remote", r.RemoteAddr).
		Bool("token_sent", r.Header.Get("Authorization") != "").Msg("API request refused: missing or invalid bearer token")
	h.refused(RefusedUnauthorized)
	w.Header().Set("WWW-Authenticate", `Bearer realm="doraflow"`)
	writeError(w, http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer TOKEN with one of server.tokens")
	return false
}

func (h *Handler) refused(reason string) {
	if h.Refused != nil {
		h.Refused(reason)
	}
}

// decodeStrict decodes one JSON object into the record v points to,
// refusing unknown fields, duplicate fields, field names in another case,
// wrong types and trailing data, and names the field at fault.
func decodeStrict(body []byte, v any) error {
	if err := checkFieldNames(body, jsonNames(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field == "":
			// The body itself is an array, a string, a number.
			return fmt.Errorf("body: want a JSON object, got %s", typeErr.Value)
		case errors.As(err, &typeErr):
			return fmt.Errorf("%s: want a %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return fmt.Errorf("body is not valid JSON (at byte %d)", syntaxErr.Offset)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return fmt.Errorf("%s: unknown field", strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
		case errors.Is(err, io.EOF):
			return errors.New("body is empty: send a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("body is not valid JSON (it ends too early)")
		}
		return fmt.Errorf("body is not a JSON object: %v", err)
	}
	if dec.More() {
		return errors.New("body holds more than one JSON value")
	}
	return nil
}

// checkFieldNames walks the keys of the JSON object in body and refuses
// what encoding/json would let through: a field given twice, where the
// last value silently wins ({"service":"api","service":"evil"}), and a
// name that matches a field only when case is ignored ("SERVICE", or
// "ſervice" by Unicode folding), which json.Unmarshal accepts. names are
// the record's JSON field names. A body that is not a JSON object, or not
// valid JSON, passes: decoding reports it.
func checkFieldNames(body []byte, names []string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		switch {
		case seen[key]:
			return fmt.Errorf("%s: duplicate field: send each field once", key)
		case slices.Contains(names, key):
			seen[key] = true
		default:
			for _, n := range names {
				if strings.EqualFold(key, n) {
					return fmt.Errorf("%s: unknown field (field names are lower case: %s)", key, n)
				}
			}
			return fmt.Errorf("%s: unknown field", key)
		}
		if err := skipValue(dec); err != nil {
			return nil
		}
	}
	return nil
}

// skipValue reads the next JSON value from dec, whatever its depth.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// jsonNames returns the JSON field names of the struct v points to.
func jsonNames(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, created bool, err error, body map[string]any) {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		h.refused(RefusedInvalid)
		writeError(w, http.StatusBadRequest, fe.Error())
	case err != nil:
		h.log.Error().Err(err).Str("path", r.URL.Path).Msg("recording failed")
		writeError(w, http.StatusInternalServerError, "could not store the record; it was not recorded, try again")
	case created:
		writeJSON(w, http.StatusCreated, body)
	default:
		writeJSON(w, http.StatusOK, body)
	}
}

// authorized compares the bearer token with every configured token in
// constant time. The scheme is matched without regard to case, as RFC
// 9110 §11.1 says of every authentication scheme: "bearer x" and
// "BEARER x" carry the token x.
func (h *Handler) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range h.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return match == 1
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

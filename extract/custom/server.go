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
	"strings"

	"github.com/rs/zerolog"

	"doraflow"
)

// MaxBody is the largest request body the API accepts.
const MaxBody = 1 << 20

// Recorder stores records; the pipeline implements it.
type Recorder interface {
	StageDeploymentRecord(ctx context.Context, r DeploymentRecord) (d doraflow.Deployment, created bool, err error)
	StageIncidentRecord(ctx context.Context, r IncidentRecord) (in doraflow.Incident, created bool, err error)
}

// Handler serves the write API of `doraflow run`:
//
//	POST /api/v1/deployments   record a deployment
//	POST /api/v1/incidents     record or update an incident
//
// Both need "Authorization: Bearer TOKEN" with one of the configured
// tokens, answer 201 for a new id, 200 for an id already recorded, 400
// naming the bad field, 401 without a valid token and 413 over MaxBody,
// always with a JSON body.
type Handler struct {
	rec    Recorder
	tokens [][32]byte // SHA-256 of each token: compared in constant time, whatever their lengths
	log    zerolog.Logger
}

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
	in, created, err := h.rec.StageIncidentRecord(r.Context(), rec)
	body := map[string]any{"id": in.ID, "service": in.Service, "created_at": in.CreatedAt}
	if in.Resolved() {
		body["resolved_at"] = in.ResolvedAt
	}
	h.reply(w, r, created, err, body)
}

// accept authenticates the request and decodes its body into v, writing
// the error response itself when it cannot.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, v any) bool {
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="doraflow"`)
		writeError(w, http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer TOKEN with one of server.tokens")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", MaxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "could not read the body")
		return false
	}
	if err := decodeStrict(body, v); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

// decodeStrict decodes one JSON object, refusing unknown fields, wrong
// types and trailing data, and names the field at fault.
func decodeStrict(body []byte, v any) error {
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

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, created bool, err error, body map[string]any) {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
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
// constant time.
func (h *Handler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
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

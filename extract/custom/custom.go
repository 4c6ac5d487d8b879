// Package custom is doraflow's source for deployments and incidents that
// no extractor sees: other systems record them through the HTTP API of
// `doraflow run` or with `doraflow record`. It validates what callers send,
// naming the field that is wrong, and turns it into domain rows.
package custom

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"doraflow"
)

// DeploymentRecord is a deployment as callers send it; the JSON names are
// the HTTP API's contract.
type DeploymentRecord struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	Environment string `json:"environment"`
	SHA         string `json:"sha"`
	Repository  string `json:"repository"`
	DeployedAt  string `json:"deployed_at"`
	Status      string `json:"status"`
	URL         string `json:"url"`
	Title       string `json:"title"`
	// NewService allows a service that is not in the config's services:
	// list, on purpose; NewEnvironment an environment no deployment had yet.
	NewService     bool `json:"new_service"`
	NewEnvironment bool `json:"new_environment"`
}

// IncidentRecord is an incident as callers send it.
type IncidentRecord struct {
	ID           string `json:"id"`
	Service      string `json:"service"`
	CreatedAt    string `json:"created_at"`
	ResolvedAt   string `json:"resolved_at"`
	DeploymentID string `json:"deployment_id"`
	Title        string `json:"title"`
	URL          string `json:"url"`
	// NewService allows a service that is not in the config's services:
	// list, on purpose.
	NewService bool `json:"new_service"`
}

// FieldError is a problem with one field of a record.
type FieldError struct {
	Field   string // the JSON name, e.g. deployed_at
	Message string
	// Missing says the field is required and was not given: an update
	// (a record with an id) may still take it from the stored record.
	Missing bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Warning is what is allowed about a record but likely a slip: the
// record is stored, and the caller told (the CLI prints it on stderr, the
// API answers it in "warnings").
type Warning struct {
	// Field is the JSON name of the field concerned, e.g. deployment_id.
	Field   string `json:"field"`
	Message string `json:"message"`
}

// maxField bounds free-text fields so one record cannot bloat the store.
const maxField = 1024

// Deployment validates r and returns the deployment it records. now is the
// default deployed_at; block is the custom block the record belongs to.
func (r DeploymentRecord) Deployment(now time.Time, block string) (doraflow.Deployment, error) {
	d := doraflow.Deployment{
		ID: strings.TrimSpace(r.ID), Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: block,
		Service: strings.TrimSpace(r.Service), Environment: strings.TrimSpace(r.Environment),
		Repository: strings.TrimSpace(r.Repository), SHA: strings.TrimSpace(r.SHA),
		Status: doraflow.Status(strings.TrimSpace(r.Status)), URL: r.URL, Title: r.Title,
	}
	if err := checkText([][2]string{{"id", d.ID}, {"service", d.Service}, {"environment", d.Environment}, {"repository", d.Repository}, {"sha", d.SHA}, {"url", d.URL}, {"title", d.Title}}); err != nil {
		return d, err
	}
	if err := checkOwnID(d.ID, githubDeploymentID, "GitHub deployment ids (owner/name#pr-N, #run-N, #release-N or #deployment-N)"); err != nil {
		return d, err
	}
	if d.Service == "" {
		return d, &FieldError{Field: "service", Message: "required: the service this deployment belongs to", Missing: true}
	}
	if d.Environment == "" {
		d.Environment = doraflow.EnvironmentProduction
	}
	switch d.Status {
	case "":
		d.Status = doraflow.StatusSuccess
	case doraflow.StatusSuccess, doraflow.StatusFailure:
	default:
		return d, &FieldError{Field: "status", Message: fmt.Sprintf("%q is not a status: use success or failure", r.Status)}
	}
	if d.Repository != "" && strings.Count(d.Repository, "/") != 1 {
		return d, &FieldError{Field: "repository", Message: fmt.Sprintf("%q: want owner/name", d.Repository)}
	}
	at, err := optionalTime("deployed_at", r.DeployedAt, now)
	if err != nil {
		return d, err
	}
	if at.IsZero() {
		at = now
	}
	d.DeployedAt = at.UTC().Truncate(time.Second)
	if d.ID == "" {
		d.ID = newID("dep")
	}
	return d, nil
}

// Incident validates r and returns the incident it records; now bounds
// its times (MaxAhead).
func (r IncidentRecord) Incident(now time.Time, block string) (doraflow.Incident, error) {
	in := doraflow.Incident{
		ID: strings.TrimSpace(r.ID), Source: doraflow.SourceCustom, Block: block,
		Service: strings.TrimSpace(r.Service), DeploymentID: strings.TrimSpace(r.DeploymentID),
		Title: r.Title, URL: r.URL,
	}
	if err := checkText([][2]string{{"id", in.ID}, {"service", in.Service}, {"deployment_id", in.DeploymentID}, {"url", in.URL}, {"title", in.Title}}); err != nil {
		return in, err
	}
	if err := checkOwnID(in.ID, pagerDutyIncidentID, "PagerDuty incident ids (P and 6, or Q and 13, upper-case letters and digits)"); err != nil {
		return in, err
	}
	if in.Service == "" {
		return in, &FieldError{Field: "service", Message: "required: the service the incident hit", Missing: true}
	}
	created, err := optionalTime("created_at", r.CreatedAt, now)
	if err != nil {
		return in, err
	}
	if created.IsZero() {
		return in, &FieldError{Field: "created_at", Message: "required: when the incident started (RFC 3339, e.g. 2024-03-01T10:00:00Z)", Missing: true}
	}
	resolved, err := optionalTime("resolved_at", r.ResolvedAt, now)
	if err != nil {
		return in, err
	}
	if !resolved.IsZero() && resolved.Before(created) {
		return in, &FieldError{Field: "resolved_at", Message: "is before created_at"}
	}
	in.CreatedAt = created.UTC().Truncate(time.Second)
	if !resolved.IsZero() {
		in.ResolvedAt = resolved.UTC().Truncate(time.Second)
	}
	if in.ID == "" {
		in.ID = newID("inc")
	}
	return in, nil
}

// ParseTime reads a DATE (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD or RFC 3339 (2024-03-01T10:00:00Z)", s)
}

// MaxAhead is how far past now a recorded time may lie: enough for clocks
// that disagree and for time zones, not for a typo's year (2030-01-01),
// which would make the record count in a period that has not come.
const MaxAhead = 24 * time.Hour

func optionalTime(field, s string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return t, &FieldError{Field: field, Message: err.Error()}
	}
	// ClickHouse's DateTime holds 1970 to 2105, in UTC: the bounds apply
	// to the instant stored, not to the calendar of the caller's offset
	// (2100-12-31T23:59:59-23:00 is 2101-01-01 in UTC).
	if u := t.UTC(); u.Year() < 1971 || u.Year() > 2100 {
		return t, &FieldError{Field: field, Message: fmt.Sprintf("%s is %s in UTC, out of range (1971 to 2100 UTC)", t.Format(time.RFC3339), u.Format(time.RFC3339))}
	}
	if t.After(now.Add(MaxAhead)) {
		return t, &FieldError{Field: field, Message: fmt.Sprintf("%s is more than a day in the future (now is %s): give the time it happened, in UTC or with its offset", t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	return t, nil
}

// checkText bounds every field and keeps identifiers printable; fields
// are (name, value) pairs, checked in order. Identifiers (ids, names, the
// sha and the url) are shown in terminals by explain, metrics and status:
// a control character or a bidirectional override there would let a
// caller recolour the terminal or show one id while another is stored, so
// they are refused. Titles keep them — GitHub and PagerDuty titles hold
// them too — and the terminal output escapes them instead
// (metrics.Text).
func checkText(fields [][2]string) error {
	for _, f := range fields {
		name, v := f[0], f[1]
		if len(v) > maxField {
			return &FieldError{Field: name, Message: fmt.Sprintf("longer than %d bytes", maxField)}
		}
		if name == "title" {
			continue
		}
		if msg := unprintable(v); msg != "" {
			return &FieldError{Field: name, Message: msg}
		}
	}
	return nil
}

// unprintable says why v cannot be an identifier, or "" when it can.
func unprintable(v string) string {
	for i, r := range v {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(v[i:], "\uFFFD"):
			// Not U+FFFD itself but a byte that is no UTF-8: an 8-bit
			// terminal reads 0x9b as the escape CSI.
			return fmt.Sprintf("is not valid UTF-8 (byte %#x at offset %d)", v[i], i)
		case isBidi(r):
			return fmt.Sprintf("contains the bidirectional formatting character %U, which makes text display in another order than it is stored: remove it", r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Sprintf("contains the control character %U: ids and names must be printable text", r)
		}
	}
	return ""
}

// isBidi reports whether r is one of Unicode's explicit bidirectional
// formatting characters (UAX #9): the marks, embeddings, overrides and
// isolates that reorder how text is displayed.
func isBidi(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f': // ALM, LRM, RLM
		return true
	case r >= '\u202a' && r <= '\u202e': // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= '\u2066' && r <= '\u2069': // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// newID returns a random id for a record sent without one.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Methods declares the custom method: blocks of either list may use it,
// with no filters, since what they match is recorded rather than read.
func Methods() []doraflow.MethodSpec {
	return []doraflow.MethodSpec{{
		Method: doraflow.MethodCustom, Source: doraflow.SourceCustom,
		Kinds: []doraflow.Kind{doraflow.KindDeployments, doraflow.KindIncidents},
	}}
}

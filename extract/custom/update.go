package custom

import (
	"errors"
	"strings"
	"time"

	"doraflow"
)

// ErrNotRecorded says that an id names no custom record: there is nothing
// to retract. The API answers 404.
var ErrNotRecorded = errors.New("no custom record has this id")

// Over returns r with every field it leaves empty taken from prev, the
// record stored under the same id, so that recording an id again changes
// only the fields given (CONFIG.md: "the same --id again updates only the
// fields given"). An empty field is a field not given: a field cannot be
// emptied by an update.
func (r DeploymentRecord) Over(prev doraflow.Deployment) DeploymentRecord {
	r.Service = given(r.Service, prev.Service)
	r.Environment = given(r.Environment, prev.Environment)
	r.SHA = given(r.SHA, prev.SHA)
	r.Repository = given(r.Repository, prev.Repository)
	r.Status = given(r.Status, string(prev.Status))
	r.URL = given(r.URL, prev.URL)
	r.Title = given(r.Title, prev.Title)
	r.DeployedAt = given(r.DeployedAt, stamp(prev.DeployedAt))
	return r
}

// Over returns r with every field it leaves empty taken from prev, as
// DeploymentRecord.Over does: resolving an incident (its id and
// resolved_at) keeps its title, service and start.
func (r IncidentRecord) Over(prev doraflow.Incident) IncidentRecord {
	r.Service = given(r.Service, prev.Service)
	r.CreatedAt = given(r.CreatedAt, stamp(prev.CreatedAt))
	r.ResolvedAt = given(r.ResolvedAt, stamp(prev.ResolvedAt))
	r.DeploymentID = given(r.DeploymentID, prev.DeploymentID)
	r.Title = given(r.Title, prev.Title)
	r.URL = given(r.URL, prev.URL)
	return r
}

// given returns v, or prev when v is empty or white space.
func given(v, prev string) string {
	if strings.TrimSpace(v) == "" {
		return prev
	}
	return v
}

// stamp formats a stored time as a record carries it; the zero time (an
// open incident's resolved_at) is "".
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

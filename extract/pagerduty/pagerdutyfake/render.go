package pagerdutyfake

import (
	"strconv"
	"time"

	"doraflow/internal/fakeapi"
)

// The server writes every document by hand (fakeapi.JSON) with PagerDuty's
// field names, rather than by marshalling structs that mirror a client
// library: the fake must not inherit a client's idea of the API.

// view is what a response's objects are rendered against: the API base for
// "self" links, the web base for "html_url", the time zone, and the
// include[] expansions asked for.
type view struct {
	d       *Data
	api     string // e.g. "http://127.0.0.1:1234"
	web     string // e.g. "https://acme.pagerduty.com"
	loc     *time.Location
	include map[string]bool
}

// json returns a writer for a document of about size bytes, writing
// times in the view's zone.
func (v *view) json(size int) *fakeapi.JSON {
	e := &fakeapi.JSON{Zone: v.loc}
	if size > 0 {
		e.Reset(make([]byte, 0, size))
	}
	return e
}

const (
	escalationPolicyID   = "PDEFEP1"
	escalationPolicyName = "Default"
)

// ref writes a reference object: {id, type, summary, self, html_url}, with
// self at <api>/<collection>/<id> and html_url at <web>/<htmlCollection>/<id>.
func (v *view) ref(e *fakeapi.JSON, id, typ, summary, collection, htmlCollection string) {
	e.Object()
	v.identity(e, id, typ, summary, collection, htmlCollection)
	e.EndObject()
}

// identity writes the members every object and reference opens with: id,
// type, summary, self and html_url, as ref describes. An empty
// htmlCollection writes html_url null, for objects the web UI has no page
// for.
func (v *view) identity(e *fakeapi.JSON, id, typ, summary, collection, htmlCollection string) {
	e.Key("id").Str(id)
	e.Key("type").Str(typ)
	e.Key("summary").Str(summary)
	e.Key("self").Concat(v.api, "/", collection, "/", id)
	if htmlCollection == "" {
		e.Key("html_url").Null()
		return
	}
	e.Key("html_url").Concat(v.web, "/", htmlCollection, "/", id)
}

func (v *view) serviceRef(e *fakeapi.JSON, s *Service) {
	v.ref(e, s.ID, "service_reference", s.Name, "services", "service-directory")
}

func (v *view) teamRef(e *fakeapi.JSON, t *Team) {
	v.ref(e, t.ID, "team_reference", t.Name, "teams", "teams")
}

func (v *view) userRef(e *fakeapi.JSON, u *User) {
	v.ref(e, u.ID, "user_reference", u.Name, "users", "users")
}

func (v *view) escalationPolicyRef(e *fakeapi.JSON) {
	v.ref(e, escalationPolicyID, "escalation_policy_reference", escalationPolicyName, "escalation_policies", "escalation_policies")
}

// teams writes the "teams" member of a service or an incident: the known
// teams among ids, in full when include[]=teams asked for them, else as
// references.
func (v *view) teams(e *fakeapi.JSON, ids []string) {
	e.Key("teams")
	e.Array()
	for _, id := range ids {
		if t, ok := v.d.teams[id]; ok {
			if v.include["teams"] {
				v.team(e, t)
			} else {
				v.teamRef(e, t)
			}
		}
	}
	e.EndArray()
}

// team writes a full team object.
func (v *view) team(e *fakeapi.JSON, t *Team) {
	e.Object()
	v.identity(e, t.ID, "team", t.Name, "teams", "teams")
	e.Key("name").Str(t.Name)
	e.Key("description").Str(t.Description)
	e.Key("default_role").Str("manager")
	e.Key("parent").Null()
	e.EndObject()
}

// user writes a full user object.
func (v *view) user(e *fakeapi.JSON, u *User) {
	e.Object()
	v.identity(e, u.ID, "user", u.Name, "users", "users")
	e.Key("name").Str(u.Name)
	e.Key("email").Str(u.Email)
	e.Key("time_zone").Str("Etc/UTC")
	e.Key("color").Str("purple")
	e.Key("role").Str("user")
	e.Key("description").Str("")
	e.Key("invitation_sent").Bool(false)
	e.Key("job_title").Str("")
	e.Key("teams").Raw("[]")
	e.Key("contact_methods").Raw("[]")
	e.Key("notification_rules").Raw("[]")
	e.EndObject()
}

// priority writes a priority object; incidents embed it whole, as the API does.
func (v *view) priority(e *fakeapi.JSON, p *Priority) {
	e.Object()
	v.identity(e, p.ID, "priority", p.Name, "priorities", "")
	e.Key("name").Str(p.Name)
	e.Key("description").Str(p.Description)
	e.Key("color").Str(p.Color)
	e.Key("order").Int(int64(p.Order))
	e.Key("schema_version").Int(0)
	e.EndObject()
}

// service writes a full service object.
func (v *view) service(e *fakeapi.JSON, s *Service) {
	e.Object()
	v.identity(e, s.ID, "service", s.Name, "services", "service-directory")
	e.Key("name").Str(s.Name)
	e.Key("description").Str(s.Description)
	e.Key("auto_resolve_timeout").Int(14400)
	e.Key("acknowledgement_timeout").Int(1800)
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	e.Key("created_at").Time(created)
	e.Key("status").Str("active")
	var last time.Time
	if l := v.d.byService[s.ID]; len(l) > 0 {
		last = l[len(l)-1].CreatedAt
	}
	e.Key("last_incident_timestamp").Time(last)
	e.Key("alert_creation").Str("create_alerts_and_incidents")
	e.Key("escalation_policy")
	v.escalationPolicyRef(e)
	e.Key("response_play").Null()
	v.teams(e, s.TeamIDs)
	e.Key("integrations").Raw("[]")
	e.Key("incident_urgency_rule")
	e.Object()
	e.Key("type").Str("constant")
	e.Key("urgency").Str("high")
	e.EndObject()
	e.Key("support_hours").Null()
	e.Key("scheduled_actions").Raw("[]")
	e.Key("addons").Raw("[]")
	e.EndObject()
}

// incident writes a full incident object.
func (v *view) incident(e *fakeapi.JSON, p *Incident) {
	svc := v.d.services[p.ServiceID]
	var assignee *User
	if len(p.AssigneeIDs) > 0 {
		assignee = v.d.users[p.AssigneeIDs[0]]
	}
	e.Object()
	e.Key("id").Str(p.ID)
	e.Key("type").Str("incident")
	var num [20]byte
	e.Key("summary").Concat("[#", string(strconv.AppendInt(num[:0], int64(p.Number), 10)), "] ", p.Title)
	e.Key("self").Concat(v.api, "/incidents/", p.ID)
	e.Key("html_url").Concat(v.web, "/incidents/", p.ID)
	e.Key("incident_number").Int(int64(p.Number))
	e.Key("title").Str(p.Title)
	e.Key("description").Str(p.Title)
	e.Key("created_at").Time(p.CreatedAt)
	e.Key("updated_at").Time(p.LastStatusChangeAt())
	e.Key("status").Str(p.Status)
	e.Key("incident_key").Str(p.IncidentKey)
	e.Key("incident_type")
	e.Object()
	e.Key("name").Str("incident_default")
	e.EndObject()
	e.Key("service")
	if v.include["services"] {
		v.service(e, svc)
	} else {
		v.serviceRef(e, svc)
	}
	// PagerDuty clears assignments on resolution.
	e.Key("assignments")
	e.Array()
	if p.Status != StatusResolved {
		for _, id := range p.AssigneeIDs {
			u := v.d.users[id]
			e.Object()
			e.Key("at").Time(p.CreatedAt)
			e.Key("assignee")
			if v.include["assignees"] || v.include["users"] {
				v.user(e, u)
			} else {
				v.userRef(e, u)
			}
			e.EndObject()
		}
	}
	e.EndArray()
	e.Key("assigned_via").Str("escalation_policy")
	e.Key("last_status_change_at").Time(p.LastStatusChangeAt())
	e.Key("last_status_change_by")
	if p.Status != StatusTriggered && assignee != nil {
		v.userRef(e, assignee)
	} else {
		v.serviceRef(e, svc)
	}
	logID := p.ID[1:]
	e.Key("first_trigger_log_entry")
	e.Object()
	e.Key("id").Concat("R", logID)
	e.Key("type").Str("trigger_log_entry_reference")
	e.Key("summary").Str("Triggered through the API.")
	e.Key("self").Concat(v.api, "/log_entries/R", logID)
	e.Key("html_url").Concat(v.web, "/incidents/", p.ID, "/log_entries/R", logID)
	e.EndObject()
	e.Key("alert_counts")
	e.Object()
	if p.Status == StatusResolved {
		e.Key("all").Int(1)
		e.Key("triggered").Int(0)
		e.Key("resolved").Int(1)
	} else {
		e.Key("all").Int(1)
		e.Key("triggered").Int(1)
		e.Key("resolved").Int(0)
	}
	e.EndObject()
	e.Key("pending_actions").Raw("[]")
	e.Key("is_mergeable").Bool(p.MergedInto == "")
	e.Key("escalation_policy")
	v.escalationPolicyRef(e)
	v.teams(e, p.TeamIDs)
	e.Key("priority")
	if pr, ok := v.d.priorities[p.PriorityID]; ok {
		v.priority(e, pr)
	} else {
		e.Null()
	}
	e.Key("urgency").Str(p.Urgency)
	e.Key("acknowledgements")
	e.Array()
	if p.Status == StatusAcknowledged && assignee != nil {
		e.Object()
		e.Key("at").Time(p.AcknowledgedAt)
		e.Key("acknowledger")
		v.userRef(e, assignee)
		e.EndObject()
	}
	e.EndArray()
	// A merged incident names the incident it was merged into
	// (https://developer.pagerduty.com/api-reference/, the incident
	// object's resolve_reason; merge_resolve_reason is the only type).
	e.Key("resolve_reason")
	if t, ok := v.d.incidents[p.MergedInto]; ok {
		e.Object()
		e.Key("type").Str("merge_resolve_reason")
		e.Key("incident")
		var tnum [20]byte
		v.ref(e, t.ID, "incident_reference", "[#"+string(strconv.AppendInt(tnum[:0], int64(t.Number), 10))+"] "+t.Title, "incidents", "incidents")
		e.EndObject()
	} else {
		e.Null()
	}
	e.Key("resolved_at").Time(p.ResolvedAt)
	e.Key("alert_grouping").Null()
	e.Key("incidents_responders").Raw("[]")
	e.Key("responder_requests").Raw("[]")
	e.Key("subscriber_requests").Raw("[]")
	e.EndObject()
}

// listPage is what the pagination members of a list response report.
type listPage struct {
	limit, offset int
	more          bool
	total         int
	withTotal     bool // total was asked for; otherwise it is null
}

// listTail writes the classic pagination members of a list response.
func listTail(e *fakeapi.JSON, p listPage) {
	e.Key("limit").Int(int64(p.limit))
	e.Key("offset").Int(int64(p.offset))
	if p.withTotal {
		e.Key("total").Int(int64(p.total))
	} else {
		e.Key("total").Null()
	}
	e.Key("more").Bool(p.more)
}

// errorBody returns PagerDuty's error document.
func errorBody(code int, message string, errs []string) []byte {
	var e fakeapi.JSON
	e.Object()
	e.Key("error")
	e.Object()
	e.Key("message").Str(message)
	e.Key("code").Int(int64(code))
	if len(errs) > 0 {
		e.Key("errors")
		e.Array()
		for _, s := range errs {
			e.Str(s)
		}
		e.EndArray()
	}
	e.EndObject()
	e.EndObject()
	return e.Bytes()
}

package pagerdutyfake

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The server writes every document by hand with PagerDuty's field names,
// rather than by marshalling structs that mirror a client library: the fake
// must not inherit a client's idea of the API.

// enc appends JSON to a byte slice, placing commas itself.
type enc struct {
	b        []byte
	stack    []bool // per open object or array: has it a member yet?
	afterKey bool
}

func (e *enc) pre() {
	if e.afterKey {
		e.afterKey = false
		return
	}
	if n := len(e.stack); n > 0 {
		if e.stack[n-1] {
			e.b = append(e.b, ',')
		}
		e.stack[n-1] = true
	}
}

func (e *enc) beginObject() { e.pre(); e.b = append(e.b, '{'); e.stack = append(e.stack, false) }
func (e *enc) endObject()   { e.stack = e.stack[:len(e.stack)-1]; e.b = append(e.b, '}') }
func (e *enc) beginArray()  { e.pre(); e.b = append(e.b, '['); e.stack = append(e.stack, false) }
func (e *enc) endArray()    { e.stack = e.stack[:len(e.stack)-1]; e.b = append(e.b, ']') }

func (e *enc) key(k string) {
	e.pre()
	e.b = appendJSONString(e.b, k)
	e.b = append(e.b, ':')
	e.afterKey = true
}

func (e *enc) str(s string)   { e.pre(); e.b = appendJSONString(e.b, s) }
func (e *enc) int(n int64)    { e.pre(); e.b = strconv.AppendInt(e.b, n, 10) }
func (e *enc) boolean(v bool) { e.pre(); e.b = strconv.AppendBool(e.b, v) }
func (e *enc) null()          { e.pre(); e.b = append(e.b, "null"...) }

// time writes t in loc as RFC 3339 to the second ("2024-01-02T03:04:05Z"
// in UTC), or null when t is zero.
func (e *enc) time(t time.Time, loc *time.Location) {
	if t.IsZero() {
		e.null()
		return
	}
	e.pre()
	e.b = append(e.b, '"')
	e.b = t.In(loc).AppendFormat(e.b, time.RFC3339)
	e.b = append(e.b, '"')
}

// Shorthands for "key": value members.
func (e *enc) kstr(k, v string)                              { e.key(k); e.str(v) }
func (e *enc) kint(k string, v int64)                        { e.key(k); e.int(v) }
func (e *enc) kbool(k string, v bool)                        { e.key(k); e.boolean(v) }
func (e *enc) knull(k string)                                { e.key(k); e.null() }
func (e *enc) ktime(k string, t time.Time, l *time.Location) { e.key(k); e.time(t, l) }
func (e *enc) kemptyArray(k string)                          { e.key(k); e.beginArray(); e.endArray() }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// kcat writes a string member whose value is the concatenation of parts,
// without building the string first.
func (e *enc) kcat(k string, parts ...string) {
	e.key(k)
	e.pre()
	e.b = append(e.b, '"')
	for _, p := range parts {
		e.b = appendEscaped(e.b, p)
	}
	e.b = append(e.b, '"')
}

// appendEscaped appends the body of a JSON string holding s.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c >= 0x20:
				b = append(b, c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

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

const (
	escalationPolicyID   = "PDEFEP1"
	escalationPolicyName = "Default"
)

// ref writes a reference object: {id, type, summary, self, html_url}, with
// self at <api>/<collection>/<id> and html_url at <web>/<htmlCollection>/<id>.
func (v *view) ref(e *enc, id, typ, summary, collection, htmlCollection string) {
	e.beginObject()
	v.identity(e, id, typ, summary, collection, htmlCollection)
	e.endObject()
}

// identity writes the members every object and reference opens with: id,
// type, summary, self and html_url, as ref describes. An empty
// htmlCollection writes html_url null, for objects the web UI has no page
// for.
func (v *view) identity(e *enc, id, typ, summary, collection, htmlCollection string) {
	e.kstr("id", id)
	e.kstr("type", typ)
	e.kstr("summary", summary)
	e.kcat("self", v.api, "/", collection, "/", id)
	if htmlCollection == "" {
		e.knull("html_url")
		return
	}
	e.kcat("html_url", v.web, "/", htmlCollection, "/", id)
}

func (v *view) serviceRef(e *enc, s *Service) {
	v.ref(e, s.ID, "service_reference", s.Name, "services", "service-directory")
}

func (v *view) teamRef(e *enc, t *Team) {
	v.ref(e, t.ID, "team_reference", t.Name, "teams", "teams")
}

func (v *view) userRef(e *enc, u *User) {
	v.ref(e, u.ID, "user_reference", u.Name, "users", "users")
}

func (v *view) escalationPolicyRef(e *enc) {
	v.ref(e, escalationPolicyID, "escalation_policy_reference", escalationPolicyName, "escalation_policies", "escalation_policies")
}

// teams writes the "teams" member of a service or an incident: the known
// teams among ids, in full when include[]=teams asked for them, else as
// references.
func (v *view) teams(e *enc, ids []string) {
	e.key("teams")
	e.beginArray()
	for _, id := range ids {
		if t, ok := v.d.teams[id]; ok {
			if v.include["teams"] {
				v.team(e, t)
			} else {
				v.teamRef(e, t)
			}
		}
	}
	e.endArray()
}

// team writes a full team object.
func (v *view) team(e *enc, t *Team) {
	e.beginObject()
	v.identity(e, t.ID, "team", t.Name, "teams", "teams")
	e.kstr("name", t.Name)
	e.kstr("description", t.Description)
	e.kstr("default_role", "manager")
	e.knull("parent")
	e.endObject()
}

// user writes a full user object.
func (v *view) user(e *enc, u *User) {
	e.beginObject()
	v.identity(e, u.ID, "user", u.Name, "users", "users")
	e.kstr("name", u.Name)
	e.kstr("email", u.Email)
	e.kstr("time_zone", "Etc/UTC")
	e.kstr("color", "purple")
	e.kstr("role", "user")
	e.kstr("description", "")
	e.kbool("invitation_sent", false)
	e.kstr("job_title", "")
	e.kemptyArray("teams")
	e.kemptyArray("contact_methods")
	e.kemptyArray("notification_rules")
	e.endObject()
}

// priority writes a priority object; incidents embed it whole, as the API does.
func (v *view) priority(e *enc, p *Priority) {
	e.beginObject()
	v.identity(e, p.ID, "priority", p.Name, "priorities", "")
	e.kstr("name", p.Name)
	e.kstr("description", p.Description)
	e.kstr("color", p.Color)
	e.kint("order", int64(p.Order))
	e.kint("schema_version", 0)
	e.endObject()
}

// service writes a full service object.
func (v *view) service(e *enc, s *Service) {
	e.beginObject()
	v.identity(e, s.ID, "service", s.Name, "services", "service-directory")
	e.kstr("name", s.Name)
	e.kstr("description", s.Description)
	e.kint("auto_resolve_timeout", 14400)
	e.kint("acknowledgement_timeout", 1800)
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	e.ktime("created_at", created, v.loc)
	e.kstr("status", "active")
	var last time.Time
	if l := v.d.byService[s.ID]; len(l) > 0 {
		last = l[len(l)-1].CreatedAt
	}
	e.ktime("last_incident_timestamp", last, v.loc)
	e.kstr("alert_creation", "create_alerts_and_incidents")
	e.key("escalation_policy")
	v.escalationPolicyRef(e)
	e.knull("response_play")
	v.teams(e, s.TeamIDs)
	e.kemptyArray("integrations")
	e.key("incident_urgency_rule")
	e.beginObject()
	e.kstr("type", "constant")
	e.kstr("urgency", "high")
	e.endObject()
	e.knull("support_hours")
	e.kemptyArray("scheduled_actions")
	e.kemptyArray("addons")
	e.endObject()
}

// incident writes a full incident object.
func (v *view) incident(e *enc, p *Incident) {
	svc := v.d.services[p.ServiceID]
	var assignee *User
	if len(p.AssigneeIDs) > 0 {
		assignee = v.d.users[p.AssigneeIDs[0]]
	}
	e.beginObject()
	e.kstr("id", p.ID)
	e.kstr("type", "incident")
	var num [20]byte
	e.kcat("summary", "[#", string(strconv.AppendInt(num[:0], int64(p.Number), 10)), "] ", p.Title)
	e.kcat("self", v.api, "/incidents/", p.ID)
	e.kcat("html_url", v.web, "/incidents/", p.ID)
	e.kint("incident_number", int64(p.Number))
	e.kstr("title", p.Title)
	e.kstr("description", p.Title)
	e.ktime("created_at", p.CreatedAt, v.loc)
	e.ktime("updated_at", p.LastStatusChangeAt(), v.loc)
	e.kstr("status", p.Status)
	e.kstr("incident_key", p.IncidentKey)
	e.key("incident_type")
	e.beginObject()
	e.kstr("name", "incident_default")
	e.endObject()
	e.key("service")
	if v.include["services"] {
		v.service(e, svc)
	} else {
		v.serviceRef(e, svc)
	}
	// PagerDuty clears assignments on resolution.
	e.key("assignments")
	e.beginArray()
	if p.Status != StatusResolved {
		for _, id := range p.AssigneeIDs {
			u := v.d.users[id]
			e.beginObject()
			e.ktime("at", p.CreatedAt, v.loc)
			e.key("assignee")
			if v.include["assignees"] || v.include["users"] {
				v.user(e, u)
			} else {
				v.userRef(e, u)
			}
			e.endObject()
		}
	}
	e.endArray()
	e.kstr("assigned_via", "escalation_policy")
	e.ktime("last_status_change_at", p.LastStatusChangeAt(), v.loc)
	e.key("last_status_change_by")
	if p.Status != StatusTriggered && assignee != nil {
		v.userRef(e, assignee)
	} else {
		v.serviceRef(e, svc)
	}
	logID := p.ID[1:]
	e.key("first_trigger_log_entry")
	e.beginObject()
	e.kcat("id", "R", logID)
	e.kstr("type", "trigger_log_entry_reference")
	e.kstr("summary", "Triggered through the API.")
	e.kcat("self", v.api, "/log_entries/R", logID)
	e.kcat("html_url", v.web, "/incidents/", p.ID, "/log_entries/R", logID)
	e.endObject()
	e.key("alert_counts")
	e.beginObject()
	if p.Status == StatusResolved {
		e.kint("all", 1)
		e.kint("triggered", 0)
		e.kint("resolved", 1)
	} else {
		e.kint("all", 1)
		e.kint("triggered", 1)
		e.kint("resolved", 0)
	}
	e.endObject()
	e.kemptyArray("pending_actions")
	e.kbool("is_mergeable", true)
	e.key("escalation_policy")
	v.escalationPolicyRef(e)
	v.teams(e, p.TeamIDs)
	e.key("priority")
	if pr, ok := v.d.priorities[p.PriorityID]; ok {
		v.priority(e, pr)
	} else {
		e.null()
	}
	e.kstr("urgency", p.Urgency)
	e.key("acknowledgements")
	e.beginArray()
	if p.Status == StatusAcknowledged && assignee != nil {
		e.beginObject()
		e.ktime("at", p.AcknowledgedAt, v.loc)
		e.key("acknowledger")
		v.userRef(e, assignee)
		e.endObject()
	}
	e.endArray()
	e.knull("resolve_reason")
	e.ktime("resolved_at", p.ResolvedAt, v.loc)
	e.knull("alert_grouping")
	e.kemptyArray("incidents_responders")
	e.kemptyArray("responder_requests")
	e.kemptyArray("subscriber_requests")
	e.endObject()
}

// listPage is what the pagination members of a list response report.
type listPage struct {
	limit, offset int
	more          bool
	total         int
	withTotal     bool // total was asked for; otherwise it is null
}

// listTail writes the classic pagination members of a list response.
func listTail(e *enc, p listPage) {
	e.kint("limit", int64(p.limit))
	e.kint("offset", int64(p.offset))
	if p.withTotal {
		e.kint("total", int64(p.total))
	} else {
		e.knull("total")
	}
	e.kbool("more", p.more)
}

// errorBody returns PagerDuty's error document.
func errorBody(code int, message string, errs []string) []byte {
	var e enc
	e.beginObject()
	e.key("error")
	e.beginObject()
	e.kstr("message", message)
	e.kint("code", int64(code))
	if len(errs) > 0 {
		e.key("errors")
		e.beginArray()
		for _, s := range errs {
			e.str(s)
		}
		e.endArray()
	}
	e.endObject()
	e.endObject()
	return e.b
}

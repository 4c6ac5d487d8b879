package report

import (
	"fmt"
	"strings"
	"time"

	"doraflow/metrics"
)

// Entry is one object behind a report's numbers, as `doraflow explain
// failures` and `doraflow explain incidents` list it: a failed deployment
// or an incident. The caller fills Data.Failures and Data.Incidents from
// pipeline.Explain (cmd/doraflow does), so that the lists and the numbers
// come from the same metric events and add up.
type Entry struct {
	ID, Title string
	// URL links to the deployment or incident where it lives (GitHub,
	// PagerDuty, the URL a record gave); "" shows the id without a link.
	URL                  string
	Service, Environment string
	// At is when the deployment happened or the incident was opened.
	At time.Time
	// Because lists, for a failed deployment, the incidents attributed to
	// it, each with the reason ("i1 (explicit)").
	Because []string
	// DeploymentID and Reason say, for an incident, which deployment it
	// is attributed to and why ("explicit" or "window").
	DeploymentID, Reason string
	// ResolvedAt is when an incident was resolved, nil while it is open.
	ResolvedAt *time.Time
	// TimeToRestore is, in seconds, the time to restore of an incident
	// resolved in the window; nil otherwise.
	TimeToRestore *int64
	// Created and Restored say which number an incident counts in:
	// incidents (opened in the window), restored incidents (resolved in
	// it), or both.
	Created, Restored bool
}

// MaxListed is how many entries each list shows: a quarter of a large
// organisation can have hundreds of incidents, and a page that long is
// not read. The rest are counted and the page names the explain command
// that lists them all.
const MaxListed = 50

// list is one section of entries as the template shows it.
type list struct {
	Title, Summary string
	Failures       bool // failed deployments; incidents otherwise
	Rows           []listRow
	// More is how many entries are left out, and Command the explain
	// command that lists them all.
	More    int
	Command string
}

type listRow struct {
	ID, URL, Title, Service, Environment, At string
	// Cause says which incidents a failed deployment caused, or which
	// deployment an incident is attributed to and why.
	Cause         string
	Resolved, TTR string
	Counts        string
}

// newLists returns the sections of failed deployments and incidents of d.
func newLists(d *Data) []list {
	stamp := func(t time.Time) string { return t.In(d.Location).Format(metrics.StampLayout) }
	failures := list{
		Title:    "Failed deployments",
		Summary:  fmt.Sprintf("%s that caused an incident, behind the change failure rate.", metrics.Plural(len(d.Failures), "deployment")),
		Failures: true,
	}
	var opened, restored int
	for _, e := range d.Incidents {
		if e.Created {
			opened++
		}
		if e.Restored {
			restored++
		}
	}
	incidents := list{
		Title:   "Incidents",
		Summary: fmt.Sprintf("%s opened and %d resolved in the window, behind the incident count and time to restore.", metrics.Plural(opened, "incident"), restored),
	}
	for i, e := range d.Failures {
		if i == MaxListed {
			failures.More, failures.Command = len(d.Failures)-MaxListed, explainCommand("failures", d.Query)
			break
		}
		failures.Rows = append(failures.Rows, listRow{ID: e.ID, URL: e.URL, Title: e.Title, Service: e.Service, Environment: e.Environment,
			At: stamp(e.At), Cause: strings.Join(e.Because, ", ")})
	}
	for i, e := range d.Incidents {
		if i == MaxListed {
			incidents.More, incidents.Command = len(d.Incidents)-MaxListed, explainCommand("incidents", d.Query)
			break
		}
		r := listRow{ID: e.ID, URL: e.URL, Title: e.Title, Service: e.Service, Environment: e.Environment, At: stamp(e.At), Resolved: "open"}
		if e.DeploymentID != "" {
			r.Cause = e.DeploymentID + " (" + e.Reason + ")"
		}
		if e.ResolvedAt != nil {
			r.Resolved = stamp(*e.ResolvedAt)
		}
		if e.TimeToRestore != nil {
			s := float64(*e.TimeToRestore)
			r.TTR = metrics.Seconds(&s)
		}
		var counts []string
		if e.Created {
			counts = append(counts, "opened")
		}
		if e.Restored {
			counts = append(counts, "resolved")
		}
		r.Counts = strings.Join(counts, " and ")
		incidents.Rows = append(incidents.Rows, r)
	}
	return []list{failures, incidents}
}

// explainCommand returns the command that lists everything of subject
// what in q's window and filters.
func explainCommand(what string, q Query) string {
	when := func(t time.Time) string {
		t = t.In(q.Location)
		if midnight(t) {
			return t.Format("2006-01-02")
		}
		return t.Format(time.RFC3339)
	}
	cmd := "doraflow explain " + what + " --from " + when(q.From) + " --to " + when(q.To)
	for _, f := range [][2]string{{"service", q.Service}, {"team", q.Team}, {"environment", q.Environment}} {
		if f[1] != "" {
			cmd += " --" + f[0] + " " + shellQuote(f[1])
		}
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_.:/, so the command can be pasted as shown.
func shellQuote(s string) string {
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

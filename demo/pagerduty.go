package demo

import (
	"fmt"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty/pagerdutyfake"
)

// PagerDuty returns the simulated PagerDuty account: a service per
// simulated service and priorities P1 and P2, no incidents yet.
func PagerDuty() (*pagerdutyfake.Data, error) {
	d := pagerdutyfake.New()
	for _, svc := range Services {
		if err := d.AddService(pagerdutyfake.Service{ID: svc.PagerDutyServices[0], Name: svc.Name + " (PagerDuty)"}); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	for i, name := range []string{"P1", "P2"} {
		if err := d.AddPriority(pagerdutyfake.Priority{ID: fmt.Sprintf("PPRIO%02d", i+1), Name: name, Order: i}); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return d, nil
}

// duplicateAfter and mergeAfter place the duplicate page AddIncidents adds
// to an incident, and its merge, after the incident's creation.
const (
	duplicateAfter = time.Minute
	mergeAfter     = 3 * time.Minute
)

// AddIncidents opens the incidents in the PagerDuty account, each on its
// service's PagerDuty service; every fourth has no priority, as in real
// accounts. Every third, when resolved more than three minutes on (so the
// merge lies in the past), gets a duplicate page a minute after it that a
// responder merged into it, kept as PagerDuty keeps merges (resolved,
// still listed): the metrics must not count those.
func AddIncidents(d *pagerdutyfake.Data, incidents []doraflow.Incident) error {
	ids := map[string]string{}
	for _, svc := range Services {
		ids[svc.Name] = svc.PagerDutyServices[0]
	}
	for i, in := range incidents {
		pd := pagerdutyfake.Incident{
			Title: in.Title, Urgency: "high", CreatedAt: in.CreatedAt, ResolvedAt: in.ResolvedAt, ServiceID: ids[in.Service],
		}
		if i%4 != 3 {
			pd.PriorityID = fmt.Sprintf("PPRIO%02d", i%2+1)
		}
		added, err := d.AddIncident(pd)
		if err != nil {
			return fmt.Errorf("demo: incident %s: %w", in.ID, err)
		}
		mergedAt := in.CreatedAt.Add(mergeAfter)
		if i%3 != 2 || !in.ResolvedAt.After(mergedAt) {
			continue
		}
		dup := pd
		dup.CreatedAt, dup.ResolvedAt, dup.MergedInto = in.CreatedAt.Add(duplicateAfter), mergedAt, added.ID
		if _, err := d.AddIncident(dup); err != nil {
			return fmt.Errorf("demo: duplicate of incident %s: %w", in.ID, err)
		}
	}
	return nil
}

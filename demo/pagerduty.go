package demo

import (
	"fmt"

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

// AddIncidents opens the incidents in the PagerDuty account, each on its
// service's PagerDuty service; every fourth has no priority, as in real
// accounts.
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
		if _, err := d.AddIncident(pd); err != nil {
			return fmt.Errorf("demo: incident %s: %w", in.ID, err)
		}
	}
	return nil
}

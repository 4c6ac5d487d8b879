package demo

import (
	"fmt"

	"doraflow"
	"doraflow/extract/pagerduty/pagerdutyfake"
)

// PagerDutyServices maps each simulated service to its PagerDuty service id.
var PagerDutyServices = map[string]string{"api": "PAPI001", "web": "PWEB001", "payments": "PPAY001"}

// PagerDuty returns a PagerDuty account holding the simulated incidents,
// for the fake PagerDuty server: the demo reads them back through the real
// extractor. Every fourth incident has no priority, as in real accounts.
func PagerDuty(incidents []doraflow.Incident) (*pagerdutyfake.Data, error) {
	d := pagerdutyfake.New()
	for _, svc := range Services {
		if err := d.AddService(pagerdutyfake.Service{ID: PagerDutyServices[svc.Name], Name: svc.Name + " (PagerDuty)"}); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	for i, name := range []string{"P1", "P2"} {
		if err := d.AddPriority(pagerdutyfake.Priority{ID: fmt.Sprintf("PPRIO%02d", i+1), Name: name, Order: i}); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	for i, in := range incidents {
		pd := pagerdutyfake.Incident{
			Title: in.Title, Urgency: "high", CreatedAt: in.CreatedAt, ResolvedAt: in.ResolvedAt,
			ServiceID: PagerDutyServices[in.Service],
		}
		if i%4 != 3 {
			pd.PriorityID = fmt.Sprintf("PPRIO%02d", i%2+1)
		}
		if _, err := d.AddIncident(pd); err != nil {
			return nil, fmt.Errorf("demo: incident %s: %w", in.ID, err)
		}
	}
	return d, nil
}

package pagerduty

import "doraflow"

// Filter keys of PagerDuty blocks, as the config file spells them.
const (
	filterServices   = "services"
	filterUrgency    = "urgency"
	filterPriorities = "priorities"
	filterTeams      = "teams"
)

// Methods declares the method the PagerDuty extractor reads and its
// filters, in the order docs/configuration.md presents them.
func Methods() []doraflow.MethodSpec {
	return []doraflow.MethodSpec{
		{Method: doraflow.MethodPagerDuty, Source: doraflow.SourcePagerDuty, Kinds: []doraflow.Kind{doraflow.KindIncidents}, Filters: []doraflow.FilterSpec{
			{Key: filterServices, Type: doraflow.FilterList},
			{Key: filterUrgency, Values: []string{"high", "low"}},
			{Key: filterPriorities, Type: doraflow.FilterList},
			{Key: filterTeams, Type: doraflow.FilterList},
		}},
	}
}

package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"

	"doraflow"
)

// WatchBudgets shows the rate-limit budgets of a source's credentials on
// /metrics, read from budgets at every scrape:
// doraflow_api_budget_remaining, doraflow_api_budget_limit and
// doraflow_api_budget_reset_timestamp_seconds, labelled by source,
// credential ("token 1", "app installation 123": never the credential
// itself) and resource (GitHub: core, the REST API; graphql, points). A
// credential no answer has reported on yet is left out.
func (t *Telemetry) WatchBudgets(source string, budgets func() []doraflow.Budget) {
	if t == nil {
		return
	}
	t.Registry.MustRegister(&budgetCollector{source: source, budgets: budgets})
}

var (
	budgetRemaining = prometheus.NewDesc("doraflow_api_budget_remaining",
		"Requests left in the current rate-limit window, by source, credential and resource, as the source's last answer said.", []string{"source", "credential", "resource"}, nil)
	budgetLimit = prometheus.NewDesc("doraflow_api_budget_limit",
		"Requests (GraphQL: points) allowed per rate-limit window, by source, credential and resource.", []string{"source", "credential", "resource"}, nil)
	budgetReset = prometheus.NewDesc("doraflow_api_budget_reset_timestamp_seconds",
		"When the current rate-limit window ends (Unix time), by source, credential and resource.", []string{"source", "credential", "resource"}, nil)
)

// budgetCollector is the collector of WatchBudgets.
type budgetCollector struct {
	source  string
	budgets func() []doraflow.Budget
}

func (c *budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- budgetRemaining
	ch <- budgetLimit
	ch <- budgetReset
}

func (c *budgetCollector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.budgets() {
		if !b.Known {
			continue
		}
		ch <- prometheus.MustNewConstMetric(budgetRemaining, prometheus.GaugeValue, float64(b.Remaining), c.source, b.Label, b.Resource)
		ch <- prometheus.MustNewConstMetric(budgetLimit, prometheus.GaugeValue, float64(b.Limit), c.source, b.Label, b.Resource)
		ch <- prometheus.MustNewConstMetric(budgetReset, prometheus.GaugeValue, float64(b.Reset.Unix()), c.source, b.Label, b.Resource)
	}
}

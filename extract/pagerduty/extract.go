package pagerduty

import (
	"context"

	"doraflow"
)

// Extract reads one block for the pipeline (doraflow.Extractor): the
// incidents created in the extraction's window, and in a sync also the
// incidents the facts still hold as open, wherever they lie in time, so
// that a resolution (or a merge) is not missed. Open incidents PagerDuty
// no longer knows are logged; their facts are kept.
func (s *Source) Extract(ctx context.Context, x doraflow.Extraction) (doraflow.ExtractStats, error) {
	sink := func(ctx context.Context, batch []Incident) error {
		return x.Sink(ctx, doraflow.FactSet{Incidents: rows(batch)})
	}
	read, err := s.Read(ctx, x.Block, x.Since, x.Until, sink)
	if err != nil || !x.Sync {
		return doraflow.ExtractStats{Requests: read.Requests}, err
	}
	open, err := x.Known.OpenIncidents(ctx)
	if err != nil || len(open) == 0 {
		return doraflow.ExtractStats{Requests: read.Requests}, err
	}
	refreshed, err := s.Refresh(ctx, x.Block, open, sink)
	if len(refreshed.Missing) > 0 {
		s.log.Warn().Str("block", x.Block.Name).Strs("incidents", refreshed.Missing).Msg("PagerDuty no longer knows these open incidents; their facts are kept")
	}
	return doraflow.ExtractStats{Requests: read.Requests + refreshed.Requests}, err
}

// rows returns the doraflow incidents of batch, with their PagerDuty
// service, which the pipeline maps to a doraflow service.
func rows(batch []Incident) []doraflow.Incident {
	out := make([]doraflow.Incident, len(batch))
	for i, in := range batch {
		out[i] = in.Incident
		out[i].SourceService, out[i].SourceServiceName = in.ServiceID, in.ServiceName
	}
	return out
}

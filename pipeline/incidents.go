package pipeline

import (
	"context"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty"
)

// pagerdutyReader reads PagerDuty's blocks for the pipeline.
type pagerdutyReader struct {
	p   *Pipeline
	src IncidentSource
}

// read reads a PagerDuty block's incidents created in [since,
// until), with refreshOpen re-reads the incidents still open at the last
// sync so that a resolution is not missed, and stages them with their
// doraflow service.
func (r pagerdutyReader) read(ctx context.Context, b doraflow.Block, since, until time.Time, refreshOpen bool, w *pass) (int, error) {
	p := r.p
	sink := func(ctx context.Context, batch []pagerduty.Incident) error {
		rows := make([]doraflow.Incident, len(batch))
		for i, in := range batch {
			rows[i] = in.Incident
			rows[i].Block = b.Name
			rows[i].Service = p.catalog.ServiceForPagerDuty(b.Service, in.ServiceID, in.ServiceName)
			rows[i].Team = p.catalog.TeamOf(rows[i].Service)
		}
		if err := w.fence(ctx); err != nil {
			return err
		}
		if err := p.store.StageIncidents(ctx, rows); err != nil {
			return err
		}
		w.res.Incidents += len(rows)
		p.telemetry.staged("incidents", len(rows))
		return nil
	}
	read, err := r.src.Read(ctx, b, since, until, sink)
	if err != nil || !refreshOpen {
		return read.Requests, err
	}
	open, err := p.store.OpenIncidents(ctx, doraflow.SourcePagerDuty)
	if err != nil || len(open) == 0 {
		return read.Requests, err
	}
	refreshed, err := r.src.Refresh(ctx, b, open, sink)
	if len(refreshed.Missing) > 0 {
		p.log.Warn().Str("block", b.Name).Strs("incidents", refreshed.Missing).Msg("PagerDuty no longer knows these open incidents; their facts are kept")
	}
	return read.Requests + refreshed.Requests, err
}

package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"doraflow"
)

// The settings of the config that shape the facts and metric events, by
// the name a message gives them. Promote records them (statekeys.go:
// promote/rules) once the events follow them, and rebuilds when they
// differ; readers warn while they differ.
const (
	settingTimezone    = "timezone"
	settingAttribution = "attribution.window"
	settingRework      = "rework.labels"
	settingServices    = "services"
	settingBlocks      = "blocks"
)

// shapeSettings lists the settings in the order messages name them.
var shapeSettings = []string{settingTimezone, settingAttribution, settingRework, settingServices, settingBlocks}

// shapeVersion starts the recorded value; a value without it was recorded
// by an older doraflow (the v1 rules hash) and is taken as differing in
// every setting.
const shapeVersion = "v2"

// shape is what the stored facts and events were built from: a value per
// setting. The time zone and attribution window are kept readable (SQL
// users can read them in pipeline_state); lists are hashed.
type shape map[string]string

// shape returns the shape of the pipeline's config.
func (p *Pipeline) shape() shape {
	r := p.rules()
	loc := "UTC"
	if r.Location != nil {
		loc = r.Location.String()
	}
	labels := make([]string, len(r.ReworkLabels))
	for i, l := range r.ReworkLabels {
		labels[i] = strings.ToLower(l)
	}
	sort.Strings(labels)
	// Block order decides which block keeps an object matched by several
	// (promote); a block's name is stored with its facts, its method says
	// which source reads it, and its service override tags what it finds.
	// Filters and repositories only decide what is read next, so they are
	// left out: changing them changes no stored row.
	type block struct{ Name, Method, Service string }
	var blocks []block
	for _, b := range slices.Concat(p.cfg.Deployments, p.cfg.Incidents) {
		blocks = append(blocks, block{b.Name, string(b.Method), b.Service})
	}
	return shape{
		settingTimezone:    loc,
		settingAttribution: r.AttributionWindow.String(),
		settingRework:      digest(labels),
		// In config order: the first service whose globs match wins.
		settingServices: digest(p.cfg.Services),
		settingBlocks:   digest(blocks),
	}
}

// digest is a short hash of v's JSON form.
func digest(v any) string {
	// Only strings, and slices and structs of strings, are hashed: they
	// always encode.
	raw, _ := json.Marshal(v)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// String is the recorded form: "v2;timezone=…;attribution.window=…;…".
func (s shape) String() string {
	parts := []string{shapeVersion}
	for _, k := range shapeSettings {
		parts = append(parts, k+"="+s[k])
	}
	return strings.Join(parts, ";")
}

// parseShape reads a recorded shape; ok is false for a value from an
// older doraflow.
func parseShape(v string) (s shape, ok bool) {
	parts := strings.Split(v, ";")
	if parts[0] != shapeVersion {
		return nil, false
	}
	s = shape{}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		s[k] = val
	}
	return s, true
}

// changedSince lists the settings in which s differs from the recorded
// value, in the order of shapeSettings: none when recorded is "" (nothing
// was ever promoted, so nothing was built from another config), all when
// an older doraflow recorded it.
func (s shape) changedSince(recorded string) []string {
	if recorded == "" {
		return nil
	}
	old, ok := parseShape(recorded)
	var changed []string
	for _, k := range shapeSettings {
		if !ok || old[k] != s[k] {
			changed = append(changed, k)
		}
	}
	return changed
}

// StaleSettings returns the settings of the config that differ from those
// the stored facts and metric events were built from (timezone,
// attribution.window, rework.labels, services, blocks), none when they
// agree. Until a promote (or a sync, or the daemon's next sync) rebuilds
// them, the metrics, explain, the report and the SQL views read numbers
// of the old config. It only reads.
func (p *Pipeline) StaleSettings(ctx context.Context) ([]string, error) {
	recorded, _, err := p.store.State(ctx, rulesStateKey)
	if err != nil {
		return nil, fmt.Errorf("read what the metric events were built from: %w", err)
	}
	return p.shape().changedSince(recorded), nil
}

// StaleWarning is the one line a reader prints when changed (from
// StaleSettings) is not empty.
func StaleWarning(changed []string) string {
	return fmt.Sprintf("warning: the config changed since the metric events were built (%s); these numbers follow the old config: run `doraflow promote`", strings.Join(changed, ", "))
}

// reshapes reports whether changed includes settings that change stored
// facts (which block keeps an object; services and teams), not only the
// events derived from them.
func reshapes(changed []string) bool {
	return slices.Contains(changed, settingServices) || slices.Contains(changed, settingBlocks)
}

// retag stages again, with the service and team the config now gives
// them, the deployment and incident facts of services whose tags differ;
// the promote that follows makes them facts. A GitHub deployment's
// service follows its block's override, else the services: globs of its
// repository; a PagerDuty incident's its block's override, else the
// services: entry listing its PagerDuty service (an incident stored
// before doraflow kept that service, migration 0014, follows only the
// override until a sync or backfill reads it again); a custom
// record keeps the service it was recorded with. Every team follows its
// service. Facts of a block no longer in the config keep their service.
func (p *Pipeline) retag(ctx context.Context, check func(context.Context) error, services []string) (int, error) {
	blocks := map[string]doraflow.Block{}
	for _, b := range slices.Concat(p.cfg.Deployments, p.cfg.Incidents) {
		blocks[b.Name] = b
	}
	batches, err := p.serviceBatches(ctx, services)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, batch := range batches {
		facts, err := p.store.ServiceFacts(ctx, batch)
		if err != nil {
			return n, err
		}
		var deps []doraflow.Deployment
		for _, d := range facts.Deployments {
			svc := d.Service
			if b, ok := blocks[d.Block]; ok && d.Source == doraflow.SourceGitHub {
				svc = p.catalog.ServiceForRepository(b.Service, d.Repository)
			}
			if team := p.catalog.TeamOf(svc); svc != d.Service || team != d.Team {
				d.Service, d.Team = svc, team
				deps = append(deps, d)
			}
		}
		var incs []doraflow.Incident
		for _, in := range facts.Incidents {
			svc := in.Service
			// Incidents stored before doraflow kept their source's service
			// (0014) can follow only a block's override.
			b, ok := blocks[in.Block]
			switch {
			case !ok || in.Source == doraflow.SourceCustom:
			case in.SourceService != "" || in.SourceServiceName != "":
				svc = p.catalog.ServiceForPagerDuty(b.Service, in.SourceService, in.SourceServiceName)
			case b.Service != "":
				svc = b.Service
			}
			if team := p.catalog.TeamOf(svc); svc != in.Service || team != in.Team {
				in.Service, in.Team = svc, team
				incs = append(incs, in)
			}
		}
		if len(deps) > 0 {
			if err := check(ctx); err != nil {
				return n, err
			}
			if err := p.store.StageDeployments(ctx, deps); err != nil {
				return n, err
			}
		}
		if len(incs) > 0 {
			if err := check(ctx); err != nil {
				return n, err
			}
			if err := p.store.StageIncidents(ctx, incs); err != nil {
				return n, err
			}
		}
		n += len(deps) + len(incs)
	}
	return n, nil
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"doraflow"
)

// previewMatches is how many matches a PreviewResult shows.
const previewMatches = 10

// ErrUnknownBlock means Preview was asked for a block the config does not
// have; the error names the blocks it has.
var ErrUnknownBlock = errors.New("no such block")

// ErrNotConfigured means the block's source is not configured; the error
// says what to set.
var ErrNotConfigured = errors.New("source not configured")

// ErrNothingToPreview means the block reads no source (method custom):
// what it matches is recorded, so there is nothing to read ahead of time.
var ErrNothingToPreview = errors.New("nothing to preview")

// Funnel is what a block's filters did to the objects its source listed:
// Listed objects in the window, what each filter removed (the first that
// failed), in the block's order, and how many Matched.
type Funnel struct {
	Listed  int
	Filters []FilterCount
	Matched int
}

// FilterCount is one filter of a Funnel and how many objects it removed.
type FilterCount struct {
	Filter  string // what it removes, e.g. "without label deploy"
	Removed int
}

// funnelRecorder implements doraflow.Funnel; GitHub
// calls it from several repositories at once.
type funnelRecorder struct {
	mu sync.Mutex
	f  Funnel
}

func (r *funnelRecorder) Filter(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.Filters = append(r.f.Filters, FilterCount{Filter: name})
}

func (r *funnelRecorder) Listed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.Listed++
}

func (r *funnelRecorder) Removed(filter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.IndexFunc(r.f.Filters, func(c FilterCount) bool { return c.Filter == filter }); i >= 0 {
		r.f.Filters[i].Removed++
		return
	}
	// A removal the extractor did not declare still shows.
	r.f.Filters = append(r.f.Filters, FilterCount{Filter: filter, Removed: 1})
}

// Overlap is an earlier block of the same list and source that matches
// some of the previewed block's objects: the earlier block wins them.
type Overlap struct {
	Block  string
	Shared int
}

// PreviewResult is what Preview found for one block.
type PreviewResult struct {
	Block  doraflow.Block
	Kind   string // "deployments" or "incidents"
	Since  time.Time
	Until  time.Time
	Funnel Funnel
	// Matches are the first matches, oldest first (at most 10).
	Matches []doraflow.Match
	// Overlaps are the earlier blocks claiming some of the matches, in
	// config order.
	Overlaps []Overlap
}

// Preview reads one GitHub or PagerDuty block for the last days days
// without storing anything: the source's funnel, the first matches, and
// the earlier blocks of the same list and source that claim some of the
// same objects (promotion keeps the first block that matched an object).
// Its errors do not start with "preview:": the callers (doraflow preview,
// and config add-*, which previews the block it added) say what failed.
func (p *Pipeline) Preview(ctx context.Context, blockName string, days int) (PreviewResult, error) {
	if days <= 0 {
		return PreviewResult{}, fmt.Errorf("days %d: must be at least 1", days)
	}
	until := p.now().UTC()
	since := until.Add(-time.Duration(days) * 24 * time.Hour)
	list, kind, i := p.findBlock(blockName)
	if i < 0 {
		return PreviewResult{}, fmt.Errorf("%w %q: %s", ErrUnknownBlock, blockName, p.blockList())
	}
	b := list[i]
	res := PreviewResult{Block: b, Kind: kind, Since: since, Until: until}
	ids, err := p.previewBlock(ctx, b, since, until, &res)
	if err != nil {
		return res, err
	}
	for _, earlier := range list[:i] {
		// Object ids name their kind (owner/repo#pr-N, #run-ID…): only a
		// block of the same method can claim the same objects.
		if earlier.Method != b.Method {
			continue
		}
		theirs, err := p.previewBlock(ctx, earlier, since, until, nil)
		if err != nil {
			return res, fmt.Errorf("earlier block %s: %w", earlier.Name, err)
		}
		shared := 0
		for id := range theirs {
			if ids[id] {
				shared++
			}
		}
		if shared > 0 {
			res.Overlaps = append(res.Overlaps, Overlap{Block: earlier.Name, Shared: shared})
		}
	}
	return res, nil
}

// findBlock returns the list holding the named block, its kind, and its
// index there (-1 when neither list has it).
func (p *Pipeline) findBlock(name string) ([]doraflow.Block, string, int) {
	for _, l := range []struct {
		blocks []doraflow.Block
		kind   string
	}{{p.cfg.Deployments, "deployments"}, {p.cfg.Incidents, "incidents"}} {
		if i := slices.IndexFunc(l.blocks, func(b doraflow.Block) bool { return b.Name == name }); i >= 0 {
			return l.blocks, l.kind, i
		}
	}
	return nil, "", -1
}

// blockList says which blocks the config has, for an unknown block's
// error.
func (p *Pipeline) blockList() string {
	names := p.blockOrder()
	if len(names) == 0 {
		return "the config has no mapping blocks"
	}
	return "the config's blocks are " + strings.Join(names, ", ")
}

// previewBlock previews b through its source and returns the ids it
// matched; with res set it also fills res's funnel and first matches.
func (p *Pipeline) previewBlock(ctx context.Context, b doraflow.Block, since, until time.Time, res *PreviewResult) (map[string]bool, error) {
	x, ok, err := p.extractorOf(b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("block %s has method %s: %w: what it matches is recorded (doraflow record or the HTTP API), not read from GitHub or PagerDuty", b.Name, b.Method, ErrNothingToPreview)
	}
	rec := &funnelRecorder{}
	matches, err := x.Preview(ctx, b, since, until, rec)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(matches))
	for _, m := range matches {
		ids[m.ID] = true
	}
	if res != nil {
		rec.f.Matched = len(matches)
		res.Funnel = rec.f
		res.Matches = matches[:min(len(matches), previewMatches)]
	}
	return ids, nil
}

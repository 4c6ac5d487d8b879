package pipeline

import (
	"context"
	"strings"

	"doraflow/load/clickhouse"
)

// ETags keeps the GitHub extractor's conditional-request state in
// pipeline_state (keys "etag/…"), so that unchanged pages cost a free 304
// on the next run of any process. It implements github.ETagStore.
type ETags struct{ extractorState }

// NewETags returns the ETag store of a database.
func NewETags(store *clickhouse.Store) *ETags {
	return &ETags{extractorState{store: store, prefix: etagPrefix}}
}

// Pending keeps the runs and deployments the GitHub extractor checks
// again at later syncs (keys "pending/…"): those that were waiting for an
// approval, in progress or not yet successful when read. It implements
// github.PendingStore.
type Pending struct{ extractorState }

// NewPending returns the pending store of a database.
func NewPending(store *clickhouse.Store) *Pending {
	return &Pending{extractorState{store: store, prefix: pendingPrefix}}
}

// extractorState is an extractor's opaque key/value state under one
// prefix of pipeline_state. pipeline_state keeps every key it was given
// (a ReplacingMergeTree deletes nothing), so an empty value stands for a
// forgotten key and Load leaves it out.
type extractorState struct {
	store  *clickhouse.Store
	prefix string
}

// Load returns the values whose keys start with prefix, without the
// forgotten ones.
func (e extractorState) Load(ctx context.Context, prefix string) (map[string]string, error) {
	entries, err := e.store.StatePrefix(ctx, e.prefix+prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(entries))
	for _, en := range entries {
		if en.Value != "" {
			out[strings.TrimPrefix(en.Key, e.prefix)] = en.Value
		}
	}
	return out, nil
}

// Save stores values ("" forgets a key); the extractor calls it only once
// the items they describe are staged.
func (e extractorState) Save(ctx context.Context, values map[string]string) error {
	prefixed := make(map[string]string, len(values))
	for k, v := range values {
		prefixed[e.prefix+k] = v
	}
	return e.store.SetState(ctx, prefixed)
}

package pipeline

import (
	"context"
	"strings"

	"doraflow/load/clickhouse"
)

// ETags keeps the GitHub extractor's conditional-request state in
// pipeline_state (keys "etag/…"), so that unchanged pages cost a free 304
// on the next run of any process. It implements github.ETagStore.
type ETags struct {
	store *clickhouse.Store
}

// NewETags returns the ETag store of a database.
func NewETags(store *clickhouse.Store) *ETags { return &ETags{store: store} }

// Load returns the values whose keys start with prefix.
func (e *ETags) Load(ctx context.Context, prefix string) (map[string]string, error) {
	entries, err := e.store.StatePrefix(ctx, etagPrefix+prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(entries))
	for _, en := range entries {
		out[strings.TrimPrefix(en.Key, etagPrefix)] = en.Value
	}
	return out, nil
}

// Save stores values; the extractor calls it only once the pages' items
// are staged.
func (e *ETags) Save(ctx context.Context, values map[string]string) error {
	prefixed := make(map[string]string, len(values))
	for k, v := range values {
		prefixed[etagPrefix+k] = v
	}
	return e.store.SetState(ctx, prefixed)
}

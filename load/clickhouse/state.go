package clickhouse

import (
	"context"
	"fmt"
)

// State reads a value of the pipeline_state table; ok is false when the
// key was never written.
func (s *Store) State(ctx context.Context, key string) (value string, ok bool, err error) {
	var n uint64
	row := s.conn.QueryRow(ctx, "SELECT argMax(value, version), count() FROM pipeline_state WHERE key = ?", key)
	if err := row.Scan(&value, &n); err != nil {
		return "", false, fmt.Errorf("read state %s: %w", key, err)
	}
	return value, n > 0, nil
}

// SetState writes values of the pipeline_state table in one insert. Call
// it only after the work the values record has succeeded.
func (s *Store) SetState(ctx context.Context, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO pipeline_state (key, value, version)")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	v := s.NextVersion()
	for k, val := range values {
		if err := b.Append(k, val, v); err != nil {
			_ = b.Abort()
			return fmt.Errorf("write state %s: %w", k, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

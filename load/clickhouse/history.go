package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"doraflow"
)

// PreviousSHA returns the sha of the latest successful deployment of repo
// to environment before before, merged-PR deployments aside; ok is false
// when there is none.
func (s *Store) PreviousSHA(ctx context.Context, repo, environment string, before time.Time) (sha string, ok bool, err error) {
	err = s.each(ctx, "previous_sha", func(r driver.Rows) error {
		ok = true
		return r.Scan(&sha)
	}, ch.Named("repo", repo), ch.Named("environment", environment), ch.Named("before", dateTimeValue(before)))
	if err != nil {
		return "", false, fmt.Errorf("previous deployment of %s to %s: %w", repo, environment, err)
	}
	return sha, ok, nil
}

// UnshippedCustom returns up to limit successful custom deployments with a
// repository and sha whose shipped changes were never looked up.
func (s *Store) UnshippedCustom(ctx context.Context, limit int) ([]doraflow.Deployment, error) {
	var out []doraflow.Deployment
	err := s.each(ctx, "unshipped_custom", func(r driver.Rows) error {
		var d doraflow.Deployment
		if err := r.Scan(&d.ID, &d.Repository, &d.Environment, &d.SHA, &d.DeployedAt); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, ch.Named("limit", limit))
	return out, err
}

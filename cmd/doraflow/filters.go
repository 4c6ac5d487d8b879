package main

import (
	"context"
	"doraflow"
	"fmt"
	"slices"
	"strings"

	"doraflow/config"
	"doraflow/load/clickhouse"
)

// checkFilters makes an unknown --service or --team a usage error rather
// than an empty answer, the same in every command that reads the
// metrics (metrics, explain, report): "no data" for a typo reads as a
// real zero. A name is known when the config lists it or the store has
// data for it, whatever the window. Empty filters are not checked.
func checkFilters(ctx context.Context, cmd string, store *clickhouse.Store, cfg *config.Config, service, team string) error {
	if service != "" {
		known, err := store.AllServices(ctx)
		if err != nil {
			return err
		}
		for _, s := range cfg.Services {
			known = append(known, s.Name)
		}
		if err := checkKnown(cmd, "service", service, known); err != nil {
			return err
		}
	}
	if team != "" {
		known, err := store.AllTeams(ctx)
		if err != nil {
			return err
		}
		for _, s := range cfg.Services {
			known = append(known, s.Team)
		}
		if err := checkKnown(cmd, "team", team, known); err != nil {
			return err
		}
	}
	return nil
}

// checkKnown returns a usage error naming the known values and the
// nearest one when name is not among them.
func checkKnown(cmd, what, name string, known []string) error {
	known = slices.DeleteFunc(known, func(s string) bool { return s == "" })
	slices.Sort(known)
	known = slices.Compact(known)
	if slices.Contains(known, name) {
		return nil
	}
	if len(known) == 0 {
		return usageErr("%s: unknown %s %q: the config lists no %ss and there is no data yet", cmd, what, name, what)
	}
	hint := ""
	if s := doraflow.Nearest(name, known); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return usageErr("%s: unknown %s %q%s: it is neither in the config nor in the data; known: %s", cmd, what, name, hint, strings.Join(known, ", "))
}

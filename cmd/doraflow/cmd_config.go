package main

import (
	"context"
	"errors"
	"fmt"

	"doraflow/config"
)

func cmdConfig(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageErr("config: say what to do: 'doraflow config validate'")
	}
	switch args[0] {
	case "validate":
		return configValidate(e, args[1:])
	}
	return usageErr("config: unknown subcommand %q: use validate", args[0])
}

func configValidate(e *env, args []string) error {
	fs := e.flags("config validate", "config validate")
	verbose := fs.Bool("v", false, "also print the effective config (secrets redacted)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		var problems *config.Errors
		if errors.As(err, &problems) {
			fmt.Fprintln(e.stderr, problems.Error())
			return &exitError{code: 2, err: fmt.Errorf("%d problem(s) in the config", len(problems.Problems))}
		}
		return err
	}
	where := cfg.Path
	if where == "" {
		where = "no config file found; the defaults"
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d deployment blocks, %d incident blocks, %d services)\n", where, len(cfg.Deployments), len(cfg.Incidents), len(cfg.Services))
	if *verbose {
		fmt.Fprint(e.stdout, cfg.Redacted())
	}
	return nil
}

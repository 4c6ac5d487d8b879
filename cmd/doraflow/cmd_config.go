package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"doraflow"
	"doraflow/config"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

func cmdConfig(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return e.groupUsage("config", []subcommand{
			{"validate", "check the config file and say what is wrong, where"},
			{"add-deployment", "append a deployment mapping block, keeping the file's comments"},
			{"add-incident", "append an incident mapping block, keeping the file's comments"},
		})
	}
	if len(args) == 0 {
		return usageErr("config: say what to do: 'doraflow config validate'")
	}
	switch args[0] {
	case "validate":
		return configValidate(e, args[1:])
	case "add-deployment":
		return configAdd(ctx, e, config.Deployments, args[1:])
	case "add-incident":
		return configAdd(ctx, e, config.Incidents, args[1:])
	}
	return usageErr("config: unknown subcommand %q: use validate, add-deployment or add-incident", args[0])
}

// filterFlags collects repeated --filter KEY=VALUE flags.
type filterFlags []config.KeyValue

func (f *filterFlags) String() string { return "" }

func (f *filterFlags) Set(s string) error {
	kv, err := config.ParseKeyValue(s)
	if err != nil {
		return err
	}
	*f = append(*f, kv)
	return nil
}

func configAdd(ctx context.Context, e *env, kind string, args []string) error {
	name := "config add-deployment"
	synopsis := name + " --name N --method M [--repositories G,G…] [--environment E] [--service S] [--filter KEY=VALUE …]"
	if kind == config.Incidents {
		name = "config add-incident"
		synopsis = name + " --name N --method M [--service S] [--filter KEY=VALUE …]"
	}
	fs := e.flags(name, synopsis)
	var spec config.BlockSpec
	var method, repos string
	var filters filterFlags
	fs.StringVar(&spec.Name, "name", "", "name of the new block (required, unique)")
	fs.StringVar(&method, "method", "", "method of the block (required)")
	if kind == config.Deployments {
		fs.StringVar(&repos, "repositories", "", "owner/name globs, comma-separated")
		fs.StringVar(&spec.Environment, "environment", "", "environment (default production)")
	}
	fs.StringVar(&spec.Service, "service", "", "service, overriding the services: lookup")
	fs.Var(&filters, "filter", "a filter of the method, KEY=VALUE; repeat it; lists comma-separated")
	noPreview := fs.Bool("no-preview", false, "do not preview what the block matches")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if spec.Name == "" || method == "" {
		return usageErr("%s: --name and --method are required", name)
	}
	spec.Method, spec.Filters = doraflow.Method(method), filters
	if repos != "" {
		spec.Repositories = config.SplitList(repos)
	}
	path := e.configFile()
	if err := config.AddBlock(path, kind, spec, sources.Registry()); err != nil {
		var problems *config.Errors
		if errors.As(err, &problems) {
			fmt.Fprintln(e.stderr, problems.Error())
			return &exitError{code: 2, err: fmt.Errorf("%s: the block was not added; %s is unchanged", name, path)}
		}
		return &exitError{code: 2, err: err}
	}
	fmt.Fprintf(e.stdout, "added %s block %q (method %s) to %s\n", strings.TrimSuffix(kind, "s"), spec.Name, method, path)
	if !*noPreview {
		e.previewAdded(ctx, spec.Name)
	}
	return nil
}

// previewAdded prints the preview of a block just added. The block is in
// the file whatever happens here, so a preview that cannot run is one
// line saying why, never a failure of the add.
func (e *env) previewAdded(ctx context.Context, block string) {
	cfg, err := e.loadConfig()
	if err == nil {
		var res pipeline.PreviewResult
		if res, err = e.preview(ctx, cfg, block, defaultPreviewDays); err == nil {
			printPreview(e.stdout, res)
			return
		}
	}
	if errors.Is(err, pipeline.ErrNothingToPreview) {
		// A custom block: nothing went wrong, so no "skipped".
		fmt.Fprintln(e.stdout, "no preview: a custom block matches what is recorded (doraflow record or the HTTP API), not what a source lists")
		return
	}
	fmt.Fprintf(e.stdout, "preview skipped: %v\n", err)
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
			return &exitError{code: 2, err: fmt.Errorf("%s in the config", metrics.Plural(len(problems.Problems), "problem"))}
		}
		return err
	}
	where := cfg.Path
	if where == "" {
		where = "no config file found; the defaults"
	}
	// Warnings go to stderr and leave the exit status 0: the file works
	// as written, it just will not count what its author means.
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(e.stderr, w.Warning())
	}
	fmt.Fprintf(e.stdout, "%s: ok (%s, %s, %s)\n", where, metrics.Plural(len(cfg.Deployments), "deployment block"),
		metrics.Plural(len(cfg.Incidents), "incident block"), metrics.Plural(len(cfg.Services), "service"))
	if *verbose {
		fmt.Fprint(e.stdout, cfg.Redacted())
	}
	return nil
}

package main

import (
	"fmt"
	"strings"
)

// isHelp reports whether arg asks for help the way the flag package
// understands it, so that a command with subcommands answers `--help`
// as a command with flags does: usage on stdout, exit status 0.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// subcommand is one line of a command group's usage.
type subcommand struct{ name, what string }

// groupUsage prints the usage of a command that takes a subcommand
// (config, explain, record) to stdout: help that was asked for is output,
// not an error.
func (e *env) groupUsage(group string, subs []subcommand) error {
	names := make([]string, len(subs))
	width := 0
	for i, s := range subs {
		names[i] = s.name
		width = max(width, len(s.name))
	}
	fmt.Fprintf(e.stdout, "Usage: doraflow %s %s [flags]\n\nSubcommands:\n", group, strings.Join(names, "|"))
	for _, s := range subs {
		fmt.Fprintf(e.stdout, "  %-*s  %s\n", width, s.name, s.what)
	}
	fmt.Fprintf(e.stdout, "\nRun 'doraflow %s SUBCOMMAND --help' for its flags.\n", group)
	return nil
}

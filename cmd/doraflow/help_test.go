package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpExitsZero asks every command and subcommand for --help: each
// prints its usage on stdout, nothing on stderr, and exits 0. It needs
// no config and no ClickHouse.
func TestHelpExitsZero(t *testing.T) {
	var lines [][]string
	for _, c := range commands() {
		lines = append(lines, []string{c.name, "--help"})
	}
	for _, sub := range [][]string{
		{"explain", "deployments"}, {"explain", "changes"}, {"explain", "failures"}, {"explain", "incidents"}, {"explain", "rework"},
		{"record", "deployment"}, {"record", "incident"}, {"record", "delete"}, {"record", "delete", "deployment"},
		{"config", "validate"}, {"config", "add-deployment"}, {"config", "add-incident"},
	} {
		lines = append(lines, append(sub, "--help"), append(sub, "-h"))
	}
	lines = append(lines, []string{"explain", "-h"}, []string{"record", "-help"}, []string{"config", "-h"})
	if want := len(commands()) + 27; len(lines) != want {
		t.Fatalf("%d command lines, want %d", len(lines), want)
	}
	for _, args := range lines {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runEnv(context.Background(), &env{stdout: &out, stderr: &errOut, getenv: noEnv}, args)
			if code != 0 {
				t.Fatalf("exit %d, want 0\nstderr: %s", code, errOut.String())
			}
			want := "Usage: doraflow " + strings.Join(args[:len(args)-1], " ")
			if !strings.HasPrefix(out.String(), want) {
				t.Errorf("stdout starts %q, want %q", firstLine(out.String()), want)
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", errOut.String())
			}
		})
	}
}

// TestGroupHelpOutput compares the usage of the commands that take a
// subcommand with their golden files.
func TestGroupHelpOutput(t *testing.T) {
	for _, group := range []string{"explain", "record", "config"} {
		t.Run(group, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := []string{group, "--help"}
			code := runEnv(context.Background(), &env{stdout: &out, stderr: &errOut, getenv: noEnv}, args)
			checkGolden(t, filepath.Join("testdata", "help", group+".golden"), transcript(args, code, out.String(), errOut.String()))
		})
	}
}

// noEnv is an environment with no variables set.
func noEnv(string) (string, bool) { return "", false }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

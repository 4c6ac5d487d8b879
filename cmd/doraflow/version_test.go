package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionOutput renders what `doraflow version` prints for the build
// infos a binary can carry, against testdata/version/*.golden.
func TestVersionOutput(t *testing.T) {
	t.Parallel()
	stamped := &debug.BuildInfo{GoVersion: "go1.23.4", Main: debug.Module{Path: "doraflow", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "29b5b01c0ffee"}, {Key: "vcs.time", Value: "2026-11-26T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}}
	modified := &debug.BuildInfo{GoVersion: "go1.23.4", Main: debug.Module{Path: "doraflow", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "29b5b01c0ffee"}, {Key: "vcs.modified", Value: "true"}}}
	installed := &debug.BuildInfo{GoVersion: "go1.23.4", Main: debug.Module{Path: "doraflow", Version: "v1.2.3"}}
	for _, tc := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		ok     bool
	}{
		{"release", "v1.4.0", stamped, true},
		{"dev-stamped", "dev", stamped, true},
		{"dev-modified", "dev", modified, true},
		{"go-install", "dev", installed, true},
		{"no-build-info", "dev", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			readVersion(tc.linked, tc.bi, tc.ok).write(&b)
			checkGolden(t, filepath.Join("testdata", "version", tc.name+".golden"), b.String())
		})
	}
}

// TestVersionCommand: `version`, `--version` and `--version` after a
// global flag print the same, exit 0, and name this binary's Go release.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	runIt := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := runEnv(context.Background(), &env{stdout: &out, stderr: &errOut, getenv: os.LookupEnv}, args)
		return code, out.String(), errOut.String()
	}
	code, want, errOut := runIt("version")
	if code != 0 || errOut != "" {
		t.Fatalf("version: exit %d, stderr %q", code, errOut)
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok || !strings.HasPrefix(want, "doraflow "+version+"\n") || !strings.Contains(want, "go:      "+bi.GoVersion+"\n") {
		t.Fatalf("version printed %q; want the version and %s", want, bi.GoVersion)
	}
	for _, args := range [][]string{{"--version"}, {"--config", "nowhere.yaml", "--version"}} {
		code, out, errOut := runIt(args...)
		if code != 0 || out != want || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 0 and %q", args, code, out, errOut, want)
		}
	}
	if code, _, errOut := runIt("version", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q; want exit 2 naming the argument", code, errOut)
	}
}

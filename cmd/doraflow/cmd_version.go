package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// buildVersion is what `doraflow version` prints: enough to tell which
// build a bug report came from.
type buildVersion struct {
	// Version is main.version when the build set it (-ldflags -X, as the
	// Dockerfile does), else the module version go install recorded, else
	// "dev".
	Version string
	// Commit is the VCS revision go build stamped (-buildvcs), "unknown"
	// when there is none (go run, a build outside the repository);
	// Modified says the work tree had uncommitted changes.
	Commit   string
	Modified bool
	// CommitTime is the revision's commit time, as stamped; "" when unknown.
	CommitTime string
	// Go is the Go release that built the binary.
	Go string
}

// readVersion reads the build info that the Go toolchain embeds in every
// binary (runtime/debug.ReadBuildInfo): the linker-set version wins, as
// it names the release.
func readVersion(linked string, bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: linked, Commit: "unknown"}
	if !ok {
		return v
	}
	v.Go = bi.GoVersion
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "vcs.time":
			v.CommitTime = s.Value
		}
	}
	return v
}

// write prints v as `doraflow version` does: the version on the first
// line, as `doraflow VERSION`, which scripts read, then commit and Go.
func (v buildVersion) write(w io.Writer) {
	fmt.Fprintf(w, "doraflow %s\n", v.Version)
	commit := v.Commit
	if v.Modified {
		commit += " (modified)"
	}
	if v.CommitTime != "" {
		commit += " of " + v.CommitTime
	}
	fmt.Fprintf(w, "commit:  %s\n", commit)
	if v.Go != "" {
		fmt.Fprintf(w, "go:      %s\n", v.Go)
	}
}

// cmdVersion prints the version, commit and Go version of this binary.
func cmdVersion(_ context.Context, e *env, args []string) error {
	fs := e.flags("version", "version")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	readVersion(version, bi, ok).write(e.stdout)
	return nil
}

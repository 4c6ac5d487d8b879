package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"doraflow/sources"
)

// TestWarningsGolden loads every testdata/<case>/doraflow.yaml that is
// valid and compares its warnings, one per line, with warnings.txt; a case
// without that file must have none. -update rewrites the files (and
// removes those of cases that no longer warn).
func TestWarningsGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/*/doraflow.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	warned := 0
	for _, path := range paths {
		dir := filepath.Dir(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(data, "doraflow.yaml", sources.Registry(), testEnv)
		if err != nil {
			continue // TestGolden holds the problems of invalid cases
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var b strings.Builder
			for _, w := range c.Warnings() {
				b.WriteString(w.Warning() + "\n")
			}
			got := b.String()
			wantPath := filepath.Join(dir, "warnings.txt")
			if *update {
				if got == "" {
					err = os.Remove(wantPath)
				} else {
					err = os.WriteFile(wantPath, []byte(got), 0o644)
				}
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
			}
			if got != "" {
				warned++
			}
		})
	}
	// The cases made for the warnings must give them: a check that
	// warns about nothing passes every case above.
	for _, dir := range []string{"warnings", "empty"} {
		if _, err := os.Stat(filepath.Join("testdata", dir, "warnings.txt")); err != nil {
			t.Errorf("case %s has no warnings.txt: %v", dir, err)
		}
	}
	if warned == 0 {
		t.Error("no case warned")
	}
}

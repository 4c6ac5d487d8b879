package config

import (
	"doraflow/sources"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"doraflow"
)

// seedFiles adds the sample and the golden configs to a fuzz corpus.
func seedFiles(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/doraflow.yaml")
	for _, p := range append(paths, "doraflow.sample.yaml") {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("deployments: [{name: a, method: custom}]\nschedule: {sync: '*/5 * * * *', lookback: 1d2h}\n"))
	f.Add([]byte("a: &x [*x]\ndeployments: *x\n"))
	f.Add([]byte("deployments:\r\n- name: a\r\n  method: custom\r\n# c\r\nincidents:\r\n"))
}

// FuzzLoad checks that no input makes Parse panic, that every problem has a
// line, and that what loads renders to a file that loads the same.
func FuzzLoad(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml", sources.Registry(), testEnv)
		if err != nil {
			for _, p := range err.(*Errors).Problems {
				if p.File != "f.yaml" || p.Line < 1 || p.Message == "" {
					t.Fatalf("problem without a place or message: %+v", p)
				}
			}
			return
		}
		out := c.Redacted()
		if strings.Contains(out, "${") {
			return // a $${ escape, now a reference: not the same file
		}
		again, err := Parse([]byte(unredacted(out)), "f.yaml", sources.Registry(), withRedacted)
		if err != nil {
			t.Fatalf("Redacted output does not load:\n%v\n%s", err, out)
		}
		if again.Redacted() != out {
			t.Fatalf("Redacted output changed on reload:\n%s\nwas:\n%s", again.Redacted(), out)
		}
	})
}

// FuzzAddBlock checks that appending to any file either refuses or gives a
// file that holds the new block last.
func FuzzAddBlock(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := appendBlock(data, "f.yaml", Deployments, BlockSpec{Name: "fuzz-added", Method: doraflow.MethodCustom}, sources.Registry(), testEnv)
		if err != nil {
			return
		}
		d := &decoder{file: "f.yaml", lookup: testEnv, methods: sources.Registry(), lenient: true}
		c := d.config(out)
		if len(d.problems) > 0 || len(c.Deployments) == 0 || c.Deployments[len(c.Deployments)-1].Name != "fuzz-added" {
			t.Fatalf("bad result %v:\n%s", d.problems, out)
		}
	})
}

// FuzzExpand checks that expansion never panics, leaves text without "$"
// alone, and that "$${" escapes any text.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "${A}", "$${A}", "$$${A}", "${", "${A", "x${A}y${B}z", "$", "$$", "${}", "${ A}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lookup := func(name string) (string, bool) { return "<" + name + ">", name != "UNSET" }
		out, unset, err := expand(s, lookup)
		if !strings.Contains(s, "$") && (out != s || unset != nil || err != nil) {
			t.Fatalf("expand(%q) = %q, %v, %v; want it unchanged", s, out, unset, err)
		}
		if err == nil && len(unset) == 0 && strings.Count(out, "<") < strings.Count(s, "${")-strings.Count(s, "$${") {
			t.Fatalf("expand(%q) = %q: a reference was dropped", s, out)
		}
		escaped := strings.ReplaceAll(s, "${", "$${")
		if got, unset, err := expand(escaped, lookup); got != s || unset != nil || err != nil {
			t.Fatalf("expand(%q) = %q, %v, %v; want %q", escaped, got, unset, err, s)
		}
	})
}

// FuzzGlob checks the patterns of repositories, tag_pattern and paths: no
// input panics, a refusal names the kind of pattern, and a pattern the
// loader accepts never fails later, when path.Match applies it to a name.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"acme/api", "acme/api-*", "acme/*", "*/api", "acme/[", "acme/\\", "acme/a/b", "/api", "v*", "v[0-9]*", "[", "[]a]", "[^a-", "\\", "services/web/**", "/services", "", "*"} {
		f.Add(s, "acme/api-v1")
	}
	methods := sources.Registry()
	release, _ := methods.Lookup(doraflow.KindDeployments, doraflow.MethodRelease)
	mergedPR, _ := methods.Lookup(doraflow.KindDeployments, doraflow.MethodMergedPR)
	tags, _ := release.Filter("tag_pattern")
	paths, _ := mergedPR.Filter("paths")
	checks := []struct {
		what  string // the words a refusal must contain
		check check
		// matched is the part of the pattern path.Match applies
		matched func(pattern string) string
	}{
		{"repository", repository, func(p string) string { _, name, _ := strings.Cut(p, "/"); return name }},
		{"tag pattern", tags.Check, func(p string) string { return p }},
		{"path pattern", paths.Check, func(p string) string { return p }},
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		for _, c := range checks {
			if msg := c.check(pattern); msg != "" {
				if !strings.Contains(msg, c.what) {
					t.Errorf("%s %q refused with %q, which does not say what is wrong", c.what, pattern, msg)
				}
				continue
			}
			if _, err := path.Match(c.matched(pattern), name); err != nil {
				t.Errorf("%s %q was accepted, but matching %q fails: %v", c.what, pattern, name, err)
			}
		}
	})
}

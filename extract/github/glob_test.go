package github

import (
	"path"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"services/web/**", "services/web/main.go", true},
		{"services/web/**", "services/web/handlers/api/v1.go", true},
		{"services/web/**", "services/webapp/main.go", false},
		{"services/web/**", "services/web", false},
		{"services/**/main.go", "services/main.go", true}, // ** as a segment: no directory too
		{"services/**/main.go", "services/a/b/c/main.go", true},
		{"services/**/main.go", "services/a/main.go.bak", false},
		{"**/*.go", "main.go", true},
		{"**/*.go", "a/b/main.go", true},
		{"**/*.go", "a/b/main.py", false},
		{"**", "anything/at/all", true},
		{"docs/**.md", "docs/a/b.md", true}, // ** within a segment spans /
		{"src/*.go", "src/login.go", true},
		{"src/*.go", "src/auth/login.go", false}, // * stays in its directory
		{"v*", "v1.2.0", true},
		{"v*", "mobile-v1", false},
		{"v?.*", "v1.0", true},
		{"v?.*", "v10.0", false},
		{"v[0-9].*", "v1.0", true},
		{"v[^0-9].*", "v1.0", false},
		{"v[^0-9].*", "vx.0", true},
		{"api-[a-c]", "api-b", true},
		{"api-[a-c]", "api-d", false},
		{`release\*`, "release*", true},
		{`release\*`, "release1", false},
		{"", "", true},
		{"", "x", false},
		{"a*b*c*d*e*f*g*h*i*j", strings.Repeat("a", 60) + "x", false}, // no backtracking blow-up
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

// TestGlobAgreesWithPathMatch: without **, the matcher is path.Match,
// whose syntax the config loader checks.
func TestGlobAgreesWithPathMatch(t *testing.T) {
	patterns := []string{"*", "a*", "*.go", "a/*/c", "?b", "[ab]*", "[^ab]?", "[a-c]x", `\[x`, "a/b"}
	names := []string{"", "a", "ab", "b.go", "a/b/c", "a/x/c", "a/x/y/c", "cb", "bx", "[x", "dx", "a/b", "a.go/x"}
	for _, p := range patterns {
		for _, n := range names {
			want, err := path.Match(p, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := globMatch(p, n); got != want {
				t.Errorf("globMatch(%q, %q) = %v, path.Match says %v", p, n, got, want)
			}
		}
	}
}

func TestCheckGlob(t *testing.T) {
	for _, bad := range []string{"[a", "a[", `a\`, "[z-a]", "[]"} {
		if checkGlob(bad) == nil {
			t.Errorf("checkGlob(%q) accepted it", bad)
		}
		if globMatch(bad, "a") {
			t.Errorf("bad pattern %q matched", bad)
		}
	}
	for _, good := range []string{"", "services/**", "v*", "[]a]", "a/**/b"} {
		if err := checkGlob(good); err != nil {
			t.Errorf("checkGlob(%q): %v", good, err)
		}
	}
}

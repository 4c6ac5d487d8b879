package github

import "testing"

func TestDeploymentTitle(t *testing.T) {
	const sha = "abc1234def5678abc1234def5678abc1234def56"
	tests := []struct {
		name, environment, ref, sha, description, want string
	}{
		{"branch", "production", "main", sha, "", "production: main@abc1234"},
		{"with a description", "staging", "v1.2.0", sha, "canary 10%", "staging: v1.2.0@abc1234 — canary 10%"},
		{"ref is the sha", "production", sha, sha, "", "production: abc1234"},
		{"no ref", "production", "", sha, "", "production: abc1234"},
		{"no sha", "production", "main", "", "", "production: main"},
	}
	for _, tt := range tests {
		if got := deploymentTitle(tt.environment, tt.ref, tt.sha, tt.description); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

package clickhouse

import (
	"slices"
	"testing"

	"doraflow/sql"
)

func TestMissingMigrations(t *testing.T) {
	all := []sql.Migration{{Version: 1, Name: "0001_a"}, {Version: 2, Name: "0002_b"}, {Version: 3, Name: "0003_c"}}
	for _, tt := range []struct {
		name string
		done map[int]bool
		want []string
	}{
		{"none applied", map[int]bool{}, []string{"0001_a", "0002_b", "0003_c"}},
		{"an upgrade adds one", map[int]bool{1: true, 2: true}, []string{"0003_c"}},
		{"a gap", map[int]bool{1: true, 3: true}, []string{"0002_b"}},
		{"all applied", map[int]bool{1: true, 2: true, 3: true}, nil},
		{"a newer doraflow's too", map[int]bool{1: true, 2: true, 3: true, 4: true}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := missingMigrations(all, tt.done); !slices.Equal(got, tt.want) {
				t.Fatalf("missing %v, want %v", got, tt.want)
			}
		})
	}
}

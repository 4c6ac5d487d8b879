package clickhouse

import (
	"maps"
	"testing"

	"doraflow"
)

// TestFill checks the parsing of the multisets daily_cells.sql sends as
// text, retractions (negative counts) and bad text included.
func TestFill(t *testing.T) {
	tests := []struct {
		name           string
		values, counts string
		want           doraflow.Multiset
		wantErr        bool
	}{
		{"none", "", "", nil, false},
		{"one", "3600", "1", doraflow.Multiset{3600: 1}, false},
		{"several, a value twice", "0,86400,0", "1,2,3", doraflow.Multiset{0: 4, 86400: 2}, false},
		{"a retraction", "120,-5", "-1,1", doraflow.Multiset{120: -1, -5: 1}, false},
		{"largest Int64", "9223372036854775807", "1", doraflow.Multiset{9223372036854775807: 1}, false},
		{"more values than counts", "1,2", "1", nil, true},
		{"values without counts", "1", "", nil, true},
		{"not a number", "1,x", "1,1", nil, true},
		{"empty element", "1,,2", "1,1,1", nil, true},
	}
	var values, counts []int64
	m := doraflow.Multiset{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got doraflow.Multiset
			var err error
			got, values, counts, err = fill(m, values, counts, tt.values, tt.counts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

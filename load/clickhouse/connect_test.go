package clickhouse

import (
	"errors"
	"testing"
)

func TestPortHint(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		protocol Protocol
		secure   bool
		want     string
	}{
		{"h:9000", "", false, ""},
		{"h:9000", Native, false, ""},
		{"h:9440", Native, true, ""},
		{"h:8123", HTTP, false, ""},
		{"h:8443", HTTP, true, ""},
		{"h:19000", Native, true, ""},
		{"h:9000", Native, true, "; port 9000 is usually ClickHouse's plain native port: check clickhouse.protocol and clickhouse.secure"},
		{"h:8123", Native, false, "; port 8123 is usually ClickHouse's plain http port: check clickhouse.protocol and clickhouse.secure"},
		{"h:9440", Native, false, "; port 9440 is usually ClickHouse's TLS native port: check clickhouse.protocol and clickhouse.secure"},
		{"h:9000", HTTP, false, "; port 9000 is usually ClickHouse's plain native port: check clickhouse.protocol and clickhouse.secure"},
		{"h:8443,g:8443", HTTP, false, "; port 8443 is usually ClickHouse's TLS http port: check clickhouse.protocol and clickhouse.secure"},
		{"nonsense", HTTP, false, ""},
	} {
		if got := portHint(Options{Protocol: tc.protocol, Secure: tc.secure}, tc.addr); got != tc.want {
			t.Errorf("portHint(%s, %q, secure=%v) = %q, want %q", tc.addr, tc.protocol, tc.secure, got, tc.want)
		}
	}
}

func TestConnectErrorHint(t *testing.T) {
	err := connectError(Options{Protocol: Native, Secure: true, Password: "pw-secret"}, "h:9000", errors.New("EOF"))
	want := "ClickHouse at h:9000: EOF (port 9000 is usually ClickHouse's plain native port: check clickhouse.protocol and clickhouse.secure)"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
}

func TestSettingValue(t *testing.T) {
	for in, want := range map[string]any{"60": 60, "-1": -1, "true": 1, "False": 0, "0.5": "0.5", "nearest_hostname": "nearest_hostname"} {
		if got := settingValue(in); got != want {
			t.Errorf("settingValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

package fakeapi

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendStringRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // what a decoder reads back
	}{
		{"plain", "API down", "API down"},
		{"quotes and backslash", `say "hi" \o/`, `say "hi" \o/`},
		{"control characters", "a\nb\tc\rd\x00e\x1f", "a\nb\tc\rd\x00e\x1f"},
		{"unicode", "Memory pressure — 日本語 🚨", "Memory pressure — 日本語 🚨"},
		{"line separators", "a\u2028b\u2029c", "a\u2028b\u2029c"},
		{"invalid UTF-8", "bad\xffbyte", "bad\ufffdbyte"},
		{"html characters", "<a href='x'>&</a>", "<a href='x'>&</a>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendString(nil, tt.in)
			var got string
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if got != tt.want {
				t.Errorf("round trip %q → %s → %q", tt.in, b, got)
			}
		})
	}
}

func TestAppendStringEscapesAsEncodingJSON(t *testing.T) {
	for _, in := range []string{"plain", "a\"b\\c", "\x00\x01\x1f\x7f", "tab\tnew\nline\r", "a\u2028b\u2029c", "bad\xff\xfe", "é 日本 🚨"} {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/json escapes \b and \f by name and <, > and & for HTML;
		// none is in these inputs.
		if got := appendString(nil, in); string(got) != string(want) {
			t.Errorf("%q: got %s, encoding/json %s", in, got, want)
		}
	}
}

func TestJSONDocuments(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(w *JSON)
		want  string
	}{
		{"empty object", func(w *JSON) { w.Object(); w.EndObject() }, `{}`},
		{"members", func(w *JSON) {
			w.Object()
			w.Key("id").Int(-7)
			w.Key("ok").Bool(true)
			w.Key("name").Str(`a "b"`)
			w.Key("none").Null()
			w.EndObject()
		}, `{"id":-7,"ok":true,"name":"a \"b\"","none":null}`},
		{"array elements", func(w *JSON) {
			w.Array()
			w.Str("a")
			w.Int(1)
			w.Object()
			w.EndObject()
			w.Array()
			w.EndArray()
			w.Null()
			w.EndArray()
		}, `["a",1,{},[],null]`},
		{"nesting", func(w *JSON) {
			w.Object()
			w.Key("a").Object()
			w.Key("b").Array()
			w.Object()
			w.Key("c").Int(1)
			w.EndObject()
			w.Object()
			w.Key("c").Int(2)
			w.EndObject()
			w.EndArray()
			w.EndObject()
			w.Key("d").Bool(false)
			w.EndObject()
		}, `{"a":{"b":[{"c":1},{"c":2}]},"d":false}`},
		{"concat", func(w *JSON) {
			w.Object()
			w.Key("url").Concat("https://x/", "a b", `"q"`)
			w.Key("empty").Concat()
			w.EndObject()
		}, `{"url":"https://x/a b\"q\"","empty":""}`},
		{"string or null", func(w *JSON) {
			w.Array()
			w.StrOrNull("")
			w.StrOrNull("x")
			w.EndArray()
		}, `[null,"x"]`},
		{"raw", func(w *JSON) {
			w.Object()
			w.Key("payload").Raw("{}")
			w.Key("list").Raw("[]")
			w.EndObject()
		}, `{"payload":{},"list":[]}`},
		{"time in UTC by default", func(w *JSON) {
			w.Array()
			w.Time(at)
			w.Time(at.In(berlin))
			w.Time(time.Time{})
			w.EndArray()
		}, `["2024-01-02T03:04:05Z","2024-01-02T03:04:05Z",null]`},
		{"time in Zone", func(w *JSON) {
			w.Zone = berlin
			w.Array()
			w.Time(at)
			w.EndArray()
		}, `["2024-01-02T04:04:05+01:00"]`},
		{"escaped key", func(w *JSON) {
			w.Object()
			w.Key(`we"ird`).Int(1)
			w.EndObject()
		}, `{"we\"ird":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w JSON
			tt.write(&w)
			if got := string(w.Bytes()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(w.Bytes()) {
				t.Errorf("invalid JSON: %s", w.Bytes())
			}
		})
	}
}

func TestJSONResetReusesTheBuffer(t *testing.T) {
	var w JSON
	w.Array()
	w.Int(1)
	w.Key("dangling") // a key left without its value is forgotten
	buf := w.Bytes()
	w.Reset(buf)
	w.Array()
	w.Int(2)
	w.EndArray()
	if got := string(w.Bytes()); got != "[2]" {
		t.Errorf("after Reset: %s, want [2]", got)
	}
	if &w.Bytes()[0] != &buf[0] {
		t.Error("Reset did not reuse the buffer")
	}
}

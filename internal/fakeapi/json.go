package fakeapi

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// JSON appends a JSON document to a byte slice. The fakes write their
// services' documents by hand, member by member, so the field names are
// the service's own rather than a client library's, and a page costs one
// buffer and no reflection.
//
// Commas are placed automatically. A member is Key followed by one value:
//
//	w.Object()
//	w.Key("id").Int(7)
//	w.Key("labels").Array()
//	w.Str("deploy")
//	w.EndArray()
//	w.EndObject() // {"id":7,"labels":["deploy"]}
//
// The zero value is an empty document.
type JSON struct {
	// Zone is the time zone Time writes in; nil means UTC.
	Zone *time.Location

	b        []byte
	first    bool // the next value opens its container: no comma before it
	afterKey bool // a key was just written: its value takes no comma
}

// Reset starts a new document in buf's storage (buf[:0]), so a server can
// reuse its buffers.
func (w *JSON) Reset(buf []byte) {
	w.b, w.first, w.afterKey = buf[:0], false, false
}

// Bytes returns the document written so far.
func (w *JSON) Bytes() []byte { return w.b }

// pre writes the comma a value needs before it, if any.
func (w *JSON) pre() {
	switch {
	case w.afterKey:
		w.afterKey = false
	case w.first:
		w.first = false
	case len(w.b) > 0:
		w.b = append(w.b, ',')
	}
}

// Key writes a member's name; the next call writes its value.
func (w *JSON) Key(k string) *JSON {
	w.pre()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	w.afterKey = true
	return w
}

// Object opens an object.
func (w *JSON) Object() { w.pre(); w.b = append(w.b, '{'); w.first = true }

// EndObject closes the innermost object.
func (w *JSON) EndObject() { w.b = append(w.b, '}'); w.first = false }

// Array opens an array.
func (w *JSON) Array() { w.pre(); w.b = append(w.b, '['); w.first = true }

// EndArray closes the innermost array.
func (w *JSON) EndArray() { w.b = append(w.b, ']'); w.first = false }

// Str writes a string.
func (w *JSON) Str(s string) { w.pre(); w.b = appendString(w.b, s) }

// StrOrNull writes a string, or null for "".
func (w *JSON) StrOrNull(s string) {
	if s == "" {
		w.Null()
		return
	}
	w.Str(s)
}

// Concat writes the concatenation of parts as one string, without
// building it first (URLs are made of several parts).
func (w *JSON) Concat(parts ...string) {
	w.pre()
	w.b = append(w.b, '"')
	for _, p := range parts {
		w.b = appendEscaped(w.b, p)
	}
	w.b = append(w.b, '"')
}

// Int writes an integer.
func (w *JSON) Int(n int64) { w.pre(); w.b = strconv.AppendInt(w.b, n, 10) }

// Bool writes true or false.
func (w *JSON) Bool(v bool) { w.pre(); w.b = strconv.AppendBool(w.b, v) }

// Null writes null.
func (w *JSON) Null() { w.pre(); w.b = append(w.b, "null"...) }

// Raw writes v, already JSON, as it is.
func (w *JSON) Raw(v string) { w.pre(); w.b = append(w.b, v...) }

// Time writes t in Zone as RFC 3339 to the second
// ("2024-01-02T03:04:05Z" in UTC), or null for the zero time.
func (w *JSON) Time(t time.Time) {
	if t.IsZero() {
		w.Null()
		return
	}
	zone := w.Zone
	if zone == nil {
		zone = time.UTC
	}
	w.pre()
	w.b = append(w.b, '"')
	w.b = t.In(zone).AppendFormat(w.b, time.RFC3339)
	w.b = append(w.b, '"')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped appends the body of a JSON string holding s, escaped as
// encoding/json escapes it except for <, > and &: invalid UTF-8 becomes
// U+FFFD, and U+2028 and U+2029 are escaped.
func appendEscaped(b []byte, s string) []byte {
	start := 0 // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

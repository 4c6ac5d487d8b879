package githubfake

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends JSON to a byte slice. The server writes GitHub's documents by
// hand, field by field, so the field names are GitHub's own and not
// whatever a Go struct would marshal to, and so a page costs one buffer and
// no reflection.
//
// Commas are automatic: every value written inside an object or array is
// preceded by key() or elem(), which add the separator unless the value is
// the first of its container.
type jw struct {
	b     []byte
	first bool
}

func (w *jw) sep() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

// key writes `"k":`; keys are trusted ASCII literals.
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) elem()   { w.sep() }
func (w *jw) obj()    { w.b = append(w.b, '{'); w.first = true }
func (w *jw) end()    { w.b = append(w.b, '}'); w.first = false }
func (w *jw) arr()    { w.b = append(w.b, '['); w.first = true }
func (w *jw) endArr() { w.b = append(w.b, ']'); w.first = false }

func (w *jw) objKey(k string) { w.key(k); w.obj() }
func (w *jw) arrKey(k string) { w.key(k); w.arr() }

func (w *jw) str(k, v string) { w.key(k); w.b = appendJSONString(w.b, v) }

// strs writes the concatenation of parts as one string value, without
// building the string first (URLs are made of several parts).
func (w *jw) strs(k string, parts ...string) {
	w.key(k)
	w.b = append(w.b, '"')
	for _, p := range parts {
		w.b = appendJSONStringBody(w.b, p)
	}
	w.b = append(w.b, '"')
}

func (w *jw) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jw) int(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jw) bool(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }
func (w *jw) null(k string)         { w.key(k); w.b = append(w.b, "null"...) }
func (w *jw) raw(k, v string)       { w.key(k); w.b = append(w.b, v...) }

// time writes GitHub's timestamp form, 2024-01-02T03:04:05Z, or null for
// the zero time.
func (w *jw) time(k string, t time.Time) {
	if t.IsZero() {
		w.null(k)
		return
	}
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02T15:04:05Z")
	w.b = append(w.b, '"')
}

// strElem writes a string as an array element.
func (w *jw) strElem(v string) { w.elem(); w.b = appendJSONString(w.b, v) }

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONStringBody(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendJSONStringBody escapes s as encoding/json does for the characters
// that matter (quotes, backslashes, control characters, invalid UTF-8).
func appendJSONStringBody(b []byte, s string) []byte {
	start := 0
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
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

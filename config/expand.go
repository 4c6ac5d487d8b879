package config

import (
	"errors"
	"strings"
)

// errBadReference is the one syntax error of ${VAR} references. Its text
// does not quote the value: the value may be a secret.
var errBadReference = errors.New(`malformed variable reference: write ${NAME} with NAME made of letters, digits and _, or $${ for a literal ${`)

// expand replaces every ${NAME} in s with the value lookup gives for NAME.
// "$${" stands for a literal "${"; any other "$" is kept as it is, so
// values such as passwords with a "$" in them need no escaping. Values
// are inserted as they are and never expanded again.
//
// unset lists, in order of appearance, the names lookup does not know; the
// caller decides whether that is a problem. err is errBadReference when a
// reference is not terminated or its name is not a valid name.
func expand(s string, lookup func(string) (string, bool)) (out string, unset []string, err error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 || !isIdentifier(s[i+2:i+2+end]) {
				return "", nil, errBadReference
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				unset = append(unset, name)
			}
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), unset, nil
}

package github

import (
	"errors"
	"fmt"
	"strings"
)

// Globs: repository names (api-*), tag names (v*) and file paths
// (services/web/**). The syntax is path.Match's, which the config loader
// checks, plus "**":
//
//	*       any run of characters except /
//	?       one character except /
//	[a-z]   one character of a class ([^a-z] negates); \ escapes
//	**      any run of characters, / included; as a whole segment
//	        ("a/**/b", "**/x.go") it also matches no directory at all,
//	        so services/**/main.go matches services/main.go
//
// path.Match alone cannot do "**", which monorepo path filters need.

// token kinds of a compiled glob.
const (
	tLit   = iota // a literal rune
	tOne          // ?
	tStar         // *
	tAny          // ** inside a segment: anything, / included
	tDirs         // "**/" as a whole segment: nothing, or anything ending in /
	tClass        // [...]
)

type globToken struct {
	kind   int
	r      rune
	ranges []rune // tClass: lo, hi pairs
	negate bool
}

// compileGlob parses a pattern into tokens.
func compileGlob(pattern string) ([]globToken, error) {
	p := []rune(pattern)
	var out []globToken
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				segStart := i == 0 || p[i-1] == '/'
				i++
				for i+1 < len(p) && p[i+1] == '*' { // *** is **
					i++
				}
				if segStart && i+1 < len(p) && p[i+1] == '/' {
					i++
					out = append(out, globToken{kind: tDirs})
				} else {
					out = append(out, globToken{kind: tAny})
				}
				continue
			}
			out = append(out, globToken{kind: tStar})
		case '?':
			out = append(out, globToken{kind: tOne})
		case '[':
			tok, next, err := compileClass(p, i+1)
			if err != nil {
				return nil, fmt.Errorf("glob %q: %w", pattern, err)
			}
			out = append(out, tok)
			i = next
		case '\\':
			if i+1 >= len(p) {
				return nil, fmt.Errorf("glob %q: ends in a lone \\", pattern)
			}
			i++
			out = append(out, globToken{kind: tLit, r: p[i]})
		default:
			out = append(out, globToken{kind: tLit, r: c})
		}
	}
	return out, nil
}

// compileClass parses a class whose body starts at p[i]; next is the
// index of its closing ].
func compileClass(p []rune, i int) (tok globToken, next int, err error) {
	tok.kind = tClass
	if i < len(p) && p[i] == '^' {
		tok.negate = true
		i++
	}
	for first := true; ; first = false {
		if i >= len(p) {
			return tok, 0, errors.New("unclosed [")
		}
		if p[i] == ']' && !first {
			return tok, i, nil
		}
		var lo, hi rune
		if lo, i, err = classRune(p, i); err != nil {
			return tok, 0, err
		}
		hi = lo
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			if hi, i, err = classRune(p, i+1); err != nil {
				return tok, 0, err
			}
			if hi < lo {
				return tok, 0, fmt.Errorf("bad range %c-%c", lo, hi)
			}
		}
		tok.ranges = append(tok.ranges, lo, hi)
	}
}

// classRune reads one possibly escaped rune of a class at p[i].
func classRune(p []rune, i int) (rune, int, error) {
	if p[i] == '\\' {
		i++
		if i >= len(p) {
			return 0, 0, errors.New("unclosed [")
		}
	}
	return p[i], i + 1, nil
}

func (t globToken) matches(r rune) bool {
	switch t.kind {
	case tLit:
		return r == t.r
	case tOne:
		return r != '/'
	case tClass:
		if r == '/' {
			return false
		}
		in := false
		for k := 0; k < len(t.ranges); k += 2 {
			if t.ranges[k] <= r && r <= t.ranges[k+1] {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

// checkGlob reports a pattern that does not compile; "" is no pattern.
func checkGlob(pattern string) error {
	_, err := compileGlob(pattern)
	return err
}

// globMatch reports whether name matches the pattern; a bad pattern (which
// checkGlob reports first) matches nothing.
func globMatch(pattern, name string) bool {
	toks, err := compileGlob(pattern)
	return err == nil && matchTokens(toks, []rune(name))
}

// globMatchAny reports whether name matches one of the patterns.
func globMatchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if globMatch(p, name) {
			return true
		}
	}
	return false
}

// matchTokens decides the match by dynamic programming over (token,
// position), so patterns with many stars stay linear in their length
// times the name's, with no backtracking blow-up. ok[j] holds whether the
// tokens from i on match s[j:], for the i being computed.
func matchTokens(toks []globToken, s []rune) bool {
	n := len(s)
	next := make([]bool, n+1) // tokens i+1.. against s[j:]
	cur := make([]bool, n+1)
	next[n] = true // no tokens match only the empty rest
	for i := len(toks) - 1; i >= 0; i-- {
		t := toks[i]
		switch t.kind {
		case tStar, tAny:
			cur[n] = next[n]
			for j := n - 1; j >= 0; j-- {
				cur[j] = next[j] || (t.kind == tAny || s[j] != '/') && cur[j+1]
			}
		case tDirs:
			// Nothing, or a run ending in / followed by the rest.
			slashThenRest := false
			cur[n] = next[n]
			for j := n - 1; j >= 0; j-- {
				if s[j] == '/' && next[j+1] {
					slashThenRest = true
				}
				cur[j] = next[j] || slashThenRest
			}
		default:
			cur[n] = false
			for j := n - 1; j >= 0; j-- {
				cur[j] = t.matches(s[j]) && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// hasGlobMeta reports whether s is a pattern rather than a plain name.
func hasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

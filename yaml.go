package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The YAML of kubelet configs, read into the tree kubelet's decoder sees
// (SPEC §8). kubelet turns YAML into JSON with sigs.k8s.io/yaml, which
// parses with go-yaml v2 (YAML 1.1 scalars: yes, on and off are booleans;
// 0x1f, 017 and 1e3 are numbers; ~ is null), then decodes that JSON
// strictly. Read here: block and flow mappings and sequences, plain and
// quoted scalars on one line, comments, one leading "---". Anything else
// (anchors, aliases, tags, block scalars, several documents, scalars over
// several lines, complex and merge keys, tabs as indentation) is refused
// with its line rather than guessed at.

// maxConfigDepth bounds nesting. A kubelet config needs 6 levels, and
// kubelet refuses anything deeper, where its types have no fields.
const maxConfigDepth = 16

// yamlUnsupported names what a node starting with these bytes would be.
var yamlUnsupported = map[byte]string{'&': "anchors", '*': "aliases", '!': "tags", '|': "block scalars",
	'>': "block scalars", '?': "complex keys"}

// yamlEscapes are go-yaml v2's one-character escapes in double quotes.
var yamlEscapes = map[byte]rune{'0': 0, 'a': 7, 'b': 8, 't': 9, '\t': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13,
	'e': 0x1b, ' ': ' ', '"': '"', '\'': '\'', '\\': '\\', 'N': 0x85, '_': 0xa0, 'L': 0x2028, 'P': 0x2029}

// yamlParser reads lines. node and the block collections return with the
// position at the first character of the next line with content, or at
// the end; scalars and flow collections, right after their text.
type yamlParser struct {
	lines  []string
	n, col int // line index and byte offset: the columns that matter follow only spaces, "-" and tabs
	depth  int
}

// parseYAML reads one YAML document into map[string]any, []any, string,
// bool, int64, uint64, float64 and nil.
func parseYAML(data []byte) (any, error) {
	text := strings.ReplaceAll(strings.TrimPrefix(string(data), "\ufeff"), "\r\n", "\n")
	p := &yamlParser{lines: strings.Split(text, "\n")}
	if err := p.checkLines(); err != nil || !p.skipBlank() {
		return nil, err
	}
	v, err := p.node(true)
	if err == nil && p.n < len(p.lines) {
		err = p.errorf("unexpected content (less indented than the first line)")
	}
	return v, err
}

// checkLines refuses, as go-yaml does, invalid UTF-8, control characters,
// line breaks other than LF and CRLF, and tabs as indentation; and what is
// not read here: directives and document markers but a first "---",
// which it blanks out.
func (p *yamlParser) checkLines() error {
	started := false
	for p.n = range p.lines {
		line := p.lines[p.n]
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case !utf8.ValidString(line) || strings.ContainsFunc(line, badYAMLRune):
			return p.errorf("invalid UTF-8 or a control character")
		case trimmed == "" || trimmed[0] == '#':
			continue
		case strings.TrimLeft(line, " ") != trimmed:
			return p.errorf("tab in indentation")
		case !started && strings.TrimRight(line, " \t") == "---":
			p.lines[p.n] = ""
		case strings.HasPrefix(line, "%") || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "..."):
			return p.errorf("directives and several documents are not supported")
		}
		started = true
	}
	p.n = 0
	return nil
}

// badYAMLRune reports whether go-yaml refuses r in a document, or (NEL,
// LS, PS) reads it as a line break.
func badYAMLRune(r rune) bool {
	return r < ' ' && r != '\t' || r >= 0x7f && r < 0xa0 || r == 0x2028 || r == 0x2029 || r == 0xfffe || r == 0xffff
}

func (p *yamlParser) errorf(format string, a ...any) error {
	return fmt.Errorf("line %d: "+format, append([]any{p.n + 1}, a...)...)
}

func (p *yamlParser) peek() byte {
	if p.n < len(p.lines) && p.col < len(p.lines[p.n]) {
		return p.lines[p.n][p.col]
	}
	return 0
}

func (p *yamlParser) skipSpace() {
	for c := p.peek(); c == ' ' || c == '\t'; c = p.peek() {
		p.col++
	}
}

// blankAt reports whether the current line has a space, a tab or its end at i.
func (p *yamlParser) blankAt(i int) bool {
	l := p.lines[p.n]
	return i >= len(l) || l[i] == ' ' || l[i] == '\t'
}

// skipBlank moves past blanks and comments to the next content.
func (p *yamlParser) skipBlank() bool {
	for ; p.n < len(p.lines); p.n, p.col = p.n+1, 0 {
		if rest := strings.TrimLeft(p.lines[p.n][p.col:], " \t"); rest != "" && rest[0] != '#' {
			p.col = len(p.lines[p.n]) - len(rest)
			return true
		}
	}
	return false
}

// entry reports whether a block sequence entry starts here.
func (p *yamlParser) entry() bool { return p.peek() == '-' && p.blankAt(p.col+1) }

// node reads the node at the current position. A mapping's value on its
// key's line (block false) cannot be a block collection.
func (p *yamlParser) node(block bool) (v any, err error) {
	if p.depth++; p.depth > maxConfigDepth {
		return nil, p.errorf("nested more than %d levels deep", maxConfigDepth)
	}
	defer func() { p.depth-- }()
	n, col := p.n, p.col
	if block && p.entry() {
		return p.block(col, true)
	}
	if _, err := p.key(false, nil); block && err == nil {
		p.n, p.col = n, col
		return p.block(col, false)
	}
	p.n, p.col = n, col
	v, err = p.scalar(false)
	// Only blanks or a comment may follow a value on its line.
	if n := p.n; err == nil && p.skipBlank() && p.n == n {
		err = p.errorf("unexpected %q after a value", p.peek())
	}
	return v, err
}

// block reads a block sequence (seq) or mapping whose entries start at
// column col. An entry's value is on its line, or more indented below (a
// mapping's sequence may also sit at the mapping's own column), or null.
func (p *yamlParser) block(col int, seq bool) (any, error) {
	list, m := []any{}, map[string]any{}
	for p.n < len(p.lines) && p.col == col && (!seq || p.entry()) {
		k, err := "", error(nil)
		if seq {
			p.col++
		} else {
			k, err = p.key(false, m)
		}
		var v any
		if p.skipSpace(); err == nil && p.peek() != 0 && p.peek() != '#' {
			v, err = p.node(seq)
		} else if err == nil && p.skipBlank() && (p.col > col || p.col == col && !seq && p.entry()) {
			v, err = p.node(true)
		}
		if err != nil {
			return nil, err
		}
		if seq {
			list = append(list, v)
		} else {
			m[k] = v
		}
	}
	if p.n < len(p.lines) && p.col > col {
		return nil, p.errorf("unexpected indentation (scalars over several lines are not supported)")
	}
	if seq {
		return list, nil
	}
	return m, nil
}

// key reads a mapping key and its ":", refusing one already in m. Every
// key of a kubelet config is a string, so a plain key that go-yaml reads
// as another type, or as a merge ("<<"), is refused: kubelet would find no
// such field, or merge.
func (p *yamlParser) key(flow bool, m map[string]any) (string, error) {
	quoted := p.peek() == '"' || p.peek() == '\''
	v, err := p.scalar(flow)
	if p.skipSpace(); err == nil && (p.peek() != ':' || !flow && !p.blankAt(p.col+1)) {
		err = p.errorf("want a key and \":\"")
	}
	p.col++
	k, isString := v.(string)
	if _, dup := m[k]; err == nil && dup {
		err = p.errorf("duplicate key %s", shortQuote(k))
	} else if err == nil && !quoted && k == "<<" {
		err = p.errorf("merge keys are not supported")
	} else if err == nil && !isString {
		err = p.errorf("key %s is not a string", shortQuote(fmt.Sprint(v)))
	}
	return k, err
}

// scalar reads a scalar or a flow collection.
func (p *yamlParser) scalar(flow bool) (any, error) {
	switch c := p.peek(); {
	case c == '[' || c == '{':
		return p.flow()
	case c == '"' || c == '\'':
		return p.quoted()
	case yamlUnsupported[c] != "":
		return nil, p.errorf("%s are not supported", yamlUnsupported[c])
	}
	s, err := p.plain(flow)
	return resolvePlain(s), err
}

// plain reads a plain scalar as go-yaml v2 scans one (scannerc.go): it
// ends at ": ", at " #", at the line's end, and in flow context at any of
// ",?[]{}"; trailing blanks are not part of it.
func (p *yamlParser) plain(flow bool) (string, error) {
	line, start := p.lines[p.n], p.col
	if c := p.peek(); c == 0 || strings.IndexByte("-:,[]{}#%@`", c) >= 0 && (c != '-' || p.blankAt(start+1)) {
		return "", p.errorf("a value cannot start with %q", c)
	}
	for i := start; i < len(line); i++ {
		c := line[i]
		if c == ':' && p.blankAt(i+1) || c == '#' && p.blankAt(i-1) || flow && strings.IndexByte(",?[]{}", c) >= 0 {
			break
		}
		if c != ' ' && c != '\t' {
			p.col = i + 1
		}
	}
	return line[start:p.col], nil
}

// quoted reads a single- or double-quoted scalar that ends on its line.
func (p *yamlParser) quoted() (string, error) {
	line, q := p.lines[p.n], p.peek()
	var b strings.Builder
	for i := p.col + 1; i < len(line); i++ {
		switch c := line[i]; {
		case c == q && q == '\'' && strings.HasPrefix(line[i+1:], "'"):
			b.WriteByte(c)
			i++
		case c == q:
			p.col = i + 1
			return b.String(), nil
		case c == '\\' && q == '"':
			r, n := yamlEscape(line[i+1:])
			if n == 0 {
				return "", p.errorf("invalid escape in a double-quoted scalar")
			}
			b.WriteRune(r)
			i += n
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("quoted scalar not closed on its line (scalars over several lines are not supported)")
}

// yamlEscape decodes the escape that s, what follows a backslash, starts
// with, and returns its length, 0 if invalid.
func yamlEscape(s string) (rune, int) {
	if s == "" {
		return 0, 0
	}
	if r, ok := yamlEscapes[s[0]]; ok {
		return r, 1
	}
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[0]]
	v, err := strconv.ParseUint(s[1:min(n+1, len(s))], 16, 32)
	if n == 0 || len(s) <= n || err != nil || !utf8.ValidRune(rune(v)) {
		return 0, 0
	}
	return rune(v), n + 1
}

// flow reads a flow sequence or mapping, which may span lines. A
// mapping's entry without a value is null.
func (p *yamlParser) flow() (any, error) {
	if p.depth++; p.depth > maxConfigDepth {
		return nil, p.errorf("nested more than %d levels deep", maxConfigDepth)
	}
	defer func() { p.depth-- }()
	open, list, m := p.peek(), []any{}, map[string]any{}
	closing := open + 2 // "]" and "}" follow "[" and "{" by two in ASCII
	p.col++
	for err := p.flowSpace(); p.peek() != closing || err != nil; err = p.flowSpace() {
		var k string
		var v any
		if err == nil && open == '{' {
			if k, err = p.key(true, m); err == nil {
				err = p.flowSpace()
			}
		}
		if c := p.peek(); err == nil && (open == '[' || c != ',' && c != '}') {
			v, err = p.scalar(true)
		}
		if err == nil {
			err = p.flowSpace()
		}
		if c := p.peek(); err == nil && c != ',' && c != closing {
			err = p.errorf("want \",\" or %q", closing)
		}
		if err != nil {
			return nil, err
		}
		if open == '[' {
			list = append(list, v)
		} else {
			m[k] = v
		}
		if p.peek() == ',' {
			p.col++
		}
	}
	if p.col++; open == '[' {
		return list, nil
	}
	return m, nil
}

// flowSpace skips blanks, comments and line breaks inside a flow collection.
func (p *yamlParser) flowSpace() error {
	if !p.skipBlank() {
		p.n = len(p.lines) - 1
		return p.errorf("flow collection not closed")
	}
	return nil
}

// yamlWords are go-yaml v2's plain scalars that are not strings by their
// spelling alone (resolve.go), YAML 1.1 style.
var yamlWords = map[string]any{"": nil, "~": nil, "null": nil, "Null": nil, "NULL": nil,
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "true": true, "True": true, "TRUE": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "false": false, "False": false, "FALSE": false, "off": false, "Off": false, "OFF": false,
	".nan": math.NaN(), ".NaN": math.NaN(), ".NAN": math.NaN(), ".inf": math.Inf(1), ".Inf": math.Inf(1), ".INF": math.Inf(1),
	"+.inf": math.Inf(1), "+.Inf": math.Inf(1), "+.INF": math.Inf(1), "-.inf": math.Inf(-1), "-.Inf": math.Inf(-1), "-.INF": math.Inf(-1)}

// resolvePlain types a plain scalar as go-yaml v2 does (resolve.go).
// Timestamps stay strings: go-yaml v2 returns them as text.
func resolvePlain(s string) any {
	if v, ok := yamlWords[s]; ok {
		return v
	}
	if c := s[0]; c == '.' {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	} else if c == '+' || c == '-' || isDigit(c) {
		plain := strings.ReplaceAll(s, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return u
		}
		// go-yaml's float pattern, ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$,
		// is what ParseFloat reads in these bytes: not Go's hex, inf or nan.
		if f, err := strconv.ParseFloat(plain, 64); err == nil && allBytes(plain, isFloatByte) {
			return f
		}
	}
	return s
}

func isFloatByte(c byte) bool { return isDigit(c) || strings.IndexByte(".eE+-", c) >= 0 }

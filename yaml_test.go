package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// yamlJSON is the tree of a YAML text as the JSON kubelet's conversion
// would make of it, or the error.
func yamlJSON(in string) (string, error) {
	v, err := parseYAML([]byte(in))
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(v)
	return string(out), err
}

func TestParseYAML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "null"},
		{"# only a comment\n\n", "null"},
		{"---\na: b\n", `{"a":"b"}`},
		{"a: b\r\nc: d\r\n", `{"a":"b","c":"d"}`},
		{"\ufeffa: b", `{"a":"b"}`},
		{"a: b # comment\n# another\nc:   d  \n", `{"a":"b","c":"d"}`},
		{"a: b#c", `{"a":"b#c"}`},
		{"a: https://x.io:443/p", `{"a":"https://x.io:443/p"}`},
		{"a: x, [y] {z}", `{"a":"x, [y] {z}"}`},
		{"a:\tb", `{"a":"b"}`},
		{"a:\n  b\n", `{"a":"b"}`},
		{"a:\nb: c", `{"a":null,"b":"c"}`},
		{"a:\n  b: c\n  d:\n    e: f\ng: h", `{"a":{"b":"c","d":{"e":"f"}},"g":"h"}`},
		// Sequences, also at their key's own column, and compact ones.
		{"- a\n- b", `["a","b"]`},
		{"a:\n- b\n- c\nd: e", `{"a":["b","c"],"d":"e"}`},
		{"a:\n  - b\n  -   c", `{"a":["b","c"]}`},
		{"- - a\n  - b\n- c", `[["a","b"],"c"]`},
		{"- a: b\n  c: d\n- e: f", `[{"a":"b","c":"d"},{"e":"f"}]`},
		{"-\n  a: b\n-\n- c", `[{"a":"b"},null,"c"]`},
		{"providers:\n- name: x\n  env:\n  - name: A\n    value: b\n  args: [get-credentials]\n",
			`{"providers":[{"args":["get-credentials"],"env":[{"name":"A","value":"b"}],"name":"x"}]}`},
		// Flow collections, over lines too, with comments and a trailing comma.
		{"a: [b, 'c', \"d\", [e], {f: g}]", `{"a":["b","c","d",["e"],{"f":"g"}]}`},
		{"a: []\nb: {}", `{"a":[],"b":{}}`},
		{"a: [\n  b,  # one\n  c,\n]\n", `{"a":["b","c"]}`},
		{"{\"a\": \"b\", \"c\":[1, true]}", `{"a":"b","c":[1,true]}`},
		{"{a: , b: c}", `{"a":null,"b":"c"}`},
		{"a: [http://x:1/y]", `{"a":["http://x:1/y"]}`},
		// Quoted scalars and keys.
		{`a: 'it''s # not a comment'`, `{"a":"it's # not a comment"}`},
		{`a: "\tq\"\\\x41\u00e9\U0001F600\/"`, ""}, // \/ is no escape in go-yaml v2
		{`a: "\tq\"\\\x41\u00e9\U0001F600\N\_ "`, "{\"a\":\"\\tq\\\"\\\\Aé😀\u0085\u00a0 \"}"},
		{`"a b": 1`, `{"a b":1}`},
		{`'<<': 1`, `{"\u003c\u003c":1}`},
		{`"true": 1`, `{"true":1}`},
	}
	for _, tt := range tests {
		got, err := yamlJSON(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("parseYAML(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// TestYAMLScalarTypes checks plain scalars against go-yaml v2's typing,
// which decides what kubelet's strict decoder sees: a number or a boolean
// where a string is wanted is an error.
func TestYAMLScalarTypes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"12h", `"12h"`}, {"10m", `"10m"`}, {"0", "0"}, {"1", "1"}, {"-1", "-1"}, {"+1", "1"},
		{"1_000", "1000"}, {"0x1f", "31"}, {"017", "15"}, {"0o17", "15"}, {"0b101", "5"}, {"-0b101", "-5"},
		{"08", "8"}, {"1.5", "1.5"}, {"1.", "1"}, {".5", "0.5"}, {"+.5", "0.5"}, {"1e3", "1000"}, {"1E+3", "1000"},
		{"18446744073709551615", "18446744073709551615"}, {"99999999999999999999", "100000000000000000000"},
		{"1e999", `"1e999"`}, {"0x1p3", `"0x1p3"`}, {"+Inf", `"+Inf"`}, {"1.2.3", `"1.2.3"`}, {"1-2", `"1-2"`},
		{"2024-01-02", `"2024-01-02"`}, {"v1", `"v1"`}, {"-", ""}, {"-x", `"-x"`}, {"._5", `"._5"`},
		{"true", "true"}, {"True", "true"}, {"yes", "true"}, {"Y", "true"}, {"on", "true"}, {"ON", "true"},
		{"false", "false"}, {"no", "false"}, {"n", "false"}, {"off", "false"}, {"tRUE", `"tRUE"`}, {"yES", `"yES"`},
		{"~", "null"}, {"null", "null"}, {"NULL", "null"}, {"nil", `"nil"`}, {"None", `"None"`},
		{".nan", ""}, {".inf", ""}, {"-.Inf", ""}, // no JSON for these: kubelet's conversion fails too
		{`"true"`, `"true"`}, {`'1'`, `"1"`}, {`""`, `""`},
	}
	for _, tt := range tests {
		got, err := yamlJSON("a: " + tt.in)
		if want := `{"a":` + tt.want + "}"; tt.want != "" && got != want || (err != nil) != (tt.want == "") {
			t.Errorf("a: %s = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseYAMLRefuses(t *testing.T) {
	tests := []struct{ in, err string }{
		{"a: &x b", "line 1: anchors are not supported"},
		{"a: b\nc: *x", "line 2: aliases are not supported"},
		{"a: !!str b", "line 1: tags are not supported"},
		{"a: |\n  b", "line 1: block scalars are not supported"},
		{"a: >\n  b", "line 1: block scalars are not supported"},
		{"? a\n: b", "line 1: complex keys are not supported"},
		{"a: @b", "line 1: a value cannot start with '@'"},
		{"%YAML 1.1\n---\na: b", "line 1: directives and several documents are not supported"},
		{"a: b\n---\nc: d", "line 2: directives and several documents are not supported"},
		{"---\n---\na: b", "line 2: directives"},
		{"a: b\n...\n", "line 2: directives"},
		{"a:\n\tb: c", "line 2: tab in indentation"},
		{"a: b\x00", "line 1: invalid UTF-8 or a control character"},
		{"a: b\rc: d", "line 1: invalid UTF-8"},
		{"a: \xff", "line 1: invalid UTF-8"},
		{"a: b\u2028c", "line 1: invalid UTF-8 or a control character"},
		{"a: 1\nb: 2\na: 3", `line 3: duplicate key "a"`},
		{"a: 1\n'a': 3", `line 2: duplicate key "a"`},
		{"{a: 1, a: 2}", `line 1: duplicate key "a"`},
		{"x: 1\ntrue: 1", `line 2: key "true" is not a string`},
		{"x: 1\n1: 1", `line 2: key "1" is not a string`},
		{"x: 1\n~: 1", `line 2: key "<nil>" is not a string`},
		{"x: 1\n<<: {a: b}", "line 2: merge keys are not supported"},
		{"{1: a}", `line 1: key "1" is not a string`},
		{"a: b: c", `line 1: unexpected ':' after a value`},
		{"a: 'b' c", `line 1: unexpected 'c' after a value`},
		{"a: b\n  c", "line 2: unexpected indentation"},
		{"a: b\n c: d", "line 2: unexpected indentation"},
		{"a:\n    b: 1\n  c: 2", "line 3: unexpected indentation"},
		{"- a\n  b", "line 2: unexpected indentation"},
		{"  a: 1\nb: 2", "line 2: unexpected content"},
		{"- a\nb: c", "line 2: unexpected content"},
		{"a: 'b", "line 1: quoted scalar not closed on its line"},
		{"a: \"b\\\"", "line 1: quoted scalar not closed"},
		{"a: \"b\\\n c\"", "line 1: invalid escape"},
		{`a: "\q"`, "line 1: invalid escape"},
		{`a: "\x4"`, "line 1: invalid escape"},
		{`a: "\ud800"`, "line 1: invalid escape"},
		{`a: "\U00110000"`, "line 1: invalid escape"},
		{"a: - b", "line 1: a value cannot start with '-'"},
		{"a: [b", "line 1: flow collection not closed"},
		{"a: [b\n\n", "line 3: flow collection not closed"},
		{"a: [b c: d]", `line 1: want "," or ']'`},
		{"a: [b: c]", `line 1: want "," or ']'`},
		{"a: [,]", "line 1: a value cannot start with ','"},
		{"a: {b}", `line 1: want a key and ":"`},
		{"a: {b:c}", `line 1: want a key and ":"`},
		{"[a]: b", "line 1: unexpected ':' after a value"},
		{"a: [b] c", "line 1: unexpected 'c' after a value"},
		{"a b c", "unexpected content"}, // fine as one scalar, but not over two lines:
		{"a b\nc", "line 2: unexpected content"},
	}
	for _, tt := range tests {
		got, err := yamlJSON(tt.in)
		if tt.in == "a b c" {
			if got != `"a b c"` || err != nil {
				t.Errorf("parseYAML(%q) = %s, %v", tt.in, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("parseYAML(%q) = %s, %v; want an error with %q", tt.in, got, err, tt.err)
		}
	}
}

// TestParseYAMLHostile feeds what an attacker or an accident could put in
// a config file: the parser must refuse or read it quickly, never crash.
func TestParseYAMLHostile(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"deep flow", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "nested more than 16 levels"},
		{"deep flow mapping", strings.Repeat("{a: ", 100000), "nested more than 16 levels"},
		{"deep block", deepBlock(1000), "nested more than 16 levels"},
		{"deep sequences", strings.Repeat("- ", 10000) + "a", "nested more than 16 levels"},
		{"long line", "a: " + strings.Repeat("x", 1<<20), ""},
		{"many keys", manyKeys(100000), ""},
		{"long unclosed quote", "a: '" + strings.Repeat("x", 1<<20), "not closed"},
		{"many lines of an unclosed flow", "a: [" + strings.Repeat("\n", 100000), "flow collection not closed"},
	}
	for _, tt := range tests {
		_, err := parseYAML([]byte(tt.in))
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	return b.String()
}

// FuzzParseYAML checks that the parser never crashes, and that what it
// reads it reads again the same from its own JSON, which is YAML too.
func FuzzParseYAML(f *testing.F) {
	f.Add("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - name: ecr-credential-provider\n    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n")
	f.Add("a: [b, {c: 'd'}, \"\\u00e9\"]\n- x")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := parseYAML([]byte(in))
		if err != nil {
			return
		}
		first, err := json.Marshal(v)
		if err != nil || strings.ContainsFunc(string(first), badYAMLRune) {
			return // .nan and .inf; escapes that JSON leaves raw and YAML refuses raw
		}
		v2, err := parseYAML(first)
		if err != nil && strings.Contains(err.Error(), "nested more than") {
			return // the JSON form of a block tree is one level deeper
		}
		second, _ := json.Marshal(v2)
		var a, b any // compared as JSON values: -0 and 0 are one number
		json.Unmarshal(first, &a)
		json.Unmarshal(second, &b)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("parseYAML(%q) = %s; its JSON reads as %s, %v", in, first, second, err)
		}
	})
}

package main

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestProfileKind(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/r"
	keys := map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := maps.Clone(base)
		if m == nil {
			m = map[string]string{}
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		values map[string]string
		nested bool
		want   string // kind, or an error substring
	}{
		{"static", keys, false, "static"},
		{"static with token", with(keys, "aws_session_token", "T"), false, "static"},
		{"region only", with(nil, "region", "us-east-1"), false, ""},
		{"source_profile", with(nil, "role_arn", role, "source_profile", "base"), false, "source_profile"},
		{"self-sourced with keys", with(keys, "role_arn", role, "source_profile", "p"), false, "source_profile"},
		{"credential_source", with(nil, "role_arn", role, "credential_source", "Ec2InstanceMetadata"), false, "credential_source"},
		{"web identity", with(nil, "role_arn", role, "web_identity_token_file", "/t"), false, "web_identity_token_file"},
		{"process", with(nil, "credential_process", "/bin/creds"), false, "credential_process"},
		{"partial keys", with(nil, "aws_access_key_id", "A"), false, "only one of aws_access_key_id and aws_secret_access_key"},
		{"secret only", with(nil, "aws_secret_access_key", "S"), false, "only one of"},
		{"both sources", with(nil, "role_arn", role, "source_profile", "b", "credential_source", "Environment"), false, "more than one of"},
		{"source_profile and process", with(nil, "role_arn", role, "source_profile", "b", "credential_process", "x"), false, "more than one of"},
		{"credential_source and process", with(nil, "role_arn", role, "credential_source", "Environment", "credential_process", "x"), false, "more than one of"},
		// The SDK's order decides between static keys and another kind.
		{"top-level source_profile drops own keys", with(keys, "role_arn", role, "source_profile", "b"), false, "source_profile"},
		{"nested profile uses own keys first", with(keys, "role_arn", role, "source_profile", "b"), true, "static"},
		{"keys before credential_source", with(keys, "role_arn", role, "credential_source", "Environment"), false, "static"},
		{"keys before web identity", with(keys, "role_arn", role, "web_identity_token_file", "/t"), false, "static"},
		{"keys before process", with(keys, "credential_process", "x"), false, "static"},
		{"role on own keys", with(keys, "role_arn", role), false, "static"},
		{"role on process", with(nil, "role_arn", role, "credential_process", "x"), false, "credential_process"},
		{"role alone", with(nil, "role_arn", role), false, "role_arn without credentials"},
		{"source without role", with(nil, "source_profile", "b"), false, "source_profile without role_arn"},
		{"mfa with a role", with(nil, "role_arn", role, "source_profile", "b", "mfa_serial", "arn:aws:iam::123456789012:mfa/u"), false, "MFA"},
		{"mfa with keys and no role", with(keys, "mfa_serial", "arn:aws:iam::123456789012:mfa/u"), false, "static"},
		{"sso", with(nil, "sso_session", "corp"), false, "IAM Identity Center"},
		{"legacy sso", with(nil, "sso_account_id", "123456789012", "sso_role_name", "r", "sso_region", "us-east-1"), false, "IAM Identity Center"},
		{"sso with keys", with(keys, "sso_session", "corp"), false, "static"},
		{"sso before process", with(nil, "sso_region", "us-east-1", "credential_process", "x"), false, "IAM Identity Center"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := profileKind(profile{name: "p", values: tt.values}, tt.nested)
			got := kind
			if err != nil {
				got = err.Error()
			}
			if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
				t.Errorf("profileKind(%v, nested %v) = %q, want %q", tt.values, tt.nested, got, tt.want)
			}
		})
	}
}

func TestParseINI(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want iniSections
	}{
		// An empty file has no sections.
		{"empty", "", iniSections{}},
		// `#` or `;` at line start, after optional blanks, is a comment.
		{"comment lines", "# c\n; c\n[a]\n  # k = v\n\t; k = v\nk = v\n#k = w\n",
			iniSections{"a": {"k": "v"}}},
		// An inline comment starts at space-# , space-; , tab-# or tab-; .
		{"inline comments", "[a]\nk1 = v # c\nk2 = v ; c\nk3 = v\t# c\nk4 = v\t; c\nk5 = v #c ; d\n",
			iniSections{"a": {"k1": "v", "k2": "v", "k3": "v", "k4": "v", "k5": "v"}}},
		// A `#` or `;` not preceded by a blank is part of the value; `k = #x` is an empty value.
		{"hash inside value", "[a]\nk1 = a#b\nk2 = https://h/p#frag\nk3 = a;b\nk4=#x\nk5 = #x\n",
			iniSections{"a": {"k1": "a#b", "k2": "https://h/p#frag", "k3": "a;b", "k4": "#x", "k5": ""}}},
		// `key = value`, `key: value`, `key=value`: key and value trimmed.
		{"separators and trimming", "[a]\nk1 = v1\nk2: v2\nk3=v3\nk4   =   v 4  \nk5\t=\tv5\t\n",
			iniSections{"a": {"k1": "v1", "k2": "v2", "k3": "v3", "k4": "v 4", "k5": "v5"}}},
		// The separator is whichever of `=` and `:` comes first.
		{"first separator wins", "[a]\nrole_arn = arn:aws:iam::1:role/r\nk: a=b\n",
			iniSections{"a": {"role_arn": "arn:aws:iam::1:role/r", "k": "a=b"}}},
		// Values may contain `=` after the separator.
		{"equals in value", "[a]\nk = a=b==\n", iniSections{"a": {"k": "a=b=="}}},
		// Keys are case-insensitive: stored lower-case. Values keep their case.
		{"key case", "[a]\nAWS_Access_Key_ID = AbC\n", iniSections{"a": {"aws_access_key_id": "AbC"}}},
		// One pair of surrounding double or single quotes is removed.
		{"quotes", "[a]\nk1 = \"v 1\"\nk2 = 'v2'\nk3 = \"\"\nk4 = \"\"x\"\"\nk5 = \"a\"b\"\nk6 = \"v\nk7 = \"v'\nk8 = \"\nk9 = ' '\n",
			iniSections{"a": {"k1": "v 1", "k2": "v2", "k3": "", "k4": "\"x\"", "k5": "a\"b", "k6": "\"v", "k7": "\"v'", "k8": "\"", "k9": " "}}},
		// Inline comments are cut before quotes are removed (SDK order).
		{"comment inside quotes", "[a]\nk = \"a #b\"\n", iniSections{"a": {"k": "\"a"}}},
		// No escapes are processed in values.
		{"no escapes", "[a]\nk = a\\nb\\\"c\n", iniSections{"a": {"k": `a\nb\"c`}}},
		// Duplicate keys: the last wins.
		{"duplicate keys", "[a]\nk = 1\nK = 2\n", iniSections{"a": {"k": "2"}}},
		// Duplicate sections are merged, later keys winning.
		{"duplicate sections", "[a]\nk = 1\nj = 1\n[b]\nk = b\n[a]\nk = 2\n",
			iniSections{"a": {"k": "2", "j": "1"}, "b": {"k": "b"}}},
		// Section names are trimmed inside and outside the brackets.
		{"section trimming", "  [ a ]  \nk = 1\n\t[b]\nk = 2\n",
			iniSections{"a": {"k": "1"}, "b": {"k": "2"}}},
		// The first blank run inside a section name becomes one space; later ones stay.
		{"section inner blanks", "[profile   foo]\nk = 1\n[profile\tbar]\nk = 2\n[x  y  z]\nk = 3\n",
			iniSections{"profile foo": {"k": "1"}, "profile bar": {"k": "2"}, "x y  z": {"k": "3"}}},
		// Section names keep their case.
		{"section case", "[Default]\nk = 1\n", iniSections{"Default": {"k": "1"}}},
		// A header may carry a comment, with or without a blank before it.
		{"header comment", "[a] # c\nk = 1\n[b];c\nk = 2\n",
			iniSections{"a": {"k": "1"}, "b": {"k": "2"}}},
		// A `#` inside brackets breaks the header; its keys stay in the previous section.
		{"hash in header", "[a]\nk = 1\n[profile b#c]\nk = 2\nj = 3\n",
			iniSections{"a": {"k": "2", "j": "3"}}},
		// `[]` has an empty name: the keys under it are ignored like global keys.
		{"empty header", "[]\nk = 1\n[a]\nk = 2\n", iniSections{"a": {"k": "2"}}},
		// A section with no keys still exists.
		{"empty section", "[a]\n", iniSections{"a": {}}},
		// A line without `=` or `:` is skipped, not an error.
		{"line without separator", "[a]\njunk\nk = 1\n[b\nj = 2\n",
			iniSections{"a": {"k": "1", "j": "2"}}},
		// Keys before any section are ignored.
		{"global keys", "k = 0\n[a]\nk = 1\n", iniSections{"a": {"k": "1"}}},
		// CRLF line endings parse as LF.
		{"crlf", "[a]\r\nk = v\r\nq = \"w\"\r\n\r\n# c\r\n[b] \r\nj: x # c\r\n",
			iniSections{"a": {"k": "v", "q": "w"}, "b": {"j": "x"}}},
		// A BOM is not stripped (SDK): the first header is not recognised and its keys are lost.
		{"bom", "\ufeff[a]\nk = 1\n[b]\nk = 2\n", iniSections{"b": {"k": "2"}}},
		// `key =` is present with an empty value.
		{"empty value", "[a]\nk =\nj = # c\n", iniSections{"a": {"k": "", "j": ""}}},
		// An empty key is kept as such: harmless, and what the SDK does.
		{"empty key", "[a]\n= v\n", iniSections{"a": {"": "v"}}},
		// Sub-properties are kept under their parent and leave other keys alone.
		{"sub-properties", "[a]\ns3 =\n  max_concurrent_requests = 10\n  region = bad\nregion = us-east-1\n",
			iniSections{"a": {"s3": "", "s3.max_concurrent_requests": "10", "s3.region": "bad", "region": "us-east-1"}}},
		// Indented keys right under a header or under a key with a value are
		// ordinary properties (SDK tokenizer), so an indented profile works.
		{"indented keys", "[a]\n  k = 1\nj = 2\n  k = 3\n", iniSections{"a": {"k": "3", "j": "2"}}},
		{"indented profile", "[profile x]\n  role_arn = r\n  credential_source = Ec2InstanceMetadata\n",
			iniSections{"profile x": {"role_arn": "r", "credential_source": "Ec2InstanceMetadata"}}},
		{"services section", "[services s]\necr =\n  endpoint_url = https://e\nsts =\n\tendpoint_url = https://s\n",
			iniSections{"services s": {"ecr": "", "ecr.endpoint_url": "https://e", "sts": "", "sts.endpoint_url": "https://s"}}},
		// A continuation line joins the value with a newline, as in the SDK
		// (so a region or ARN continued this way fails as it does there);
		// after an empty value, or with no key yet, it is ignored.
		{"continuation", "[a]\nk = first\n  second # kept\nj = x\n", iniSections{"a": {"k": "first\nsecond # kept", "j": "x"}}},
		{"continuation after an empty value", "[a]\n  alone\nk =\n  more\n", iniSections{"a": {"k": ""}}},
		// An indented property's quotes go before its comment does (SDK order).
		{"indented quoted value with a comment", "[a]\n  region = \"us-west-2\" # c\nk = \"v\" # c\n", iniSections{"a": {"region": `"us-west-2"`, "k": "v"}}},
		{"sub-property keeps its comment", "[a]\ns3 =\n  max = 10 # c\n", iniSections{"a": {"s3": "", "s3.max": "10 # c"}}},
		// No final newline is needed.
		{"no final newline", "[a]\nk = v", iniSections{"a": {"k": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseINI([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseINI(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

// A very long line parses whole, up to the file bound; past it is an error.
func TestParseINISizeBound(t *testing.T) {
	head := "[a]\nk = "
	long := head + strings.Repeat("x", maxSharedFileSize-len(head))
	got, err := parseINI([]byte(long))
	if err != nil || len(got["a"]["k"]) != maxSharedFileSize-len(head) {
		t.Errorf("parseINI(%d bytes) = len %d, %v, want len %d, nil", len(long), len(got["a"]["k"]), err, maxSharedFileSize-len(head))
	}
	if _, err := parseINI([]byte(long + "x")); err == nil {
		t.Errorf("parseINI(%d bytes) error = nil, want too large", len(long)+1)
	}
}

func TestLookupProfile(t *testing.T) {
	tests := []struct {
		name, config, creds, profile string
		want                         map[string]string
		found, partial               bool
	}{
		// Config file: `[profile NAME]`; credentials file: `[NAME]`.
		{"config named", "[profile p]\nregion = r\n", "", "p", map[string]string{"region": "r"}, true, false},
		{"creds named", "", "[p]\nregion = r\n", "p", map[string]string{"region": "r"}, true, false},
		// A bare `[NAME]` in the config file is not a profile.
		{"config bare name ignored", "[p]\nregion = r\n", "", "p", nil, false, false},
		// `[profile NAME]` in the credentials file is not a profile.
		{"creds prefixed ignored", "", "[profile p]\nregion = r\n", "p", nil, false, false},
		{"creds prefixed name", "", "[profile p]\nregion = r\n", "profile p", nil, false, false},
		// Other config sections are not profiles.
		{"sso-session ignored", "[sso-session x]\nsso_region = r\n", "", "sso-session x", nil, false, false},
		{"services ignored", "[services x]\ns3 =\n", "", "services x", nil, false, false},
		// `[default]` in the config file is the default profile.
		{"config default", "[default]\nregion = r\n", "", "default", map[string]string{"region": "r"}, true, false},
		// `[profile default]` replaces `[default]` wholesale, whatever the order.
		{"profile default wins", "[profile default]\nregion = p\n[default]\nregion = d\noutput = json\n", "",
			"default", map[string]string{"region": "p"}, true, false},
		{"profile default wins after", "[default]\nregion = d\noutput = json\n[profile default]\nregion = p\n", "",
			"default", map[string]string{"region": "p"}, true, false},
		// A bare section named default in any case is kept (SDK EqualFold); names stay case-sensitive.
		{"bare DEFAULT", "[DEFAULT]\nregion = r\n", "", "DEFAULT", map[string]string{"region": "r"}, true, false},
		{"default is case-sensitive", "[DEFAULT]\nregion = r\n", "", "default", nil, false, false},
		// The named profile is missing from both files: found is false.
		{"missing", "[default]\nregion = r\n", "[default]\nregion = r\n", "named", nil, false, false},
		{"missing, no files", "", "", "default", nil, false, false},
		// Credentials file wins key by key; config-only keys are kept.
		{"merge precedence", "[profile p]\nregion = c\nrole_arn = c\noutput = json\n", "[p]\nregion = k\n",
			"p", map[string]string{"region": "k", "role_arn": "c", "output": "json"}, true, false},
		// A key present with an empty value in the credentials file still wins.
		{"empty value wins", "[profile p]\nregion = c\n", "[p]\nregion =\n", "p", map[string]string{"region": ""}, true, false},
		// Static keys merge only as a pair, and the token only alongside them (SDK).
		{"key pair merges with token", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\naws_session_token = CT\n",
			"[p]\naws_access_key_id = K\naws_secret_access_key = KS\naws_session_token = KT\n", "p",
			map[string]string{"aws_access_key_id": "K", "aws_secret_access_key": "KS", "aws_session_token": "KT"}, true, false},
		{"key pair keeps config token", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\naws_session_token = CT\n",
			"[p]\naws_access_key_id = K\naws_secret_access_key = KS\n", "p",
			map[string]string{"aws_access_key_id": "K", "aws_secret_access_key": "KS", "aws_session_token": "CT"}, true, false},
		{"lone token not merged", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\n",
			"[p]\naws_session_token = KT\n", "p",
			map[string]string{"aws_access_key_id": "C", "aws_secret_access_key": "CS"}, true, false},
		// A key outside the SDK's merge list is dropped from the credentials file when the config has the profile.
		{"unlisted key dropped", "[profile p]\nregion = c\n", "[p]\nendpoint_url = https://e\n", "p",
			map[string]string{"region": "c"}, true, false},
		{"unlisted key kept alone", "", "[p]\nendpoint_url = https://e\n", "p",
			map[string]string{"endpoint_url": "https://e"}, true, false},
		// Exactly one of the key id and secret is partial; the credentials file's section decides when it has one.
		{"partial in creds", "", "[p]\naws_access_key_id = K\n", "p", map[string]string{"aws_access_key_id": "K"}, true, true},
		{"partial in config", "[profile p]\naws_secret_access_key = S\n", "", "p", map[string]string{"aws_secret_access_key": "S"}, true, true},
		{"partial empty value", "[profile p]\naws_access_key_id =\n", "", "p", map[string]string{"aws_access_key_id": ""}, true, true},
		{"partial config overridden", "[profile p]\naws_access_key_id = C\n", "[p]\nregion = r\n", "p",
			map[string]string{"aws_access_key_id": "C", "region": "r"}, true, false},
		{"partial creds over full config", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\n", "[p]\naws_access_key_id = K\n", "p",
			map[string]string{"aws_access_key_id": "C", "aws_secret_access_key": "CS"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config, err1 := parseINI([]byte(tt.config))
			creds, err2 := parseINI([]byte(tt.creds))
			if err1 != nil || err2 != nil {
				t.Fatalf("parseINI: %v, %v", err1, err2)
			}
			p, found := lookupProfile(config, creds, tt.profile)
			if found != tt.found || p.partialKeys != tt.partial || (found && !reflect.DeepEqual(p.values, tt.want)) {
				t.Errorf("lookupProfile(%q) = %v (partial %v), %v, want %v (partial %v), %v",
					tt.profile, p.values, p.partialKeys, found, tt.want, tt.partial, tt.found)
			}
			if p.name != tt.profile {
				t.Errorf("lookupProfile(%q).name = %q", tt.profile, p.name)
			}
		})
	}
}

// The merged profile is a copy: changing it leaves the parsed files alone.
func TestLookupProfileCopies(t *testing.T) {
	config, _ := parseINI([]byte("[default]\nregion = c\n"))
	p, _ := lookupProfile(config, iniSections{}, "default")
	p.values["region"] = "changed"
	if got := config["default"]["region"]; got != "c" {
		t.Errorf("config region after changing profile = %q, want %q", got, "c")
	}
	if got := p.get("region"); got != "changed" {
		t.Errorf("p.get(%q) = %q, want %q", "region", got, "changed")
	}
	if got := p.get("absent"); got != "" {
		t.Errorf("p.get(%q) = %q, want empty", "absent", got)
	}
}

func TestLoadSharedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("config", "[default]\nregion = r\n")
	creds := write("credentials", "[default]\naws_access_key_id = K\n")
	atLimit := write("at-limit", strings.Repeat("#", maxSharedFileSize))
	tooBig := write("too-big", strings.Repeat("#", maxSharedFileSize+1))
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name, config, creds string
		wantConfig          iniSections
		wantCreds           iniSections
		wantErr             bool
	}{
		// Both files read and parsed.
		{"both", good, creds, iniSections{"default": {"region": "r"}}, iniSections{"default": {"aws_access_key_id": "K"}}, false},
		// A missing file, or no path at all, is empty, not an error (SPEC §5).
		{"missing", missing, "", iniSections{}, iniSections{}, false},
		// A file of exactly the bound is accepted.
		{"at limit", atLimit, good, iniSections{}, iniSections{"default": {"region": "r"}}, false},
		// A file over the bound is an error, in either position.
		{"config too big", tooBig, good, nil, nil, true},
		{"credentials too big", good, tooBig, nil, nil, true},
		// A path that opens but cannot be read (a directory) is an error, as in the SDK.
		{"directory", dir, good, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k, err := loadSharedFiles(tt.config, tt.creds)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(c, tt.wantConfig) || !reflect.DeepEqual(k, tt.wantCreds) {
				t.Errorf("loadSharedFiles(%q, %q) = %v, %v, %v, want %v, %v, error %v",
					tt.config, tt.creds, c, k, err, tt.wantConfig, tt.wantCreds, tt.wantErr)
			}
		})
	}
}

// FuzzParseINI checks that parseINI never panics, yields lower-case trimmed
// single-line keys and values that span lines only where the file has a
// continuation line, is deterministic, and reads back a simple generated
// `[s]\nk = v\n` exactly. key and value seed that round trip.
// hasContinuation reports an indented line without a separator, which
// continues the value before it (SDK rule).
func hasContinuation(data []byte) bool {
	for line := range strings.SplitSeq(string(data), "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && !strings.ContainsAny(line, "=:") {
			return true
		}
	}
	return false
}

func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[default]\nregion = us-east-1\n"), "region", "us-east-1")
	f.Add([]byte("[profile  p ] # c\r\nK: \"v\" ; c\n  sub = x\n"), "aws_access_key_id", "AKIA/+x=")
	f.Add([]byte("\ufeff[]\n=\n'\n[a#]\nk='\n"), "k", "a#b;c:d=")
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		got, err := parseINI(data)
		if err != nil {
			if len(data) <= maxSharedFileSize {
				t.Fatalf("parseINI(%q) error %v", data, err)
			}
			return
		}
		for name, sec := range got {
			if name == "" || strings.Contains(name, "\n") {
				t.Errorf("parseINI(%q): section name %q", data, name)
			}
			for k, v := range sec {
				if k != strings.ToLower(k) || k != strings.TrimSpace(k) || strings.Contains(k, "\n") || strings.Contains(v, "\n") && !hasContinuation(data) {
					t.Errorf("parseINI(%q): key %q value %q", data, k, v)
				}
			}
			lookupProfile(got, got, name)
		}
		if again, _ := parseINI(data); !reflect.DeepEqual(got, again) {
			t.Errorf("parseINI(%q) not deterministic: %v then %v", data, got, again)
		}
		k := keepBytes(key, "abcdefghijklmnopqrstuvwxyz0123456789_-.")
		v := keepBytes(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./+=:#;")
		if k == "" {
			return
		}
		file := "[s]\n" + k + " = " + v + "\n"
		want := iniSections{"s": {k: v}}
		if strings.HasPrefix(v, "#") || strings.HasPrefix(v, ";") {
			want["s"][k] = "" // the blank before it makes it a comment
		}
		if got, err := parseINI([]byte(file)); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseINI(%q) = %v, %v, want %v, nil", file, got, err, want)
		}
	})
}

// keepBytes returns s without the bytes that are not in allowed.
func keepBytes(s, allowed string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(allowed, s[i]) >= 0 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

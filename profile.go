package main

// The shared config and credentials files and profile resolution (SPEC §5),
// read the way aws-sdk-go-v2 reads them: its internal/ini tokenizer
// (tokenize.go, strings.go, parse.go) and config/shared_config.go
// (processConfigSections, processCredentialsSections, mergeSections). Where
// the SDKs disagree, the Go SDK v2 wins, because upstream
// ecr-credential-provider is built on it.

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
)

// fileName names a shared file in a message.
func fileName(path string) string {
	if path == "" {
		return "(no file: HOME is not set)"
	}
	return path
}

// sharedProfiles are the two shared files of the run.
type sharedProfiles struct{ config, creds iniSections }

func (s sharedProfiles) lookup(name string) (profile, bool) {
	return lookupProfile(s.config, s.creds, name)
}

// profileKind says which kind of credentials a profile holds, in the order
// of aws-sdk-go-v2's resolveCredsFromProfile: source_profile, static keys,
// credential_source, web_identity_token_file, SSO, credential_process. A
// profile reached as another's source_profile (nested) uses its own keys
// before its own source_profile, as the SDK does. Refused as the SDK
// refuses them at load: a partial key pair, two of source_profile,
// credential_source, credential_process and web_identity_token_file, a
// role source without role_arn, and mfa_serial with a role; and, on
// purpose, SSO (nobody can log in on a node) and a lone role_arn.
func profileKind(p profile, nested bool) (string, error) {
	has := func(k string) bool { return p.get(k) != "" }
	static := has("aws_access_key_id") || has("aws_secret_access_key")
	name := shortQuote(p.name)
	switch {
	case p.partialKeys || (static && (!has("aws_access_key_id") || !has("aws_secret_access_key"))):
		return "", fmt.Errorf("profile %s has only one of aws_access_key_id and aws_secret_access_key", name)
	case countSet(has, "source_profile", "credential_source", "credential_process", "web_identity_token_file") > 1:
		return "", fmt.Errorf("profile %s sets more than one of source_profile, credential_source, credential_process and web_identity_token_file", name)
	case has("mfa_serial") && has("role_arn"):
		return "", fmt.Errorf("profile %s needs an MFA code (mfa_serial) to assume its role, which a kubelet plugin cannot ask for", name)
	}
	for _, k := range []string{"source_profile", "credential_source", "web_identity_token_file"} {
		if has(k) && !has("role_arn") {
			return "", fmt.Errorf("profile %s sets %s without role_arn", name, k)
		}
	}
	switch {
	case has("source_profile") && !(nested && static):
		return "source_profile", nil
	case static:
		return "static", nil
	case has("credential_source"):
		return "credential_source", nil
	case has("web_identity_token_file"):
		return "web_identity_token_file", nil
	case countSet(has, "sso_session", "sso_start_url", "sso_account_id", "sso_role_name", "sso_region") > 0:
		return "", fmt.Errorf("profile %s uses IAM Identity Center (SSO), which needs an interactive login; use a role or static keys on nodes", name)
	case has("credential_process"):
		return "credential_process", nil
	case has("role_arn"):
		return "", fmt.Errorf("profile %s sets role_arn without credentials to assume it with (source_profile, credential_source, web_identity_token_file, static keys or credential_process)", name)
	}
	return "", nil
}

// servicesSection is the `[services NAME]` section that a profile's
// services key names, in either file (SPEC §5); nil when there is none.
// Its keys are "service.endpoint_url" (parseINI's sub-properties).
func (s sharedProfiles) servicesSection(name string) map[string]string {
	if name == "" {
		return nil
	}
	if sec, ok := s.config["services "+name]; ok {
		return sec
	}
	return s.creds["services "+name]
}

// countSet counts the keys that are set.
func countSet(has func(string) bool, keys ...string) int {
	n := 0
	for _, k := range keys {
		if has(k) {
			n++
		}
	}
	return n
}

// staticProfileCredentials are a profile's own keys.
func staticProfileCredentials(p profile) credentials {
	return credentials{
		AccessKeyID:     p.get("aws_access_key_id"),
		SecretAccessKey: p.get("aws_secret_access_key"),
		SessionToken:    p.get("aws_session_token"),
	}
}

// roleInput is the AssumeRole parameters a profile sets.
func roleInput(p profile) (assumeRoleInput, error) {
	in := assumeRoleInput{
		roleARN:     p.get("role_arn"),
		sessionName: firstSet(p.get("role_session_name"), defaultSessionName),
		externalID:  p.get("external_id"),
	}
	if d := p.get("duration_seconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return in, fmt.Errorf("profile %s: duration_seconds %s is not a whole number", shortQuote(p.name), shortQuote(d))
		}
		in.durationSeconds = n
	}
	return in, nil
}

// maxSharedFileSize bounds each shared file (STYLE §9). The SDK has no limit;
// a real config file is a few KiB, so a bigger one is refused, not truncated.
const maxSharedFileSize = 1 << 20

// profilePrefix marks a named profile in the config file; the credentials
// file must not use it (shared_config.go profilePrefix).
const profilePrefix = "profile "

// iniSections is a parsed INI file: section name (as written, trimmed) → key (lower-cased) → value.
type iniSections map[string]map[string]string

// parseINI parses one shared config/credentials file as the SDK's
// tokenizer and parser do (SPEC §5). It refuses nothing: a line it cannot
// classify is skipped, so the only error here is our own size bound. An
// indented `key = value` line right under a key whose value is empty
// (`s3 =`, `ecr =` in a services section) is a sub-property of that key,
// kept as "parent.key" with any comment; any other indented property is an
// ordinary one, its comment cut after its quotes are removed (so an
// indented `"v" # c` keeps its quotes, as in the SDK). An indented line
// without a separator continues the value of a key that has one, joined
// with a newline, which no region, ARN or key survives.
func parseINI(data []byte) (iniSections, error) {
	if len(data) > maxSharedFileSize {
		return nil, fmt.Errorf("parse shared file: %d bytes, more than the %d allowed", len(data), maxSharedFileSize)
	}
	sections := iniSections{}
	section, last := "", "" // last: the section's latest key
	// The SDK splits on "\n" only; a CR left by CRLF is removed by the
	// TrimSpace calls below, as in the SDK.
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.TrimSpace(line) == "" || isCommentLine(line) {
			continue
		}
		if name, ok := parseSectionHeader(line); ok {
			section, last = name, ""
			if name != "" && sections[name] == nil {
				sections[name] = map[string]string{} // duplicate sections merge
			}
			continue
		}
		if section == "" {
			continue // a key before any section (SDK: ignored)
		}
		values := sections[section]
		if line[0] != ' ' && line[0] != '\t' {
			if key, value, ok := splitProperty(cutComment(line)); ok {
				values[key], last = value, key // duplicate keys: the last wins
			}
			continue
		}
		rest := strings.TrimLeft(line, " \t")
		key, value, ok := splitProperty(rest)
		switch {
		case !ok && last != "" && values[last] != "":
			values[last] += "\n" + rest
		case !ok:
		case last != "" && values[last] == "":
			values[last+"."+key] = value
		default:
			values[key], last = strings.TrimSpace(cutComment(value)), key
		}
	}
	return sections, nil
}

// isCommentLine reports a whole-line comment: `#` or `;` after optional
// spaces or tabs (tokenize.go isLineComment).
func isCommentLine(line string) bool {
	s := strings.TrimLeft(line, " \t")
	return strings.HasPrefix(s, "#") || strings.HasPrefix(s, ";")
}

// parseSectionHeader recognises `[name]`. On a header line any `#` or `;`
// starts a comment, with or without a space before it (strings.go
// trimProfileComment), so `[profile a#b]` is no header at all and the keys
// after it stay in the previous section, as in the SDK. The first run of
// spaces or tabs inside the brackets becomes one space, so `[profile   foo]`
// is "profile foo"; later whitespace is kept (splitProfile, parse.go).
func parseSectionHeader(line string) (name string, ok bool) {
	s, _, _ := strings.Cut(line, "#")
	s, _, _ = strings.Cut(s, ";")
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return "", false
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, true
	}
	return s[:i] + " " + strings.TrimLeft(s[i:], " \t"), true
}

// cutComment cuts an inline comment: it needs a space or tab before its
// `#` or `;` (strings.go trimPropertyComment), so `a#b` and URLs with
// fragments survive.
func cutComment(s string) string {
	for _, marker := range [...]string{" #", " ;", "\t#", "\t;"} {
		s, _, _ = strings.Cut(s, marker)
	}
	return s
}

// splitProperty splits `key = value` or `key: value` (SPEC §5): the
// separator is whichever of `=` and `:` comes first (splitProperty), so
// `role_arn = arn:aws:...` splits at `=`. Comments are cut before quotes are
// removed, as in the SDK: `"a #b"` gives `"a`.
func splitProperty(s string) (key, value string, ok bool) {
	sep := strings.IndexByte(s, '=')
	if colon := strings.IndexByte(s, ':'); sep < 0 || (colon >= 0 && colon < sep) {
		sep = colon
	}
	if sep < 0 {
		return "", "", false
	}
	key = strings.ToLower(strings.TrimSpace(s[:sep]))
	return key, unquoteValue(strings.TrimSpace(s[sep+1:])), true
}

// unquoteValue removes one pair of surrounding double or single quotes
// (strings.go legacyStrconv: no escapes are processed since SDK PR #2461).
// A lone `"` or `'` is kept: the SDK's own check would slice it to [1:0].
func unquoteValue(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// profile is one merged profile: config file keys overlaid key by key by the
// credentials file's (credentials file wins).
type profile struct {
	name   string
	values map[string]string // lower-cased keys

	// partialKeys is set when the section the SDK checks has exactly one of
	// aws_access_key_id and aws_secret_access_key (even with an empty
	// value). The SDK refuses to use such a profile ("partial credentials
	// found for profile"); the caller turns this into that error.
	partialKeys bool
}

// get returns the value of a lower-case key, or "" when the profile lacks it.
func (p profile) get(key string) string {
	return p.values[key]
}

// loadSharedFiles reads both files with a size bound (1 MiB each). A file
// that cannot be opened (missing, no permission, empty path) is empty
// (SPEC §5; the SDK skips its UnableToReadFile); one that opens but fails to
// read, such as a directory, or is too big, is an error, as the SDK's
// SharedConfigLoadError is.
func loadSharedFiles(configPath, credentialsPath string) (config, creds iniSections, err error) {
	if config, err = loadSharedFile(configPath); err != nil {
		return nil, nil, err
	}
	if creds, err = loadSharedFile(credentialsPath); err != nil {
		return nil, nil, err
	}
	return config, creds, nil
}

// loadSharedFile reads and parses one shared file, see loadSharedFiles.
func loadSharedFile(path string) (iniSections, error) {
	if path == "" {
		return iniSections{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return iniSections{}, nil
	}
	defer f.Close()
	data, err := readBounded(f, maxSharedFileSize)
	if err != nil {
		return nil, fmt.Errorf("read shared file %q: %w", path, err)
	}
	return parseINI(data)
}

// mergedKeys are the keys a credentials-file section overrides in the
// config-file section of the same profile (shared_config.go mergeSections,
// stringKeys). Any other key in the credentials file (endpoint_url, say) is
// dropped when the config file also has the profile: the SDK's behaviour,
// kept so a profile resolves here as it does upstream.
var mergedKeys = [...]string{
	"role_arn", "source_profile", "credential_source", "external_id",
	"mfa_serial", "role_session_name", "region", "endpoint_discovery_enabled",
	"credential_process", "web_identity_token_file", "s3_use_arn_region",
	"s3_disable_multiregion_access_points", "ec2_metadata_service_endpoint_mode",
	"ec2_metadata_service_endpoint", "ec2_metadata_v1_disabled",
	"use_dualstack_endpoint", "use_fips_endpoint", "defaults_mode",
	"retry_mode", "ca_bundle", "duration_seconds", "max_attempts",
	"sso_session", "sso_account_id", "sso_region", "sso_role_name",
	"sso_start_url",
}

// lookupProfile merges profile `name` from both files: in the config file it is
// `[profile NAME]` (and `[default]` for default), in the credentials file `[NAME]`.
// found is false when neither file has it; a profile named by AWS_PROFILE that
// is not found is the caller's error (SPEC §5), as is p.partialKeys.
func lookupProfile(config, creds iniSections, name string) (p profile, found bool) {
	conf, inConfig := configSection(config, name)
	cred, inCreds := creds[name]
	// The credentials file may not use the prefix (processCredentialsSections).
	inCreds = inCreds && !strings.HasPrefix(name, profilePrefix)
	// The values are copies: a profile never aliases the parsed files.
	switch {
	case inConfig && inCreds:
		return profile{name: name, values: mergeSection(conf, cred), partialKeys: hasPartialKeys(cred)}, true
	case inConfig:
		return profile{name: name, values: maps.Clone(conf), partialKeys: hasPartialKeys(conf)}, true
	case inCreds:
		return profile{name: name, values: maps.Clone(cred), partialKeys: hasPartialKeys(cred)}, true
	}
	return profile{name: name}, false
}

// configSection finds profile name in the config file. `[profile NAME]`
// replaces a bare `[NAME]` wholesale, even for default (renameProfileSection).
// A bare section counts only for a name equal to "default" ignoring case
// (processConfigSections keeps those); every other bare name, and
// `[sso-session …]` and `[services …]`, is not a profile (SPEC §5; the SDK
// would still find those two by their full name, which no one relies on).
func configSection(config iniSections, name string) (map[string]string, bool) {
	if s, ok := config[profilePrefix+name]; ok {
		return s, true
	}
	if strings.EqualFold(name, "default") {
		s, ok := config[name]
		return s, ok
	}
	return nil, false
}

// mergeSection overlays the credentials-file section on the config-file one
// as mergeSections does: the access key and secret only as a pair (with the
// session token only alongside them), then the mergedKeys one by one; a key
// present with an empty value still overrides.
func mergeSection(conf, cred map[string]string) map[string]string {
	out := maps.Clone(conf)
	id, hasID := cred["aws_access_key_id"]
	secret, hasSecret := cred["aws_secret_access_key"]
	if hasID && hasSecret {
		out["aws_access_key_id"], out["aws_secret_access_key"] = id, secret
		if token, ok := cred["aws_session_token"]; ok {
			out["aws_session_token"] = token
		}
	}
	for _, k := range mergedKeys {
		if v, ok := cred[k]; ok {
			out[k] = v
		}
	}
	return out
}

// hasPartialKeys reports a section with exactly one of the two static keys.
func hasPartialKeys(s map[string]string) bool {
	_, hasID := s["aws_access_key_id"]
	_, hasSecret := s["aws_secret_access_key"]
	return hasID != hasSecret
}

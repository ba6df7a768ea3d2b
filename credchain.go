package main

// The AWS default credential chain (SPEC §5): ordered sources, the first
// that is configured wins.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// credentials are one set of AWS credentials, from whichever source the
// chain found first.
type credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // empty for long-term keys
	Expires         time.Time // zero when the source gave no expiry
}

// validate refuses credentials that could not go into an HTTP header, so
// that net/http never gets to report a secret-bearing header as invalid.
func (c credentials) validate(source string) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return fmt.Errorf("AWS credentials from %s: access key ID or secret access key is empty", source)
	}
	for _, f := range []struct{ name, value string }{
		{"access key ID", c.AccessKeyID},
		{"secret access key", c.SecretAccessKey},
		{"session token", c.SessionToken},
	} {
		if len(f.value) > maxCredentialBytes || strings.ContainsFunc(f.value, notPrintableASCII) {
			return fmt.Errorf("AWS credentials from %s: the %s is malformed (over %d bytes or not printable ASCII)", source, f.name, maxCredentialBytes)
		}
	}
	return nil
}

// maxCredentialBytes bounds each credential field. Session tokens are the
// longest, a few KiB.
const maxCredentialBytes = 16 << 10

// notPrintableASCII reports a rune that cannot appear in a credential.
func notPrintableASCII(r rune) bool { return r < 0x21 || r > 0x7e }

// credentialSource is one link of the chain.
type credentialSource struct {
	name  string
	fetch func(context.Context) (credentials, error)
}

// notConfigured is a source's answer when it has nothing to offer, so the
// chain moves on. Any other error stops the chain: a source the operator
// configured that fails must be reported, not skipped.
type notConfigured struct{ reason string }

func (e *notConfigured) Error() string { return e.reason }

// resolveCredentials asks each source in order. When none is configured,
// the error lists why each had nothing.
func resolveCredentials(ctx context.Context, sources []credentialSource) (credentials, error) {
	var reasons []string
	for _, s := range sources {
		creds, err := s.fetch(ctx)
		var nc *notConfigured
		switch {
		case err == nil:
			return creds, creds.validate(s.name)
		case errors.As(err, &nc):
			reasons = append(reasons, s.name+": "+nc.reason)
		default:
			return credentials{}, fmt.Errorf("AWS credentials from %s: %w", s.name, err)
		}
	}
	return credentials{}, fmt.Errorf("no AWS credentials found (%s)", strings.Join(reasons, "; "))
}

// envCredentials are AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN as read at the start of the run.
type envCredentials struct {
	accessKeyID, secretAccessKey, sessionToken string
}

// environmentSource is the first link (SPEC §5.1). One key without the
// other is an error, not a reason to look further.
func environmentSource(env envCredentials) credentialSource {
	return credentialSource{name: "environment", fetch: func(context.Context) (credentials, error) {
		switch {
		case env.accessKeyID == "" && env.secretAccessKey == "":
			return credentials{}, &notConfigured{"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"}
		case env.accessKeyID == "":
			return credentials{}, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
		case env.secretAccessKey == "":
			return credentials{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
		}
		return credentials{
			AccessKeyID:     env.accessKeyID,
			SecretAccessKey: env.secretAccessKey,
			SessionToken:    env.sessionToken,
		}, nil
	}}
}

// defaultSessionName names the STS sessions this program opens when the
// operator names none; it shows in CloudTrail.
const defaultSessionName = "ecr-credential-provider"

// chainConfig is the environment's say on credentials, read once (SPEC §5).
type chainConfig struct {
	env             envCredentials
	webIdentity     webIdentityConfig
	profileName     string // AWS_PROFILE, else "default"
	profileSet      bool   // AWS_PROFILE was set: a missing profile is an error
	configFile      string // AWS_CONFIG_FILE, else ~/.aws/config
	credentialsFile string // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
	container       containerConfig
	imds            imdsConfig
}

// webIdentityConfig is AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
// AWS_ROLE_SESSION_NAME: IRSA on EKS.
type webIdentityConfig struct {
	tokenFile, roleARN, sessionName string
}

// loadChainConfig reads the credential chain's environment.
func loadChainConfig(getenv func(string) string) (chainConfig, error) {
	home := getenv("HOME")
	cfg := chainConfig{
		env: envCredentials{
			accessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
			secretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
			sessionToken:    getenv("AWS_SESSION_TOKEN"),
		},
		webIdentity: webIdentityConfig{
			tokenFile:   getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
			roleARN:     getenv("AWS_ROLE_ARN"),
			sessionName: firstSet(getenv("AWS_ROLE_SESSION_NAME"), defaultSessionName),
		},
		profileName:     firstSet(getenv("AWS_PROFILE"), "default"),
		profileSet:      getenv("AWS_PROFILE") != "",
		configFile:      firstSet(getenv("AWS_CONFIG_FILE"), homeFile(home, "config")),
		credentialsFile: firstSet(getenv("AWS_SHARED_CREDENTIALS_FILE"), homeFile(home, "credentials")),
		container:       loadContainerConfig(getenv),
	}
	var err error
	cfg.imds, err = loadIMDSConfig(getenv)
	return cfg, err
}

// homeFile is ~/.aws/name, or "" (no file) without a HOME: a path
// relative to wherever kubelet was started would be a surprise.
func homeFile(home, name string) string {
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".aws", name)
}

// chain is the credential chain of one run, with what its sources need:
// the AWS client for STS, the metadata client, and the STS region.
type chain struct {
	cfg       chainConfig
	client    *awsClient
	imds      *imdsClient
	endpoints endpointConfig
	stderr    io.Writer // credential_process's stderr goes here
	// regions is where STS calls go, best first: the private registry's
	// region, then AWS_REGION or AWS_DEFAULT_REGION (SPEC §5, §7).
	regions []string
	// region is the STS region once resolved.
	region string
}

// stsRegion is the region for STS calls: the first of ch.regions, the
// profile's region, the instance's region from IMDS, and last us-east-1.
// It is resolved on first use because the last fallbacks read files and
// the network.
func (ch *chain) stsRegion(ctx context.Context) (string, error) {
	if ch.region != "" {
		return ch.region, nil
	}
	region := firstSet(ch.regions...)
	if region == "" {
		region = firstSet(ch.profileRegion(), ch.instanceRegion(ctx), "us-east-1")
	}
	if !validRegion(region) {
		return "", fmt.Errorf("region %s for STS is not a valid AWS region (check AWS_REGION, AWS_DEFAULT_REGION and the profile's region)", shortQuote(region))
	}
	ch.region = region
	return region, nil
}

// profileRegion is the active profile's region, "" when there is none.
func (ch *chain) profileRegion() string {
	files, err := ch.loadProfiles()
	if err != nil {
		return ""
	}
	p, _ := files.lookup(ch.cfg.profileName)
	return p.get("region")
}

// instanceRegion is the instance's region from IMDS, "" off EC2.
func (ch *chain) instanceRegion(ctx context.Context) string {
	if ch.cfg.imds.disabled {
		return ""
	}
	region, err := ch.imds.region(ctx)
	if err != nil {
		return ""
	}
	return region
}

// podRoleAnnotations are the service-account annotations that name the
// pod's role for image pulls, in precedence order: upstream's key, then
// the standard IRSA key that upstream's users asked for (SPEC §7).
var podRoleAnnotations = []string{"eks.amazonaws.com/ecr-role-arn", "eks.amazonaws.com/role-arn"}

// podRoleARN is the pod's role for image pulls and where it was named:
// an annotation of its service account, else AWS_ECR_ROLE_ARN. Empty when
// none names one.
func podRoleARN(annotations map[string]string, envRoleARN string) (arn, from string) {
	for _, key := range podRoleAnnotations {
		if v := annotations[key]; v != "" {
			return v, "service-account annotation " + key
		}
	}
	if envRoleARN != "" {
		return envRoleARN, "AWS_ECR_ROLE_ARN"
	}
	return "", ""
}

// podCredentials exchanges the pod's service-account token for its role's
// credentials (KEP-4412). The node's own credentials take no part.
func (ch *chain) podCredentials(ctx context.Context, roleARN, from, token string) (credentials, error) {
	if !validRoleARN(roleARN) {
		return credentials{}, fmt.Errorf("pod role %s from %s is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/NAME)", shortQuote(roleARN), from)
	}
	region, err := ch.stsRegion(ctx)
	if err != nil {
		return credentials{}, err
	}
	in := assumeRoleInput{roleARN: roleARN, sessionName: ch.cfg.webIdentity.sessionName}
	creds, err := assumeRoleWithWebIdentity(ctx, ch.client, stsEndpoint(region, ch.endpoints), in, token)
	if err != nil {
		return credentials{}, fmt.Errorf("pod role %s from %s: %w", roleARN, from, err)
	}
	return creds, creds.validate("STS")
}

// sources is the default chain in the SDK's order (SPEC §5).
func (ch *chain) sources() []credentialSource {
	return []credentialSource{
		environmentSource(ch.cfg.env),
		{"web identity", ch.webIdentityFromEnvironment},
		{"profile " + ch.cfg.profileName, ch.profileCredentials},
		containerSource(ch.cfg.container, ch.client.clock.Now),
		{"EC2 instance metadata", ch.instanceCredentials},
	}
}

// webIdentityFromEnvironment is IRSA: AssumeRoleWithWebIdentity with the
// token file and role named by the environment.
func (ch *chain) webIdentityFromEnvironment(ctx context.Context) (credentials, error) {
	w := ch.cfg.webIdentity
	switch {
	case w.tokenFile == "":
		return credentials{}, &notConfigured{"AWS_WEB_IDENTITY_TOKEN_FILE not set"}
	case w.roleARN == "":
		return credentials{}, errors.New("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not")
	}
	return ch.webIdentity(ctx, assumeRoleInput{roleARN: w.roleARN, sessionName: w.sessionName}, w.tokenFile)
}

// webIdentity reads a web identity token file, afresh on every call
// because kubelet rotates it, and exchanges it with STS.
func (ch *chain) webIdentity(ctx context.Context, in assumeRoleInput, tokenFile string) (credentials, error) {
	// A little room for the newline a token file usually ends with; STS's
	// own limit is checked on the trimmed token.
	data, err := readFileBounded(tokenFile, maxWebIdentityToken+64)
	if err != nil {
		return credentials{}, fmt.Errorf("web identity token file: %w", err)
	}
	region, err := ch.stsRegion(ctx)
	if err != nil {
		return credentials{}, err
	}
	return assumeRoleWithWebIdentity(ctx, ch.client, stsEndpoint(region, ch.endpoints), in, strings.TrimSpace(string(data)))
}

// instanceCredentials is the last link: the instance role from IMDSv2.
// A node off EC2, or one without a role, has nothing to offer here.
func (ch *chain) instanceCredentials(ctx context.Context) (credentials, error) {
	if ch.cfg.imds.disabled {
		return credentials{}, &notConfigured{"disabled by AWS_EC2_METADATA_DISABLED"}
	}
	creds, err := ch.imds.roleCredentials(ctx)
	var unavailable *imdsUnavailableError
	if errors.As(err, &unavailable) {
		return credentials{}, &notConfigured{unavailable.Error()}
	}
	return creds, err
}

// profileCredentials is the shared-profile link (SPEC §5.3).
func (ch *chain) profileCredentials(ctx context.Context) (credentials, error) {
	files, err := ch.loadProfiles()
	if err != nil {
		return credentials{}, err
	}
	p, found := files.lookup(ch.cfg.profileName)
	switch {
	case !found && ch.cfg.profileSet:
		return credentials{}, fmt.Errorf("AWS_PROFILE names profile %s, which is in neither %s nor %s", shortQuote(ch.cfg.profileName), fileName(ch.cfg.configFile), fileName(ch.cfg.credentialsFile))
	case !found:
		return credentials{}, &notConfigured{fmt.Sprintf("no profile in %s or %s", fileName(ch.cfg.configFile), fileName(ch.cfg.credentialsFile))}
	}
	return ch.resolveProfile(ctx, files, p, map[string]bool{})
}

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

func (ch *chain) loadProfiles() (sharedProfiles, error) {
	config, creds, err := loadSharedFiles(ch.cfg.configFile, ch.cfg.credentialsFile)
	return sharedProfiles{config, creds}, err
}

// resolveProfile finds the credentials of one profile, following
// source_profile chains; seen holds the profiles already on the path, so
// that a loop is an error instead of endless recursion.
func (ch *chain) resolveProfile(ctx context.Context, files sharedProfiles, p profile, seen map[string]bool) (credentials, error) {
	kind, err := profileKind(p)
	if err != nil {
		return credentials{}, err
	}
	seen[p.name] = true
	switch kind {
	case "static":
		return ch.assumeRoleOnTop(ctx, p, staticProfileCredentials(p), nil)
	case "credential_process":
		base, err := processCredentials(ctx, p.get("credential_process"), ch.stderr, ch.client.clock.Now)
		return ch.assumeRoleOnTop(ctx, p, base, err)
	case "source_profile":
		base, err := ch.sourceProfileCredentials(ctx, files, p, seen)
		if err != nil {
			return credentials{}, err
		}
		return ch.assumeProfileRole(ctx, p, base)
	case "credential_source":
		base, err := ch.credentialSourceCredentials(ctx, p)
		if err != nil {
			return credentials{}, err
		}
		return ch.assumeProfileRole(ctx, p, base)
	case "web_identity_token_file":
		in, err := roleInput(p)
		if err != nil {
			return credentials{}, err
		}
		return ch.webIdentity(ctx, in, p.get("web_identity_token_file"))
	}
	return credentials{}, &notConfigured{fmt.Sprintf("profile %s holds no credentials", shortQuote(p.name))}
}

// profileKind says which kind of credentials a profile holds, in the SDK's
// order (SPEC §5.3), and refuses profiles that are ambiguous or partial:
// the operator must learn of a mistake rather than get other credentials.
func profileKind(p profile) (string, error) {
	has := func(k string) bool { return p.get(k) != "" }
	static := has("aws_access_key_id") || has("aws_secret_access_key")
	name := shortQuote(p.name)
	selfSourced := p.get("source_profile") == p.name && static
	switch {
	case p.partialKeys || (static && (!has("aws_access_key_id") || !has("aws_secret_access_key"))):
		return "", fmt.Errorf("profile %s has only one of aws_access_key_id and aws_secret_access_key", name)
	case has("mfa_serial"):
		return "", fmt.Errorf("profile %s needs an MFA code (mfa_serial), which a kubelet plugin cannot ask for", name)
	case has("sso_session") || has("sso_start_url"):
		return "", fmt.Errorf("profile %s uses IAM Identity Center (SSO), which needs an interactive login; use a role or static keys on nodes", name)
	case countSet(has, "source_profile", "credential_source", "web_identity_token_file") > 1:
		return "", fmt.Errorf("profile %s sets more than one of source_profile, credential_source and web_identity_token_file", name)
	case (static && !selfSourced || has("credential_process")) && countSet(has, "source_profile", "credential_source", "web_identity_token_file") > 0:
		return "", fmt.Errorf("profile %s mixes its own static keys or credential_process with another source of credentials", name)
	case static && has("credential_process"):
		return "", fmt.Errorf("profile %s sets both static keys and credential_process", name)
	}
	for _, k := range []string{"source_profile", "credential_source", "web_identity_token_file"} {
		if has(k) {
			if !has("role_arn") {
				return "", fmt.Errorf("profile %s sets %s without role_arn", name, k)
			}
			return k, nil
		}
	}
	switch {
	case static:
		return "static", nil
	case has("credential_process"):
		return "credential_process", nil
	case has("role_arn"):
		return "", fmt.Errorf("profile %s sets role_arn without credentials to assume it with (source_profile, credential_source, web_identity_token_file, static keys or credential_process)", name)
	}
	return "", nil
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

// sourceProfileCredentials resolves the profile a role profile names as
// its source_profile. A profile may name itself when it also holds static
// keys: the SDK's way to assume a role with a profile's own keys.
func (ch *chain) sourceProfileCredentials(ctx context.Context, files sharedProfiles, p profile, seen map[string]bool) (credentials, error) {
	name := p.get("source_profile")
	if name == p.name {
		return staticProfileCredentials(p), nil
	}
	if seen[name] {
		return credentials{}, fmt.Errorf("profile %s: source_profile loop through %s", shortQuote(p.name), shortQuote(name))
	}
	src, found := files.lookup(name)
	if !found {
		return credentials{}, fmt.Errorf("profile %s: source_profile %s does not exist", shortQuote(p.name), shortQuote(name))
	}
	creds, err := ch.resolveProfile(ctx, files, src, seen)
	var nc *notConfigured
	if errors.As(err, &nc) {
		return credentials{}, fmt.Errorf("profile %s: source_profile %s holds no credentials", shortQuote(p.name), shortQuote(name))
	}
	return creds, err
}

// credentialSourceCredentials are the base credentials a role profile's
// credential_source names (SPEC §5.3).
func (ch *chain) credentialSourceCredentials(ctx context.Context, p profile) (credentials, error) {
	var creds credentials
	var err error
	switch src := p.get("credential_source"); src {
	case "Environment":
		creds, err = environmentSource(ch.cfg.env).fetch(ctx)
	case "Ec2InstanceMetadata":
		creds, err = ch.imds.roleCredentials(ctx)
	case "EcsContainer":
		creds, err = containerSource(ch.cfg.container, ch.client.clock.Now).fetch(ctx)
	default:
		return credentials{}, fmt.Errorf("profile %s: credential_source %s is not Environment, Ec2InstanceMetadata or EcsContainer", shortQuote(p.name), shortQuote(src))
	}
	if err != nil {
		return credentials{}, fmt.Errorf("profile %s: credential_source %s: %w", shortQuote(p.name), p.get("credential_source"), err)
	}
	return creds, nil
}

// assumeRoleOnTop assumes the profile's role_arn, when it has one, with
// the profile's own static keys or credential_process output, as
// aws-sdk-go-v2 does (resolveCredsFromProfile); without one, base is the
// answer.
func (ch *chain) assumeRoleOnTop(ctx context.Context, p profile, base credentials, err error) (credentials, error) {
	if err != nil || p.get("role_arn") == "" {
		return base, err
	}
	return ch.assumeProfileRole(ctx, p, base)
}

// assumeProfileRole assumes a profile's role_arn with base credentials.
func (ch *chain) assumeProfileRole(ctx context.Context, p profile, base credentials) (credentials, error) {
	if err := base.validate("profile " + p.name); err != nil {
		return credentials{}, err
	}
	in, err := roleInput(p)
	if err != nil {
		return credentials{}, err
	}
	region, err := ch.stsRegion(ctx)
	if err != nil {
		return credentials{}, err
	}
	return assumeRole(ctx, ch.client, stsEndpoint(region, ch.endpoints), region, base, in)
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

// The shared config and credentials files (SPEC §5), read the way
// aws-sdk-go-v2 reads them: its internal/ini tokenizer (tokenize.go,
// strings.go, parse.go) and config/shared_config.go (processConfigSections,
// processCredentialsSections, mergeSections). Where the SDKs disagree, the Go
// SDK v2 wins, because upstream ecr-credential-provider is built on it.

// maxSharedFileSize bounds each shared file (STYLE §9). The SDK has no limit;
// a real config file is a few KiB, so a bigger one is refused, not truncated.
const maxSharedFileSize = 1 << 20

// profilePrefix marks a named profile in the config file; the credentials
// file must not use it (shared_config.go profilePrefix).
const profilePrefix = "profile "

// iniSections is a parsed INI file: section name (as written, trimmed) → key (lower-cased) → value.
type iniSections map[string]map[string]string

// parseINI parses one shared config/credentials file. The SDK's tokenizer
// refuses nothing: a line it cannot classify is skipped, so the only error
// here is our own size bound. Sub-properties (indented `key = value` lines,
// e.g. under `s3 =`) are ignored: nothing we read uses them, and the SDK
// never lets them change a top-level key. Continuation lines (indented, no
// separator) are ignored too, where the SDK appends them to the previous
// value after a newline: no key we read can hold a newline, and keeping
// values single-line keeps them safe to log and to pass to a shell.
func parseINI(data []byte) (iniSections, error) {
	if len(data) > maxSharedFileSize {
		return nil, fmt.Errorf("parse shared file: %d bytes, more than the %d allowed", len(data), maxSharedFileSize)
	}
	sections := iniSections{}
	section := ""
	// The SDK splits on "\n" only; a CR left by CRLF is removed by the
	// TrimSpace calls below, as in the SDK.
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.TrimSpace(line) == "" || isCommentLine(line) {
			continue
		}
		if name, ok := parseSectionHeader(line); ok {
			section = name
			if name != "" && sections[name] == nil {
				sections[name] = map[string]string{} // duplicate sections merge
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // sub-property or continuation, see above
		}
		key, value, ok := parseProperty(line)
		if !ok || section == "" {
			continue // unrecognised line, or a key before any section (SDK: ignored)
		}
		sections[section][key] = value // duplicate keys: the last wins
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

// parseProperty splits `key = value` or `key: value` (SPEC §5). An inline
// comment needs a space or tab before its `#` or `;` (strings.go
// trimPropertyComment), so `a#b` and URLs with fragments survive. The
// separator is whichever of `=` and `:` comes first (splitProperty), so
// `role_arn = arn:aws:...` splits at `=`. Comments are cut before quotes are
// removed, as in the SDK: `"a #b"` gives `"a`.
func parseProperty(line string) (key, value string, ok bool) {
	s := line
	for _, marker := range [...]string{" #", " ;", "\t#", "\t;"} {
		s, _, _ = strings.Cut(s, marker)
	}
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
	switch {
	case inConfig && inCreds:
		return profile{name: name, values: mergeSection(conf, cred), partialKeys: hasPartialKeys(cred)}, true
	case inConfig:
		return profile{name: name, values: copySection(conf), partialKeys: hasPartialKeys(conf)}, true
	case inCreds:
		return profile{name: name, values: copySection(cred), partialKeys: hasPartialKeys(cred)}, true
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
	out := copySection(conf)
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

// copySection copies a section so a profile never aliases the parsed files.
func copySection(s map[string]string) map[string]string {
	out := make(map[string]string, len(s))
	maps.Copy(out, s)
	return out
}

// Two links of the AWS default credential chain (SPEC §5): container
// credentials (ECS task roles and EKS Pod Identity, SPEC §5.4) and a
// profile's credential_process (SPEC §5.3). Both follow aws-sdk-go-v2
// (config/resolve_credentials.go, credentials/endpointcreds,
// credentials/processcreds) except where noted.
const (
	// containerHost is the ECS agent's credentials endpoint, the base of
	// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (SPEC §5.4).
	containerHost = "169.254.170.2"

	// containerAttemptTimeout bounds one GET, body included. The endpoint
	// is a local agent that answers in milliseconds.
	containerAttemptTimeout = 2 * time.Second

	// containerMaxAttempts is how many GETs one fetch may make.
	containerMaxAttempts = 3

	// maxContainerResponseBytes bounds the endpoint's answer; real ones
	// are under 4 KiB.
	maxContainerResponseBytes = 64 << 10

	// maxContainerTokenBytes bounds AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
	// the EKS Pod Identity token is a service account JWT of 1–2 KiB.
	maxContainerTokenBytes = 16 << 10

	// processTimeout bounds a credential_process run. The SDK allows a
	// minute, but kubelet kills the whole plugin after one, and the run
	// still needs time for ECR afterwards.
	processTimeout = 10 * time.Second

	// processWaitDelay is how long to wait, after killing a
	// credential_process, for a descendant that escaped the kill to
	// release stdout and stderr.
	processWaitDelay = time.Second

	// maxProcessOutputBytes bounds what a credential_process may print on
	// stdout; more is an error and the process is killed.
	maxProcessOutputBytes = 64 << 10

	// maxProcessStderrBytes is how much of a credential_process's stderr
	// reaches ours; the rest is dropped.
	maxProcessStderrBytes = 64 << 10
)

// containerConfig is the environment's say on container credentials, read
// once at the start of the run.
type containerConfig struct {
	relativeURI   string // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
	fullURI       string // AWS_CONTAINER_CREDENTIALS_FULL_URI
	authToken     string // AWS_CONTAINER_AUTHORIZATION_TOKEN
	authTokenFile string // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
}

// loadContainerConfig reads the container credential variables.
func loadContainerConfig(getenv func(string) string) containerConfig {
	return containerConfig{
		relativeURI:   getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
		fullURI:       getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
		authToken:     getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
		authTokenFile: getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
	}
}

// containerSource is the container link of the chain (SPEC §5.4). It has
// nothing to offer when neither URI is set; once one is, every failure is
// reported rather than skipped.
func containerSource(cfg containerConfig, now func() time.Time) credentialSource {
	return credentialSource{name: "container credentials", fetch: func(ctx context.Context) (credentials, error) {
		if cfg.relativeURI == "" && cfg.fullURI == "" {
			return credentials{}, &notConfigured{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"}
		}
		return containerCredentials(ctx, cfg, now)
	}}
}

// containerCredentials GETs the credentials from the configured endpoint.
func containerCredentials(ctx context.Context, cfg containerConfig, now func() time.Time) (credentials, error) {
	endpoint, err := containerURL(cfg)
	if err != nil {
		return credentials{}, err
	}
	token, err := containerAuthorization(cfg)
	if err != nil {
		return credentials{}, err
	}
	// Anything not https gets the plain-http dial check.
	client := newContainerHTTPClient(!strings.HasPrefix(strings.ToLower(endpoint), "https:"))
	body, err := fetchContainerCredentials(ctx, client, endpoint, token)
	if err != nil {
		return credentials{}, err
	}
	creds, err := parseContainerCredentials(body, now())
	if err != nil {
		return credentials{}, fmt.Errorf("answer from %s: %w", endpointHost(endpoint), err)
	}
	return creds, nil
}

// containerURL is the URL to GET. The relative URI wins when both are set,
// as in the SDKs' shared container-credentials rules (aws-sdk-go-v2's
// profile chain tried the full URI first; its credential_source path and
// the other SDKs do not). A set but invalid URI is an error, never a
// reason to fall back to the other.
func containerURL(cfg containerConfig) (string, error) {
	if cfg.relativeURI != "" {
		return containerRelativeURL(cfg.relativeURI)
	}
	return containerFullURL(cfg.fullURI)
}

// containerRelativeURL appends AWS_CONTAINER_CREDENTIALS_RELATIVE_URI to
// http://169.254.170.2 (SPEC §5.4). The SDK concatenates blindly; we make
// sure the value is a path, so that no value can move the request (and
// its Authorization header) to another host: "@evil.com/", "//evil" and
// ".evil.com/" all fail here.
func containerRelativeURL(path string) (string, error) {
	const name = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return "", fmt.Errorf("invalid %s %s: want a path that starts with a single /", name, shortQuote(path))
	}
	if err := checkURIBytes(name, path); err != nil {
		return "", err
	}
	raw := "http://" + containerHost + path
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host != containerHost || u.User != nil {
		return "", fmt.Errorf("invalid %s %s: not a URL path", name, shortQuote(path))
	}
	return raw, nil
}

// containerFullURL checks AWS_CONTAINER_CREDENTIALS_FULL_URI (SPEC §5.4):
// https to any host, plain http only to a host where the token cannot be
// overheard on the way: loopback, the ECS agent or the EKS Pod Identity
// agent.
func containerFullURL(raw string) (string, error) {
	const name = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	if err := checkURIBytes(name, raw); err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("invalid %s: want an absolute http:// or https:// URL", name)
	case u.User != nil:
		// Not quoted: the user information may hold a password.
		return "", fmt.Errorf("invalid %s: user information in the URL is not allowed", name)
	case u.Scheme == "http" && !plainHTTPHostAllowed(u.Hostname()):
		return "", fmt.Errorf("invalid %s: plain http is allowed only to loopback, %s, 169.254.170.23 or fd00:ec2::23, not %s; use https", name, containerHost, shortQuote(u.Hostname()))
	}
	return raw, nil
}

// checkURIBytes refuses bytes that url.Parse would accept and reshape, or
// that have no business in a URI: controls, spaces, non-ASCII, '\' (which
// some parsers read as '/') and '#' (a fragment is never sent).
func checkURIBytes(name, value string) error {
	for i := 0; i < len(value); i++ {
		if c := value[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '#' {
			return fmt.Errorf("invalid %s: character %q at byte %d not allowed", name, c, i)
		}
	}
	return nil
}

// plainHTTPHostAllowed reports whether a URL host may be reached over
// plain http (SPEC §5.4). IP literals are checked here, and the name
// "localhost" is let through without a lookup (the SDK resolves names and
// requires every address to be allowed); the dialer then checks the
// address it actually connects to, so no DNS answer can widen the list.
func plainHTTPHostAllowed(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && plainHTTPAddrAllowed(addr)
}

// plainHTTPAddrAllowed is the address allow-list for plain http: loopback
// (127.0.0.0/8, ::1), the ECS agent 169.254.170.2, and the EKS Pod
// Identity agent 169.254.170.23 and fd00:ec2::23.
func plainHTTPAddrAllowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.Zone() != "" {
		return false
	}
	switch addr.String() {
	case containerHost, "169.254.170.23", "fd00:ec2::23":
		return true
	}
	return addr.IsLoopback()
}

// checkPlainHTTPDial is the dialer's last word for plain http: the address
// being connected to, after any name resolution, must be allowed.
func checkPlainHTTPDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !plainHTTPAddrAllowed(ap.Addr()) {
		return &dialRefusedError{address}
	}
	return nil
}

// dialRefusedError is checkPlainHTTPDial's refusal. Retrying cannot help.
type dialRefusedError struct{ address string }

func (e *dialRefusedError) Error() string {
	return fmt.Sprintf("plain http to %s is not allowed (only loopback, %s, 169.254.170.23 or fd00:ec2::23)", shortQuote(e.address), containerHost)
}

// containerAuthorization is the Authorization header value (SPEC §5.4):
// the token file, read now (EKS rotates it), else the token variable.
// As in the SDK nothing is trimmed, so a file that ends in a newline is
// refused like any other token with CR or LF. Unlike the SDK, an empty
// token file is an error: the agent would only answer 401.
func containerAuthorization(cfg containerConfig) (string, error) {
	token, from := cfg.authToken, "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	if cfg.authTokenFile != "" {
		data, err := readFileBounded(cfg.authTokenFile, maxContainerTokenBytes)
		if err != nil {
			return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
		}
		if len(data) == 0 {
			return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %q is empty", cfg.authTokenFile)
		}
		token, from = string(data), fmt.Sprintf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %q", cfg.authTokenFile)
	}
	// The token itself never goes into an error.
	if strings.ContainsAny(token, "\r\n") {
		return "", fmt.Errorf("the authorization token from %s contains CR or LF (a trailing newline counts), which cannot go into an HTTP header", from)
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return "", fmt.Errorf("the authorization token from %s contains a control character, which cannot go into an HTTP header", from)
	}
	return token, nil
}

// newContainerHTTPClient is the client for the credentials endpoint. No
// proxy: the endpoint is a local agent (loopback or link-local) that a
// proxy could not reach, and the Authorization token should not travel
// further than it must. TLS 1.2 or later against the system roots;
// redirects refused, since one would carry the token elsewhere. For plain
// http the dialer refuses any address outside the allow-list.
func newContainerHTTPClient(plainHTTP bool) *http.Client {
	dialer := &net.Dialer{Timeout: containerAttemptTimeout}
	if plainHTTP {
		dialer.Control = checkPlainHTTPDial
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    containerAttemptTimeout,
			ResponseHeaderTimeout:  containerAttemptTimeout,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// fetchContainerCredentials GETs endpoint and returns a 2xx body. It
// tries up to containerMaxAttempts times on a 5xx, a 429 or a failed
// connection, all within ctx. A timed-out attempt is not retried: an agent
// that did not answer in 2 seconds will not answer the next time, and the
// run's deadline is better spent reporting that.
func fetchContainerCredentials(ctx context.Context, client *http.Client, endpoint, token string) ([]byte, error) {
	host := endpointHost(endpoint)
	for attempt := 1; ; attempt++ {
		body, err := containerAttempt(ctx, client, endpoint, token)
		if err == nil {
			return body, nil
		}
		if attempt >= containerMaxAttempts || !containerRetryable(err) || !sleep(ctx, backoff(attempt)) {
			return nil, fmt.Errorf("GET credentials from %s (attempt %d): %w", host, attempt, err)
		}
	}
}

// containerAttempt is one GET under its own timeout.
func containerAttempt(ctx context.Context, client *http.Client, endpoint, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, containerAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &netError{err}
	}
	defer resp.Body.Close()
	return readContainerResponse(resp)
}

// readContainerResponse returns a 2xx body, or the error the answer
// carries as {"code","message"} (endpointcreds' error shape). A 2xx body
// never goes into an error.
func readContainerResponse(resp *http.Response) ([]byte, error) {
	body, err := readBody(resp, maxContainerResponseBytes)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("HTTP %d redirect refused: redirects are never followed", resp.StatusCode)
	}
	var e struct{ Code, Message string }
	json.Unmarshal(body, &e) // a body that is not the error shape leaves both empty
	return nil, &apiError{status: resp.StatusCode, code: cleanMessage(e.Code), message: cleanMessage(e.Message)}
}

// containerRetryable reports a failure worth another GET: the agent is
// restarting or busy, or the connection failed other than by timing out.
func containerRetryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status == http.StatusTooManyRequests || ae.status >= 500
	}
	var ne *netError
	var refused *dialRefusedError
	if !errors.As(err, &ne) || errors.As(err, &refused) {
		return false
	}
	var timeout interface{ Timeout() bool }
	return !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &timeout) && timeout.Timeout())
}

// parseContainerCredentials reads the endpoint's answer (SPEC §5.4):
// {"AccessKeyId","SecretAccessKey","Token","Expiration"}, Token and
// Expiration optional as in endpointcreds. Credentials already expired at
// now are refused.
func parseContainerCredentials(body []byte, now time.Time) (credentials, error) {
	var doc struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      *string
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return credentials{}, fmt.Errorf("credentials are %s", describeJSONError(err))
	}
	c := credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.Token}
	return finishCredentials(c, doc.Expiration, now)
}

// finishCredentials checks the keys are there, and sets and checks the
// expiry (RFC 3339, as the SDK's time.Time decoding requires).
func finishCredentials(c credentials, expiration *string, now time.Time) (credentials, error) {
	switch {
	case c.AccessKeyID == "":
		return credentials{}, errors.New("credentials have no AccessKeyId")
	case c.SecretAccessKey == "":
		return credentials{}, errors.New("credentials have no SecretAccessKey")
	case expiration == nil:
		return c, nil
	}
	t, err := time.Parse(time.RFC3339, *expiration)
	if err != nil {
		return credentials{}, fmt.Errorf("credentials have Expiration %s, want an RFC 3339 time", shortQuote(*expiration))
	}
	if !t.After(now) {
		return credentials{}, fmt.Errorf("credentials expired at %s", t.UTC().Format(time.RFC3339))
	}
	c.Expires = t
	return c, nil
}

// describeJSONError says what is wrong with a JSON document without
// quoting any of it: the document holds secrets.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("not the expected JSON object (field %s is not a %s)", typ.Field, typ.Type)
	}
	return "not the expected JSON object"
}

// processCredentials runs a profile's credential_process and reads its
// stdout (SPEC §5.3). As in the SDK on Unix the command goes to `sh -c`
// and inherits our whole environment (kubelet's plus the provider
// config's env). Its stdin is empty: ours held kubelet's request, and no
// one is there to answer a prompt. Its stderr passes through to ours, up
// to maxProcessStderrBytes; its stdout is never printed or quoted. It may
// run for processTimeout, or less if ctx ends first.
func processCredentials(ctx context.Context, command string, stderr io.Writer, now func() time.Time) (credentials, error) {
	if strings.TrimSpace(command) == "" {
		return credentials{}, errors.New("credential_process is empty")
	}
	out, err := runCredentialProcess(ctx, command, stderr, processTimeout)
	if err != nil {
		return credentials{}, err
	}
	creds, err := parseProcessOutput(out, now())
	if err != nil {
		return credentials{}, fmt.Errorf("credential_process output: %w", err)
	}
	return creds, nil
}

// runCredentialProcess runs command for at most timeout and returns its
// stdout. The process gets its own process group, and a kill (timeout,
// ctx, too much output) kills the whole group, so that nothing it started
// outlives the run.
func runCredentialProcess(ctx context.Context, command string, stderr io.Writer, timeout time.Duration) ([]byte, error) {
	procCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(procCtx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = processWaitDelay
	stdout := &limitedBuffer{max: maxProcessOutputBytes, overflow: cancel}
	cmd.Stdout = stdout
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stderr = &cappedWriter{w: stderr, left: maxProcessStderrBytes}
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever the command left running in its group dies with it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success() {
		err = nil // it succeeded; a child it left behind held the pipes open
	}
	switch {
	case stdout.over:
		return nil, fmt.Errorf("credential_process printed more than %d bytes on stdout: killed", maxProcessOutputBytes)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("credential_process stopped: the run's deadline passed (%v)", ctx.Err())
	case procCtx.Err() != nil:
		return nil, fmt.Errorf("credential_process did not finish within %v: killed", timeout)
	case err != nil:
		return nil, processError(err)
	}
	return stdout.buf.Bytes(), nil
}

// processError explains a credential_process that failed on its own.
func processError(err error) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("credential_process could not run: %v", err)
	}
	switch exit.ExitCode() {
	case 126:
		return fmt.Errorf("credential_process failed: %v (the command was found but could not be executed)", exit)
	case 127:
		return fmt.Errorf("credential_process failed: %v (command not found; see the shell's message above)", exit)
	}
	return fmt.Errorf("credential_process failed: %v", exit)
}

// parseProcessOutput reads credential_process output (SPEC §5):
// {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"},
// the last two optional. Version must be 1, as in processcreds.
// Credentials already expired at now are refused.
func parseProcessOutput(out []byte, now time.Time) (credentials, error) {
	var doc struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      *string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return credentials{}, fmt.Errorf("credentials are %s", describeJSONError(err))
	}
	if doc.Version != 1 {
		return credentials{}, fmt.Errorf("credentials have Version %d, want 1", doc.Version)
	}
	c := credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.SessionToken}
	return finishCredentials(c, doc.Expiration, now)
}

// limitedBuffer keeps up to max bytes; a write beyond that sets over and
// calls overflow (which kills the process) instead of growing.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	over     bool
	overflow func()
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.over || b.buf.Len()+len(p) > b.max {
		b.over = true
		b.overflow()
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}

// cappedWriter passes the first left bytes to w and drops the rest,
// reporting success so that the writer is never stopped by a broken pipe.
type cappedWriter struct {
	w    io.Writer
	left int
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if n := min(len(p), c.left); n > 0 {
		c.left -= n
		c.w.Write(p[:n])
	}
	return len(p), nil
}

package main

// The AWS default credential chain (SPEC §5): ordered sources, the first
// that is configured wins.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
)

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

// chainTrace is what one run of the chain did, for check: the source
// used, why each earlier one was skipped, and each call it made. Offline
// (check --offline) the calls are only noted, not made.
type chainTrace struct {
	source  string
	skipped []string
	calls   []string
	offline bool
}

// resolveCredentials asks each source in order. When none is configured,
// the error lists why each had nothing.
func resolveCredentials(ctx context.Context, sources []credentialSource, trace *chainTrace) (credentials, error) {
	for _, s := range sources {
		trace.source = s.name
		creds, err := s.fetch(ctx)
		var nc *notConfigured
		switch {
		case err == nil:
			return creds, creds.validate(s.name)
		case errors.As(err, &nc):
			trace.skipped = append(trace.skipped, s.name+": "+nc.reason)
		default:
			return credentials{}, fmt.Errorf("AWS credentials from %s: %w", s.name, err)
		}
	}
	trace.source = ""
	return credentials{}, fmt.Errorf("no AWS credentials found (%s)", strings.Join(trace.skipped, "; "))
}

// call makes one of the chain's network calls or process runs and notes
// it in the trace; offline it only notes it and answers with placeholder
// credentials, so that the rest of the chain (a role assumed on top)
// still shows.
func (ch *chain) call(ctx context.Context, what string, f func(context.Context) (credentials, error)) (credentials, error) {
	ch.trace.calls = append(ch.trace.calls, what)
	if ch.trace.offline {
		return credentials{AccessKeyID: "OFFLINE", SecretAccessKey: "OFFLINE"}, nil
	}
	return f(ctx)
}

// environmentSource is the first link (SPEC §5.1): env holds
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN as read at
// the start of the run. One key without the other is an error, not a
// reason to look further.
func environmentSource(env credentials) credentialSource {
	return credentialSource{name: "environment", fetch: func(context.Context) (credentials, error) {
		switch {
		case env.AccessKeyID == "" && env.SecretAccessKey == "":
			return credentials{}, &notConfigured{"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"}
		case env.AccessKeyID == "":
			return credentials{}, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
		case env.SecretAccessKey == "":
			return credentials{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
		}
		return env, nil
	}}
}

// chainConfig is the environment's say on credentials, read once (SPEC §5).
type chainConfig struct {
	env credentials // the environment's keys, unchecked
	// webIdentity is AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME, the role that
	// webIdentityTokenFile, AWS_WEB_IDENTITY_TOKEN_FILE, assumes: IRSA on EKS.
	webIdentity          assumeRoleInput
	webIdentityTokenFile string
	profileName          string         // AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default"
	configFile           string         // AWS_CONFIG_FILE, else ~/.aws/config
	credentialsFile      string         // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
	files                sharedProfiles // both files, read once
	profile              profile        // the active profile, merged from both
	profileFound         bool
	container            containerConfig
	imds                 imdsConfig
}

// loadChainConfig reads the credential chain's environment.
func loadChainConfig(getenv func(string) string) (chainConfig, error) {
	home := homeDir(runtime.GOOS, getenv)
	profileVar, profileName := firstSetVar(getenv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
	cfg := chainConfig{
		env: credentials{
			// The SDKs' older names count when the current ones are unset.
			AccessKeyID:     firstSet(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_ACCESS_KEY")),
			SecretAccessKey: firstSet(getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SECRET_KEY")),
			SessionToken:    getenv("AWS_SESSION_TOKEN"),
		},
		webIdentity: assumeRoleInput{
			roleARN:     getenv("AWS_ROLE_ARN"),
			sessionName: firstSet(getenv("AWS_ROLE_SESSION_NAME"), defaultSessionName),
		},
		webIdentityTokenFile: getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
		profileName:          firstSet(profileName, "default"),
		configFile:           firstSet(getenv("AWS_CONFIG_FILE"), homeFile(home, "config")),
		credentialsFile:      firstSet(getenv("AWS_SHARED_CREDENTIALS_FILE"), homeFile(home, "credentials")),
		container:            loadContainerConfig(getenv),
	}
	var err error
	if cfg.files.config, cfg.files.creds, err = loadSharedFiles(cfg.configFile, cfg.credentialsFile); err != nil {
		return cfg, err
	}
	cfg.profile, cfg.profileFound = cfg.files.lookup(cfg.profileName)
	// A profile named by AWS_PROFILE that neither file has fails the run
	// before any source is asked, as LoadDefaultConfig does even with keys
	// in the environment: a node must not sign as someone other than the
	// profile the operator named. The SDK ignores a missing
	// AWS_DEFAULT_PROFILE, and so do we.
	if profileVar == "AWS_PROFILE" && !cfg.profileFound {
		return cfg, fmt.Errorf("%s names profile %s, which is in neither %s nor %s", profileVar, shortQuote(cfg.profileName), fileName(cfg.configFile), fileName(cfg.credentialsFile))
	}
	// The profile's endpoint mode is refused when bad even where the
	// environment's wins, as the SDK loads it either way.
	if _, err := imdsModeEndpoint(cfg.profile.get("ec2_metadata_service_endpoint_mode")); err != nil {
		return cfg, fmt.Errorf("ec2_metadata_service_endpoint_mode of profile %s: %w", cfg.profileName, err)
	}
	// The metadata endpoint settings may come from the profile too; the
	// environment wins (SPEC §5, §6).
	cfg.imds, err = loadIMDSConfig(func(name string) string {
		return firstSet(getenv(name), cfg.profile.get(imdsProfileKeys[name]))
	})
	return cfg, err
}

// imdsProfileKeys are the profile keys for the metadata service's
// variables.
var imdsProfileKeys = map[string]string{
	"AWS_EC2_METADATA_SERVICE_ENDPOINT":      "ec2_metadata_service_endpoint",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "ec2_metadata_service_endpoint_mode",
}

// homeDir is where the SDK looks for .aws: %USERPROFILE% on Windows,
// $HOME elsewhere (os.UserHomeDir's rule, read through getenv).
func homeDir(goos string, getenv func(string) string) string {
	if goos == "windows" {
		return getenv("USERPROFILE")
	}
	return getenv("HOME")
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
	trace  *chainTrace
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
		region = firstSet(ch.cfg.profile.get("region"), ch.instanceRegion(ctx), "us-east-1")
	}
	if !validRegion(region) {
		return "", fmt.Errorf("region %s for STS is not a valid AWS region (check AWS_REGION, AWS_DEFAULT_REGION and the profile's region)", shortQuote(region))
	}
	ch.region = region
	return region, nil
}

// stsTarget is the region and endpoint of an STS call. The chain's own
// calls get ch.endpoints: as in the SDK, whose credential chain builds its
// STS clients before AWS_ENDPOINT_URL and endpoint_url are applied, only
// AWS_ENDPOINT_URL_STS and the services section's sts move them.
func (ch *chain) stsTarget(ctx context.Context, ec endpointConfig) (region, endpoint string, err error) {
	if region, err = ch.stsRegion(ctx); err != nil {
		return "", "", err
	}
	endpoint, err = stsEndpoint(region, ec)
	return region, endpoint, err
}

// instanceRegion is the instance's region from IMDS, "" off EC2.
func (ch *chain) instanceRegion(ctx context.Context) string {
	if ch.cfg.imds.disabled || ch.trace.offline {
		return ""
	}
	// Any failure answers "": the next fallback, us-east-1, takes over.
	region, _ := ch.imds.region(ctx)
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
	// Upstream builds the pods' STS client from the whole configuration,
	// so AWS_ENDPOINT_URL and a profile's endpoint_url move it too.
	_, endpoint, err := ch.stsTarget(ctx, ch.endpoints.forPods())
	if err != nil {
		return credentials{}, err
	}
	in := assumeRoleInput{roleARN: roleARN, sessionName: ch.cfg.webIdentity.sessionName}
	creds, err := ch.call(ctx, "STS AssumeRoleWithWebIdentity for "+roleARN+" at "+endpoint, func(ctx context.Context) (credentials, error) {
		return assumeRoleWithWebIdentity(ctx, ch.client, endpoint, in, token)
	})
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
		ch.containerSource(),
		{"EC2 instance metadata", ch.instanceCredentials},
	}
}

// webIdentityFromEnvironment is IRSA: AssumeRoleWithWebIdentity with the
// token file and role named by the environment.
func (ch *chain) webIdentityFromEnvironment(ctx context.Context) (credentials, error) {
	switch {
	case ch.cfg.webIdentityTokenFile == "":
		return credentials{}, &notConfigured{"AWS_WEB_IDENTITY_TOKEN_FILE not set"}
	case ch.cfg.webIdentity.roleARN == "":
		return credentials{}, errors.New("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not")
	}
	return ch.webIdentity(ctx, ch.cfg.webIdentity, ch.cfg.webIdentityTokenFile)
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
	_, endpoint, err := ch.stsTarget(ctx, ch.endpoints)
	if err != nil {
		return credentials{}, err
	}
	return ch.call(ctx, "STS AssumeRoleWithWebIdentity for "+in.roleARN+" at "+endpoint, func(ctx context.Context) (credentials, error) {
		return assumeRoleWithWebIdentity(ctx, ch.client, endpoint, in, strings.TrimSpace(string(data)))
	})
}

// instanceCredentials is the last link: the instance role from IMDSv2.
// A node off EC2, or one without a role, has nothing to offer here.
func (ch *chain) instanceCredentials(ctx context.Context) (credentials, error) {
	if ch.cfg.imds.disabled {
		return credentials{}, &notConfigured{"disabled by AWS_EC2_METADATA_DISABLED"}
	}
	creds, err := ch.instanceRole(ctx)
	var unavailable *imdsUnavailableError
	if errors.As(err, &unavailable) {
		return credentials{}, &notConfigured{unavailable.Error()}
	}
	return creds, err
}

// profileCredentials is the shared-profile link (SPEC §5.3).
func (ch *chain) profileCredentials(ctx context.Context) (credentials, error) {
	if !ch.cfg.profileFound {
		return credentials{}, &notConfigured{fmt.Sprintf("no profile in %s or %s", fileName(ch.cfg.configFile), fileName(ch.cfg.credentialsFile))}
	}
	return ch.resolveProfile(ctx, ch.cfg.files, ch.cfg.profile, map[string]bool{})
}

// resolveProfile finds the credentials of one profile, following
// source_profile chains; seen holds the profiles already on the path, so
// that a loop is an error instead of endless recursion.
func (ch *chain) resolveProfile(ctx context.Context, files sharedProfiles, p profile, seen map[string]bool) (credentials, error) {
	kind, err := profileKind(p, len(seen) > 0)
	if err != nil {
		return credentials{}, err
	}
	seen[p.name] = true
	switch kind {
	case "static":
		return ch.assumeRoleOnTop(ctx, p, staticProfileCredentials(p), nil)
	case "credential_process":
		base, err := ch.call(ctx, "credential_process of profile "+p.name, func(ctx context.Context) (credentials, error) {
			return processCredentials(ctx, p.get("credential_process"), ch.stderr, ch.client.clock.Now)
		})
		return ch.assumeRoleOnTop(ctx, p, base, err)
	case "source_profile":
		base, err := ch.sourceProfileCredentials(ctx, files, p, seen)
		return ch.assumeRoleOnTop(ctx, p, base, err)
	case "credential_source":
		base, err := ch.credentialSourceCredentials(ctx, p)
		return ch.assumeRoleOnTop(ctx, p, base, err)
	case "web_identity_token_file":
		in, err := roleInput(p)
		if err != nil {
			return credentials{}, err
		}
		return ch.webIdentity(ctx, in, p.get("web_identity_token_file"))
	}
	return credentials{}, &notConfigured{fmt.Sprintf("profile %s holds no credentials", shortQuote(p.name))}
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
	src := p.get("credential_source")
	fetch, ok := map[string]func(context.Context) (credentials, error){
		"Environment":         environmentSource(ch.cfg.env).fetch,
		"Ec2InstanceMetadata": ch.instanceRole,
		"EcsContainer":        ch.containerSource().fetch,
	}[src]
	if !ok {
		return credentials{}, fmt.Errorf("profile %s: credential_source %s is not Environment, Ec2InstanceMetadata or EcsContainer", shortQuote(p.name), shortQuote(src))
	}
	creds, err := fetch(ctx)
	if err != nil {
		// Not %w: a source with nothing to offer is this profile's failure,
		// never a reason for the chain to move on (SPEC §5.3).
		return credentials{}, fmt.Errorf("profile %s: credential_source %s: %v", shortQuote(p.name), src, err)
	}
	return creds, nil
}

// assumeRoleOnTop assumes the profile's role_arn, when it has one, with
// base: the profile's own static keys or credential_process output, as
// aws-sdk-go-v2 does (resolveCredsFromProfile), or its source_profile's or
// credential_source's credentials (profileKind makes those set role_arn).
// Without one, base is the answer; err, base's failure, is passed through.
func (ch *chain) assumeRoleOnTop(ctx context.Context, p profile, base credentials, err error) (credentials, error) {
	if err != nil || p.get("role_arn") == "" {
		return base, err
	}
	if err := base.validate("profile " + p.name); err != nil {
		return credentials{}, err
	}
	in, err := roleInput(p)
	if err != nil {
		return credentials{}, err
	}
	region, endpoint, err := ch.stsTarget(ctx, ch.endpoints)
	if err != nil {
		return credentials{}, err
	}
	return ch.call(ctx, "STS AssumeRole for "+in.roleARN+" at "+endpoint, func(ctx context.Context) (credentials, error) {
		return assumeRole(ctx, ch.client, endpoint, region, base, in)
	})
}

// containerSource is the container link of the chain (SPEC §5.4). It has
// nothing to offer when neither URI is set; once one is, every failure is
// reported rather than skipped.
func (ch *chain) containerSource() credentialSource {
	cfg := ch.cfg.container
	return credentialSource{name: "container credentials", fetch: func(ctx context.Context) (credentials, error) {
		if cfg.relativeURI == "" && cfg.fullURI == "" {
			return credentials{}, &notConfigured{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"}
		}
		return ch.call(ctx, "container credentials endpoint", func(ctx context.Context) (credentials, error) {
			return containerCredentials(ctx, cfg, ch.client.clock.Now)
		})
	}}
}

// instanceRole is the instance role's credentials from IMDSv2.
func (ch *chain) instanceRole(ctx context.Context) (credentials, error) {
	return ch.call(ctx, "IMDSv2 instance role at "+ch.cfg.imds.endpoint, ch.imds.roleCredentials)
}

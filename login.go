package main

// What every mode shares (the kubelet path, check, the docker credential
// helper, get-login-password): the configuration, read once from the
// environment and the active profile, and the login: image → registry →
// ECR endpoint → credentials → GetAuthorizationToken (SPEC §2–§5).

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

const defaultMaxAttempts = 3

// exitCode reports err, if any, as one line on stderr and returns the exit
// code: 0 or 1.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "ecr-credential-provider: "+oneLine(err.Error()))
	return 1
}

// invocation is what every mode's run shares: the configuration, read
// once, the clock, and stderr for warnings and credential_process.
type invocation struct {
	cfg    config
	clk    *clock
	stderr io.Writer
}

// podIdentity is the pulling pod's service-account token and annotations
// (KEP-4412), empty when kubelet sent none.
type podIdentity struct {
	token       string
	annotations map[string]string
}

// login is the path every mode shares: image → registry → ECR endpoint →
// credentials → GetAuthorizationToken, signed with SigV4. trace records
// what the credential chain did, for check.
func (in *invocation) login(ctx context.Context, image string, pod podIdentity, trace *chainTrace) (registry, registryAuth, error) {
	reg, err := parseRegistry(image, in.cfg.region)
	if err != nil {
		return reg, registryAuth{}, err
	}
	endpoint, region, service, err := ecrEndpoint(reg, in.cfg.endpoints)
	if err != nil {
		return reg, registryAuth{}, err
	}
	client, err := in.awsClient()
	if err != nil {
		return reg, registryAuth{}, err
	}
	creds, err := in.findCredentials(ctx, pod, reg, client, trace)
	if err != nil {
		return reg, registryAuth{}, err
	}
	auth, err := getAuthorizationToken(ctx, client, endpoint, region, service, creds)
	return reg, auth, err
}

// findCredentials picks the credentials for the ECR call: the pod's own
// role when kubelet sent the pod's service-account token and a role is
// named for it (KEP-4412), else the node's default chain, as upstream does
// for pods without a role.
func (in *invocation) findCredentials(ctx context.Context, pod podIdentity, reg registry, client *awsClient, trace *chainTrace) (credentials, error) {
	// STS endpoints follow the operator's FIPS and dual-stack switches
	// only, as in the SDKs: a registry host's FIPS or dual-stack hint
	// chooses the ECR endpoint, and STS has no FIPS or dual-stack name in
	// every region that ECR has one.
	ch := &chain{cfg: in.cfg.chain, client: client, imds: newIMDSClient(in.cfg.chain.imds), endpoints: in.cfg.endpoints, stderr: in.stderr, trace: trace}
	// The chain's STS calls use the registry's region, us-east-1 for ECR
	// Public, as upstream's WithRegion makes the SDK do; a pod's role for
	// ECR Public uses the configured region (upstream: "Missing Region").
	ch.regions = []string{reg.region}
	if pod.token != "" {
		if arn, from := podRoleARN(pod.annotations, in.cfg.ecrRoleARN); arn != "" {
			if reg.public {
				ch.regions = []string{in.cfg.region}
			}
			return ch.podCredentials(ctx, arn, from, pod.token)
		}
	}
	return resolveCredentials(ctx, ch.sources(), trace)
}

// config is everything the run reads from its environment and the active
// profile's settings, read once.
type config struct {
	region      string // AWS_REGION, AWS_DEFAULT_REGION, the profile's region
	endpoints   endpointConfig
	caBundle    string // AWS_CA_BUNDLE, else the profile's ca_bundle
	certFile    string // SSL_CERT_FILE: the system roots' bundle
	maxAttempts int
	chain       chainConfig
	ecrRoleARN  string // AWS_ECR_ROLE_ARN: the pods' role when no annotation names one
}

// loadConfig reads and validates the environment and the active profile,
// with the SDK's precedence: an environment variable that is set wins over
// the profile's key (SPEC §5).
func loadConfig(getenv func(string) string) (config, error) {
	chain, err := loadChainConfig(getenv)
	if err != nil {
		return config{}, err
	}
	p := chain.profile
	cfg := config{
		region:     firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), p.get("region")),
		caBundle:   firstSet(getenv("AWS_CA_BUNDLE"), p.get("ca_bundle")),
		certFile:   getenv("SSL_CERT_FILE"),
		chain:      chain,
		ecrRoleARN: getenv("AWS_ECR_ROLE_ARN"),
	}
	if cfg.endpoints, err = loadEndpointConfig(getenv, chain.files, p); err != nil {
		return cfg, err
	}
	// The profile's value is parsed even when the variable wins, as the
	// SDK loads (and refuses) it either way.
	if cfg.maxAttempts, err = parseMaxAttempts("max_attempts of profile "+p.name, p.get("max_attempts"), 0); err != nil {
		return cfg, err
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		cfg.maxAttempts, err = parseMaxAttempts("AWS_MAX_ATTEMPTS", v, 10)
	}
	return cfg, err
}

// loadEndpointConfig reads the endpoint switches and overrides. For each
// API: its own variable (AWS_ENDPOINT_URL_ECR, …), then AWS_ENDPOINT_URL,
// then the profile's services section (unless AWS_ENDPOINT_URL is set,
// which hides it, as in the SDK), then the profile's endpoint_url; and none
// of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or
// ignore_configured_endpoint_urls is true.
func loadEndpointConfig(getenv func(string) string, files sharedProfiles, p profile) (endpointConfig, error) {
	var ec endpointConfig
	var ignore bool
	var err error
	for _, b := range []struct {
		env, key string
		dst      *bool
	}{
		{"AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", &ec.useFIPS},
		{"AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint", &ec.useDualStack},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls", &ignore},
	} {
		if *b.dst, err = boolSetting(getenv, p, b.env, b.key); err != nil || ignore {
			return ec, err
		}
	}
	general, services := getenv("AWS_ENDPOINT_URL"), files.servicesSection(p.get("services"))
	for _, o := range []struct {
		env, service string
		dst          *string
	}{
		{"AWS_ENDPOINT_URL_ECR", "ecr", &ec.ecr},
		{"AWS_ENDPOINT_URL_ECR_PUBLIC", "ecr_public", &ec.ecrPublic},
		{"AWS_ENDPOINT_URL_STS", "sts", &ec.sts},
		{"AWS_ENDPOINT_URL", "", &ec.all},
	} {
		name, v := o.env, getenv(o.env)
		switch {
		case v != "":
		case o.service == "":
			name, v = "endpoint_url of profile "+p.name, p.get("endpoint_url")
		case general == "":
			name, v = o.service+" endpoint_url in [services "+p.get("services")+"]", services[o.service+".endpoint_url"]
		}
		if v == "" {
			continue
		}
		if *o.dst, err = parseEndpointURL(name, v); err != nil {
			return ec, err
		}
	}
	return ec, nil
}

// boolSetting reads an SDK boolean: the variable, "true" or "false" in any
// case, anything else an error; else the profile's key, where the SDK takes
// "true" in any case as true and anything else as false.
func boolSetting(getenv func(string) string, p profile, env, key string) (bool, error) {
	switch v := strings.ToLower(getenv(env)); v {
	case "":
		return strings.EqualFold(p.get(key), "true"), nil
	case "true", "false":
		return v == "true", nil
	}
	return false, fmt.Errorf("%s is %s, want true or false", env, shortQuote(getenv(env)))
}

// parseMaxAttempts reads AWS_MAX_ATTEMPTS (base 10) or a profile's
// max_attempts (base 0, as the SDK parses it): 0 or unset is the default,
// 3; a negative number is the SDK's "no limit", which here still ends at
// the run's deadline.
func parseMaxAttempts(name, v string, base int) (int, error) {
	n, err := strconv.ParseInt(cmp.Or(v, "0"), base, 32)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s is %s, want a whole number", name, shortQuote(v))
	case n == 0:
		return defaultMaxAttempts, nil
	case n < 0:
		return math.MaxInt32, nil
	}
	return int(n), nil
}

// awsClient builds the run's client for ECR and STS.
func (in *invocation) awsClient() (*awsClient, error) {
	hc, err := newAWSHTTPClient(in.cfg.caBundle, in.cfg.certFile)
	if err != nil {
		return nil, err
	}
	warn := func(msg string) { fmt.Fprintln(in.stderr, "ecr-credential-provider: "+msg) }
	return &awsClient{http: hc, maxAttempts: in.cfg.maxAttempts, clock: in.clk, warn: warn}, nil
}

// registryLogin is the login every mode shares, for one image or registry
// host: the configuration read once, then login. The helper's modes pass
// no pod (no service-account token): the node's credential chain answers.
func registryLogin(ctx context.Context, getenv func(string) string, clk *clock, stderr io.Writer, image string, pod podIdentity) (registry, registryAuth, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return registry{}, registryAuth{}, err
	}
	in := &invocation{cfg: cfg, clk: clk, stderr: stderr}
	return in.login(ctx, image, pod, &chainTrace{})
}

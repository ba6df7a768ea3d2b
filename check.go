package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// check, the operator's self-test: for each image, what kubelet would
// hand to which provider, and what this program would make of it. It never
// prints a secret: not the config's env values, not a credential.

// providerName is how check knows this program in a config: kubelet runs
// BIN_DIR/NAME for a provider named NAME, and this is the binary's name
// (README "Install on a node"). A fixed name, not argv[0], keeps the
// verdict the same however check is started.
const providerName = "ecr-credential-provider"

// recommendedGlobs are the README's matchImages: one glob per registry
// host form, since kubelet's "*" never spans a dot (SPEC §8).
var recommendedGlobs = []string{
	"*.dkr.ecr.*.amazonaws.com", "*.dkr.ecr-fips.*.amazonaws.com", "*.dkr-ecr.*.on.aws",
	"*.dkr-ecr-fips.*.on.aws", "*.dkr.ecr.*.amazonaws.com.cn", "*.dkr-ecr.*.on.amazonwebservices.com.cn",
	"*.dkr.ecr.*.amazonaws.eu", "*.dkr.ecr.*.c2s.ic.gov", "*.dkr.ecr-fips.*.c2s.ic.gov",
	"*.dkr.ecr.*.sc2s.sgov.gov", "*.dkr.ecr-fips.*.sc2s.sgov.gov", "*.dkr.ecr.*.cloud.adc-e.uk",
	"*.dkr.ecr-fips.*.cloud.adc-e.uk", "*.dkr.ecr.*.csp.hci.ic.gov", "*.dkr.ecr-fips.*.csp.hci.ic.gov",
	"*.dkr-ecr.*.on.amazonwebservices.eu", "*.dkr-ecr.*.on.aws.ic.gov", "*.dkr-ecr.*.on.aws.scloud",
	"*.dkr-ecr.*.on.cloud-aws.adc-e.uk", "*.dkr-ecr.*.on.aws.hci.ic.gov",
	"public.ecr.aws", "ecr-public.aws.com",
}

const checkUsage = `usage: ecr-credential-provider check [--config PATH] [--offline] [--json] IMAGE...

For each IMAGE: the name kubelet sends to plugins, every provider whose
matchImages glob matches it, this program's registry, region and ECR API
endpoint for it, the credential source the chain uses (and why each
earlier one had nothing), and the result of the real call: the user name,
expiry and cacheDuration kubelet would get, never the password. The
provider's env is applied as kubelet applies it. --config names kubelet's
--image-credential-provider-config (a file, or a directory of them); a
config kubelet would refuse is reported problem by problem. Without it,
the README's recommended matchImages are used. --json prints one JSON
object per image per line. --offline makes no network request and runs no
credential_process: the calls the chain would make are listed instead.

Exit codes: 0 every image would get credentials from this program, 1 one
would not, 2 usage error or a config kubelet would refuse.
`

// checkResult is check's verdict on one image; --json prints it as is.
type checkResult struct {
	Image            string       `json:"image"`
	KubeletImage     string       `json:"kubeletImage"`
	Matches          []checkMatch `json:"matches"`
	Registry         string       `json:"registry"`
	Partition        string       `json:"partition"`
	Region           string       `json:"region"`
	Endpoint         string       `json:"endpoint"`
	CredentialSource string       `json:"credentialSource"`
	Skipped          []string     `json:"skipped"` // earlier sources, each with why it had nothing
	Calls            []string     `json:"calls"`   // the chain's calls, made or (offline) to be made
	PodMode          string       `json:"podMode,omitempty"`
	AuthKey          string       `json:"authKey,omitempty"` // what a real call gave kubelet, never the password
	Username         string       `json:"username,omitempty"`
	ExpiresAt        string       `json:"expiresAt,omitempty"`
	CacheDuration    string       `json:"cacheDuration,omitempty"`
	OK               bool         `json:"ok"`
	Error            string       `json:"error"`
}

type checkMatch struct {
	Provider string `json:"provider"`
	Glob     string `json:"glob"` // the provider's first glob that matches, the one kubelet stops at
}

// runCheck runs "ecr-credential-provider check ARGS"; it returns the exit code.
func runCheck(args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", "", "")
	offline := fs.Bool("offline", false, "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err == flag.ErrHelp {
		fmt.Fprint(stdout, checkUsage)
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "ecr-credential-provider: check: %s\n%s", oneLine(err.Error()), checkUsage)
		return 2
	}
	providers := []credentialProvider{{Name: providerName, MatchImages: recommendedGlobs}}
	header := "no --config: matching with the README's recommended matchImages, as provider " + providerName
	if *configPath != "" {
		var problems []string
		if providers, problems = readProviderConfig(*configPath); len(problems) > 0 {
			fmt.Fprintf(stderr, "ecr-credential-provider: kubelet would refuse to start with the config %s:\n", *configPath)
			for _, p := range problems {
				fmt.Fprintln(stderr, "  "+oneLine(p))
			}
			return 2
		}
		header = fmt.Sprintf("config %s: %d provider(s), accepted by kubelet's rules (its bin dir is not checked)", *configPath, len(providers))
	}
	if !*asJSON {
		fmt.Fprintln(stdout, oneLine(header))
	}
	code := 0
	for _, image := range fs.Args() {
		r := checkImage(image, providers, getenv, *offline, stderr, now)
		if line, _ := json.Marshal(r); *asJSON {
			fmt.Fprintf(stdout, "%s\n", line)
		} else {
			printCheckResult(stdout, r)
		}
		if !r.OK {
			code = 1
		}
	}
	return code
}

// checkImage judges one image against the providers.
func checkImage(image string, providers []credentialProvider, getenv func(string) string, offline bool, stderr io.Writer, now func() time.Time) checkResult {
	r := checkResult{Image: image, Matches: []checkMatch{}}
	kimage, err := kubeletImage(image)
	if err != nil {
		r.Error = "kubelet fails the pull without running any provider: " + err.Error()
		return r
	}
	r.KubeletImage = kimage
	var ours *credentialProvider
	for i, p := range providers {
		if p.Name == providerName {
			ours = &providers[i]
		}
		if j := slices.IndexFunc(p.MatchImages, func(g string) bool { ok, _ := globMatch(g, kimage); return ok }); j >= 0 {
			r.Matches = append(r.Matches, checkMatch{p.Name, p.MatchImages[j]})
		}
	}
	err = r.view(providerEnv(ours, getenv), ours, offline, stderr, now)
	switch {
	case ours == nil:
		r.Error = "no provider is named " + providerName + ": kubelet runs BIN_DIR/NAME, so this program's provider must be named after its file"
	case !slices.ContainsFunc(r.Matches, func(m checkMatch) bool { return m.Provider == providerName }):
		r.Error = fmt.Sprintf("no matchImages glob of provider %s matches %s: %s", providerName, kimage, suggestGlob(kimage))
	case err != nil:
		r.Error = err.Error()
	}
	r.OK = r.Error == ""
	return r
}

// providerEnv is the environment kubelet gives the provider's process:
// its own, with the config's env on top, the last entry of a name winning.
func providerEnv(p *credentialProvider, getenv func(string) string) func(string) string {
	var vars []execEnvVar
	if p != nil {
		vars = p.Env
	}
	return func(name string) string {
		for i := len(vars) - 1; i >= 0; i-- {
			if vars[i].Name == name {
				return vars[i].Value
			}
		}
		return getenv(name)
	}
}

// view fills in this program's reading of the image, as a run for it
// would make it (main.go's login): registry, endpoint, and the credential
// chain's trace; then, unless offline, the real call, of which it keeps
// what kubelet would be given but the password.
func (r *checkResult) view(env func(string) string, p *credentialProvider, offline bool, stderr io.Writer, now func() time.Time) error {
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	reg, err := parseRegistry(r.KubeletImage, cfg.region)
	if err != nil {
		return err
	}
	r.Registry, r.Partition, r.Region = reg.host, reg.partition.name, reg.region
	if r.Endpoint, _, _, err = ecrEndpoint(reg, cfg.endpoints); err != nil {
		return err
	}
	if p != nil && p.TokenAttributes != nil {
		r.PodMode = podMode(cfg, *p.TokenAttributes)
	}
	ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
	defer cancel()
	in := &invocation{cfg: cfg, clk: &clock{now: now}, stderr: stderr}
	trace := &chainTrace{offline: offline}
	defer func() { r.CredentialSource, r.Skipped, r.Calls = trace.source, trace.skipped, trace.calls }()
	if offline {
		client, err := in.awsClient()
		if err == nil {
			_, err = in.findCredentials(ctx, podIdentity{}, reg, client, trace)
		}
		return err
	}
	_, auth, err := in.login(ctx, r.KubeletImage, podIdentity{}, trace)
	if err == nil {
		r.AuthKey, r.Username, r.CacheDuration = reg.host, auth.username, cacheDuration(auth.expires, in.clk.Now())
		r.ExpiresAt = auth.expires.UTC().Format(time.RFC3339)
	}
	return err
}

// podMode says what a run with a pod's service-account token would do
// (KEP-4412): which annotations name the role, and that kubelet sends only
// the annotations the config lists.
func podMode(cfg config, t tokenAttributes) string {
	listed := append(slices.Clone(t.RequiredServiceAccountAnnotationKeys), t.OptionalServiceAccountAnnotationKeys...)
	var keys []string
	for _, k := range podRoleAnnotations {
		if !slices.Contains(listed, k) {
			k += " (not in the config's annotation keys: kubelet will not send it)"
		}
		keys = append(keys, k)
	}
	return fmt.Sprintf("with a pod's service-account token: the role named by annotation %s, else AWS_ECR_ROLE_ARN (%s), is assumed with STS AssumeRoleWithWebIdentity; without one, the node's credentials below",
		strings.Join(keys, ", else "), cmp.Or(cfg.ecrRoleARN, "unset"))
}

// suggestGlob names the README glob, with the image's port if it has
// one, that would match image, or says why none can.
func suggestGlob(image string) string {
	host, _, _ := strings.Cut(image, "/")
	_, port := splitURLHost(host)
	for _, g := range recommendedGlobs {
		if port != "" {
			g += ":" + port
		}
		if ok, _ := globMatch(g, image); ok {
			return fmt.Sprintf("add %q to its matchImages", g)
		}
	}
	return "no glob of the README matches it, so it is no ECR registry host (for a mirror, add its host, port included, and set AWS_REGION)"
}

// printCheckResult writes one image's block for a person to read.
func printCheckResult(w io.Writer, r checkResult) {
	lines := [][2]string{{"image", r.Image}, {"kubelet sends", r.KubeletImage}}
	for _, m := range r.Matches {
		this := map[bool]string{true: " (this program)"}[m.Provider == providerName]
		lines = append(lines, [2]string{"matched by", fmt.Sprintf("%s%s, glob %q", m.Provider, this, m.Glob)})
	}
	if r.Registry != "" {
		lines = append(lines, [2]string{"registry", fmt.Sprintf("%s (partition %s, region %s)", r.Registry, r.Partition, r.Region)},
			[2]string{"ECR API", r.Endpoint})
	}
	for _, s := range r.Skipped {
		lines = append(lines, [2]string{"skipped", s})
	}
	lines = append(lines, [2]string{"credentials", r.CredentialSource})
	for _, s := range r.Calls {
		lines = append(lines, [2]string{"call", s})
	}
	if r.AuthKey != "" {
		lines = append(lines, [2]string{"kubelet gets", fmt.Sprintf("auth for %s, user %s, token expiring %s, cacheDuration %s", r.AuthKey, r.Username, r.ExpiresAt, r.CacheDuration)})
	}
	lines = append(lines, [2]string{"per-pod mode", r.PodMode}, [2]string{"verdict", "ok"})
	if !r.OK {
		lines[len(lines)-1][1] = "FAIL: " + r.Error
	}
	fmt.Fprintln(w)
	for _, l := range lines {
		if l[1] != "" {
			fmt.Fprintf(w, "%-14s %s\n", l[0], oneLine(l[1]))
		}
	}
}

package main

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file maps the image kubelet names (untrusted input) to a registry
// and to the AWS API endpoints that serve it (SPEC §1, §2, §7). The only
// hosts it ever builds are AWS's own ECR, ECR Public and STS endpoints,
// from a validated region and a fixed partition table, or an endpoint the
// operator configured: text from the image never reaches a URL.

// maxImageLen bounds the image string; kubelet's own references are far
// shorter, and the bound keeps errors and parsing work small.
const maxImageLen = 4096

// partition is an AWS partition: the DNS suffixes of its API endpoints
// (SPEC §2 table).
type partition struct {
	name            string // "aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"
	dnsSuffix       string // "amazonaws.com"
	dualStackSuffix string // "api.aws"
}

// partitions maps region prefixes to partitions, most specific first; the
// last entry, with no prefix, is the commercial partition (SPEC §2 table).
var partitions = [...]struct {
	prefix string
	p      partition
}{
	{"us-gov-", partition{"aws-us-gov", "amazonaws.com", "api.aws"}},
	{"us-isob-", partition{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"}},
	{"us-isof-", partition{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"}},
	{"us-iso-", partition{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"}},
	{"eu-isoe-", partition{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"}},
	{"cn-", partition{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"}},
	{"eusc-", partition{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"}},
	{"", partition{"aws", "amazonaws.com", "api.aws"}},
}

// dualStackRegistrySuffix is where a partition's dual-stack (IPv6)
// registry names (dkr-ecr…) live: "on." and the dual-stack API suffix
// without its "api." (on.aws, on.amazonwebservices.com.cn, and for the
// ISO and EUSC partitions on.aws.ic.gov, on.aws.scloud, on.aws.hci.ic.gov,
// on.cloud-aws.adc-e.uk, on.amazonwebservices.eu, as the ECS agent's
// registry patterns name them; SPEC §2).
func dualStackRegistrySuffix(p partition) string {
	return "on." + strings.TrimPrefix(p.dualStackSuffix, "api.")
}

// registry is what an image's host names: the key kubelet matches the
// credentials against, and what the ECR API call needs.
type registry struct {
	host      string    // the auth key: host[:port] exactly as the image names it
	account   string    // 12 digits for private ECR, "" otherwise
	region    string    // validated region name
	partition partition // of region
	fips      bool      // host is a dkr.ecr-fips / dkr-ecr-fips name
	dualStack bool      // host is a dkr-ecr…on.aws / on.amazonwebservices.com.cn name
	public    bool      // ECR Public (public.ecr.aws, ecr-public.aws.com); region us-east-1
	mirror    bool      // not an ECR host: treated as the default region's private ECR
}

// privateHostSuffixes are the DNS suffixes of private registry names
// (SPEC §2 table): each partition's dnsSuffix and dual-stack suffix.
var privateHostSuffixes = [...]string{
	"amazonaws.com", "amazonaws.com.cn", "amazonaws.eu", "on.aws", "on.amazonwebservices.com.cn",
	"sc2s.sgov.gov", "c2s.ic.gov", "cloud.adc-e.uk", "csp.hci.ic.gov", "on.aws.ic.gov", "on.aws.scloud",
	"on.aws.hci.ic.gov", "on.cloud-aws.adc-e.uk", "on.amazonwebservices.eu",
}

// lookalikeParts and lookalikeSuffixes mark a host that failed the ECR
// grammar yet names AWS: such a host is a typo or an attack, never a mirror.
var (
	lookalikeParts    = []string{"amazonaws", "amazonwebservices", "dkr.ecr", "dkr-ecr", "ecr-public", "public.ecr"}
	lookalikeSuffixes = []string{".aws", ".aws.com", ".ic.gov", ".sgov.gov", ".adc-e.uk"}
)

// parseRegistry classifies the registry of image. defaultRegion is the
// operator's AWS_REGION (else AWS_DEFAULT_REGION), "" when unset.
func parseRegistry(image, defaultRegion string) (registry, error) {
	if len(image) > maxImageLen {
		return registry{}, fmt.Errorf("invalid image: %d bytes, more than %d", len(image), maxImageLen)
	}
	host, name, err := splitImage(image)
	if err != nil {
		return registry{}, err
	}
	if h, ok := parsePrivateHost(name); ok {
		return privateRegistry(host, h)
	}
	// SPEC §2: exactly these two names are ECR Public, whatever the port.
	// ecr-public.aws.com is ECR Public's dual-stack name, and chooses the
	// dual-stack API endpoint as dkr-ecr hosts do.
	if name == "public.ecr.aws" || name == "ecr-public.aws.com" {
		return registry{host: host, region: "us-east-1", partition: partitionOf("us-east-1"), public: true, dualStack: name == "ecr-public.aws.com"}, nil
	}
	return mirrorRegistry(host, name, defaultRegion)
}

// splitImage checks image and returns its host (host[:port]) and the host
// name without the port. Only the host decides anything; the repository is
// checked so that a malformed reference is refused as a whole.
func splitImage(image string) (host, name string, err error) {
	// Kubelet strips https:// from auth keys (SPEC §1), so an image may carry
	// it; any other scheme, or another case, is not a registry host.
	rest := strings.TrimPrefix(image, "https://")
	host, repo, hasRepo := strings.Cut(rest, "/")
	name, err = checkHost(host)
	if err != nil {
		return "", "", err
	}
	if hasRepo && !validRepository(repo) {
		return "", "", fmt.Errorf("invalid repository %s in image for registry %s", shortQuote(repo), shortQuote(host))
	}
	return host, name, nil
}

// checkHost validates host ("name[:port]") and returns the name: lowercase
// LDH DNS labels or a dotted IPv4 address, and an optional decimal port.
func checkHost(host string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid registry host %s: %s", shortQuote(host), why)
	}
	if host == "" {
		return "", bad("empty")
	}
	// One allow-list check refuses uppercase, userinfo, %-escapes, IPv6
	// brackets, whitespace, control and non-ASCII bytes, `\`, `?` and `#`.
	if i := slices.IndexFunc([]byte(host), func(c byte) bool { return !isLowerAlnum(c) && c != '.' && c != '-' && c != ':' }); i >= 0 {
		return "", bad(fmt.Sprintf("character %q not allowed (want lowercase a-z, 0-9, '.', '-' and a :port)", host[i]))
	}
	name, port, hasPort := strings.Cut(host, ":")
	if hasPort && !validPort(port) {
		return "", bad("port must be a decimal number from 1 to 65535")
	}
	if !isIPv4(name) {
		if why := checkDNSName(name); why != "" {
			return "", bad(why)
		}
	}
	return name, nil
}

// checkDNSName returns why name is not a lowercase LDH host name, or "".
func checkDNSName(name string) string {
	if len(name) > 253 {
		return "name longer than 253 bytes"
	}
	labels := strings.Split(name, ".")
	if slices.ContainsFunc(labels, func(l string) bool { return !validLabel(l) }) {
		return "each label must be 1-63 of a-z, 0-9 and inner '-'"
	}
	if isNumericLabel(labels[len(labels)-1]) {
		return "numeric last label: only a dotted-quad IPv4 address may end in a number"
	}
	return ""
}

// isIPv4 reports whether s is a dotted-quad IPv4 address in canonical
// decimal (no leading zeros, which some parsers read as octal).
func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	return len(parts) == 4 && !slices.ContainsFunc(parts, func(p string) bool {
		n, err := strconv.Atoi(p)
		return err != nil || n > 255 || len(p) > 3 || len(p) > 1 && p[0] == '0'
	})
}

// validPort reports whether s is a port 1-65535 written in plain decimal,
// with no sign or leading zero: kubelet compares ports as strings (SPEC §1).
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' || !allBytes(s, isDigit) {
		return false
	}
	n, _ := strconv.Atoi(s)
	return n <= 65535
}

// privateRegistry builds the registry of a host whose name parsed as h,
// once its region is valid and its DNS suffix belongs to that region's
// partition (cn-north-1 is never served under amazonaws.com).
func privateRegistry(host string, h privateHost) (registry, error) {
	if !validRegion(h.region) {
		return registry{}, fmt.Errorf("invalid registry host %s: %s is not an AWS region", shortQuote(host), shortQuote(h.region))
	}
	// A dkr-ecr name lives under the partition's dual-stack suffix and a
	// dkr.ecr name under its DNS suffix: no AWS source names the mixed
	// forms (dkr-ecr…amazonaws.com, dkr.ecr…on.aws).
	p, kind, want := partitionOf(h.region), "dkr.ecr", partitionOf(h.region).dnsSuffix
	if h.sep == "-" {
		kind, want = "dkr-ecr", dualStackRegistrySuffix(p)
	}
	if h.suffix != want {
		return registry{}, fmt.Errorf("invalid registry host %s: region %s is in partition %s, whose %s registries are under %s, not %s",
			shortQuote(host), h.region, p.name, kind, want, h.suffix)
	}
	return registry{
		host:      host,
		account:   h.account,
		region:    h.region,
		partition: p,
		fips:      h.fips != "",
		dualStack: h.sep == "-",
	}, nil
}

// mirrorRegistry treats any other host as the default region's private
// ECR, as upstream does for pull-through caches and mirrors (SPEC §2). The
// host is never contacted: only its name is returned as the auth key.
func mirrorRegistry(host, name, defaultRegion string) (registry, error) {
	if looksLikeAWS(name) {
		return registry{}, fmt.Errorf("invalid registry host %s: looks like an AWS host but is not an ECR registry name", shortQuote(host))
	}
	if defaultRegion == "" {
		return registry{}, fmt.Errorf("registry %s is not an ECR registry: set AWS_REGION to use it as a mirror or pull-through cache of that region's ECR",
			shortQuote(host))
	}
	if !validRegion(defaultRegion) {
		return registry{}, fmt.Errorf("invalid default region %s for mirror %s: not an AWS region name", shortQuote(defaultRegion), shortQuote(host))
	}
	return registry{host: host, region: defaultRegion, partition: partitionOf(defaultRegion), mirror: true}, nil
}

// looksLikeAWS reports whether name uses an AWS or ECR domain or label.
func looksLikeAWS(name string) bool {
	return slices.ContainsFunc(lookalikeParts, func(s string) bool { return strings.Contains(name, s) }) ||
		slices.ContainsFunc(lookalikeSuffixes, func(s string) bool { return strings.HasSuffix("."+name, s) })
}

// validRegion reports whether s is a plausible AWS region name. The SDKs'
// pseudo-regions (aws-global, fips-us-east-1, us-east-1-fips) are not.
func validRegion(s string) bool {
	return regionShape(s) && !strings.HasPrefix(s, "fips-")
}

// partitionOf returns the partition of a (valid) region.
func partitionOf(region string) partition {
	for _, e := range partitions {
		if strings.HasPrefix(region, e.prefix) {
			return e.p
		}
	}
	panic("unreachable: the last partition entry matches every region")
}

// endpointConfig is what the operator set, in the environment or the
// profile (already validated and resolved by the caller, SPEC §5).
type endpointConfig struct {
	useFIPS, useDualStack bool // AWS_USE_FIPS_ENDPOINT, use_fips_endpoint; likewise dual-stack
	// ecr, ecrPublic and sts are the service's own override:
	// AWS_ENDPOINT_URL_ECR (…_ECR_PUBLIC, …_STS), else the profile's
	// services section; all is AWS_ENDPOINT_URL, else the profile's
	// endpoint_url. "" = unset.
	ecr, ecrPublic, sts, all string
}

// forPods is the configuration for calls made with the whole
// configuration, as upstream's per-pod STS client is: there the general
// endpoint moves STS too.
func (ec endpointConfig) forPods() endpointConfig {
	ec.sts = firstSet(ec.sts, ec.all)
	return ec
}

// customEndpoint returns override, refusing it beside FIPS or dual-stack
// switched on by the operator, as the SDK's endpoint rules do: the operator
// must choose. (A registry host's own FIPS or dual-stack hint does not count:
// it only names the default.)
func customEndpoint(service, override string, ec endpointConfig) (string, error) {
	if ec.useFIPS || ec.useDualStack {
		return "", fmt.Errorf("%s: a custom endpoint is set together with FIPS or dual-stack endpoints, which the AWS SDKs do not allow (unset one of them)", service)
	}
	return override, nil
}

// ecrEndpoint returns the URL of the ECR API for r, plus the SigV4 signing
// region and service ("ecr" or "ecr-public").
//
// Hostnames follow the endpoint rule sets of the current AWS SDK models
// (aws/api-models-aws, smithy.rules#endpointRuleSet of
// ecr-2015-09-21.json and ecr-public-2020-10-30.json). ECR, in every
// partition: api.ecr.{region}.{dnsSuffix}, FIPS
// api.ecr-fips.{region}.{dnsSuffix}, dual-stack
// ecr.{region}.{dualStackDnsSuffix}, both
// ecr-fips.{region}.{dualStackDnsSuffix}. ECR Public (us-east-1 only):
// api.ecr-public.us-east-1.amazonaws.com, FIPS
// api.ecr-public-fips.us-east-1.amazonaws.com, dual-stack (aws partition
// rule) ecr-public.us-east-1.api.aws, both
// api.ecr-public-fips.us-east-1.api.aws.
//
// An operator override wins over the host's FIPS and dual-stack hints;
// beside FIPS or dual-stack switched on by the operator it is an error, as
// in the SDKs.
func ecrEndpoint(r registry, ec endpointConfig) (endpoint, signingRegion, service string, err error) {
	name, override, signingRegion, service := "ECR", firstSet(ec.ecr, ec.all), r.region, "ecr"
	if r.public {
		name, override, signingRegion, service = "ECR Public", firstSet(ec.ecrPublic, ec.all), "us-east-1", "ecr-public"
	}
	if override != "" {
		endpoint, err = customEndpoint(name, override, ec)
		return endpoint, signingRegion, service, err
	}
	// SPEC §2: the host's -fips and dkr-ecr…on.aws hints count, as users
	// asked (an ECR Public host is never a FIPS one).
	fips, dual := r.fips || ec.useFIPS, r.dualStack || ec.useDualStack
	host, suffix := "api."+service, r.partition.dnsSuffix
	if dual {
		host, suffix = service, r.partition.dualStackSuffix
	}
	switch {
	case fips && r.public:
		host = "api.ecr-public-fips" // dual-stack too: ECR Public keeps "api."
	case fips:
		host += "-fips"
	}
	// ECR Public lives only in us-east-1, r.region of every public registry.
	return "https://" + host + "." + r.region + "." + suffix, signingRegion, service, nil
}

// stsEndpoint returns the regional STS endpoint URL for region, which must
// satisfy validRegion (SPEC §7: regional endpoints are the SDK default).
//
// Per the STS endpoint rule set (botocore sts/2011-06-15
// endpoint-rule-set-1.json, with UseGlobalEndpoint false): sts.{region}.
// {dnsSuffix}, FIPS sts-fips.{region}.{dnsSuffix} except in aws-us-gov,
// whose regional endpoint is already FIPS (sts.{region}.amazonaws.com),
// dual-stack sts.{region}.{dualStackDnsSuffix}, both
// sts-fips.{region}.{dualStackDnsSuffix} (us-gov included).
//
// Only ec.sts overrides it (see chain.stsTarget and forPods).
func stsEndpoint(region string, ec endpointConfig) (string, error) {
	if ec.sts != "" {
		return customEndpoint("STS", ec.sts, ec)
	}
	p, host, suffix := partitionOf(region), "sts", partitionOf(region).dnsSuffix
	if ec.useDualStack {
		suffix = p.dualStackSuffix
	}
	if ec.useFIPS && (ec.useDualStack || p.name != "aws-us-gov") {
		host = "sts-fips"
	}
	return "https://" + host + "." + region + "." + suffix, nil
}

// parseEndpointURL validates an operator endpoint override: an absolute
// http or https URL with a host, no userinfo, query or fragment, and a path
// of "" or "/". It returns the URL without a trailing slash. name is the
// environment variable, for the error.
func parseEndpointURL(name, value string) (string, error) {
	// The value is never quoted: its userinfo, path or query may carry a
	// password or token. The variable and what is wrong say enough.
	bad := func(why string) error {
		return fmt.Errorf("invalid %s: %s", name, why)
	}
	// Refused before parsing, because url.Parse would accept and reshape them.
	if i := slices.IndexFunc([]byte(value), func(c byte) bool { return c <= ' ' || c >= 0x7f || strings.IndexByte(`@?#%\`, c) >= 0 }); i >= 0 {
		return "", bad(fmt.Sprintf("character %q not allowed (want scheme://host[:port] with no userinfo, query or fragment)", value[i]))
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" {
		return "", bad("want an absolute http:// or https:// URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", bad("no host")
	}
	if strings.HasSuffix(u.Host, ":") || u.Port() != "" && !validPort(u.Port()) {
		return "", bad("port must be a decimal number from 1 to 65535")
	}
	if u.Path != "" && u.Path != "/" {
		return "", bad("a path is not allowed")
	}
	return u.Scheme + "://" + u.Host, nil
}

// The grammars below are hand-written matchers, not regexps: package regexp
// would add over 100 KB to a binary whose size the Makefile bounds. Each
// names the regexp it equals, and FuzzMatchersAgreeWithRegexp checks that.

// privateHost is the parts of a private registry name (SPEC §2).
type privateHost struct {
	account string // 12 digits
	sep     string // "." or "-" (dual-stack)
	fips    string // "-fips" or ""
	region  string // not yet validated
	suffix  string // one of privateHostSuffixes
}

// parsePrivateHost splits name by upstream's private registry pattern
// (SPEC §2), made lowercase-only and without "_" in the region:
//
//	^([0-9]{12})\.dkr([.-])ecr(-fips)?\.([a-z0-9][a-z0-9-]*)\.(SUFFIX)$
//
// with SUFFIX one of privateHostSuffixes. The region holds no ".", so the
// first "." after it starts the suffix.
func parsePrivateHost(name string) (privateHost, bool) {
	var h privateHost
	if len(name) < 12 || !allBytes(name[:12], isDigit) {
		return privateHost{}, false
	}
	h.account = name[:12]
	rest, ok := strings.CutPrefix(name[12:], ".dkr")
	if !ok || rest == "" || rest[0] != '.' && rest[0] != '-' {
		return privateHost{}, false
	}
	h.sep = rest[:1]
	if rest, ok = strings.CutPrefix(rest[1:], "ecr"); !ok {
		return privateHost{}, false
	}
	if r, ok := strings.CutPrefix(rest, "-fips"); ok {
		h.fips, rest = "-fips", r
	}
	if rest, ok = strings.CutPrefix(rest, "."); !ok {
		return privateHost{}, false
	}
	h.region, h.suffix, _ = strings.Cut(rest, ".")
	if h.region == "" || h.region[0] == '-' || !allBytes(h.region, isLDH) ||
		!slices.Contains(privateHostSuffixes[:], h.suffix) {
		return privateHost{}, false
	}
	return h, true
}

// validRepository reports whether repo, the part of an image after the
// host, follows the docker reference grammar (distribution/reference):
//
//	^COMPONENT(?:/COMPONENT)*(?::TAG)?(?:@DIGEST)?$
//	COMPONENT = [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*
//	TAG       = [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//	DIGEST    = [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}
//
// No part before the "@" holds an "@", and none before the ":" a ":", so
// cutting at the first of each finds the digest and the tag.
func validRepository(repo string) bool {
	rest, digest, hasDigest := strings.Cut(repo, "@")
	path, tag, hasTag := strings.Cut(rest, ":")
	if hasDigest && !validDigest(digest) || hasTag && !validTag(tag) {
		return false
	}
	for component := range strings.SplitSeq(path, "/") {
		if !validPathComponent(component) {
			return false
		}
	}
	return true
}

// validPathComponent reports whether c is [a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*:
// runs of a-z0-9, each pair joined by ".", "_", "__" or any number of "-".
func validPathComponent(c string) bool {
	if c == "" || !isLowerAlnum(c[0]) || !isLowerAlnum(c[len(c)-1]) {
		return false
	}
	// What lies between the runs of a-z0-9 (any other byte, non-ASCII
	// included, lands there and fails).
	seps := strings.FieldsFunc(c, func(r rune) bool { return r < utf8.RuneSelf && isLowerAlnum(byte(r)) })
	return !slices.ContainsFunc(seps, func(sep string) bool {
		return sep != "." && sep != "_" && sep != "__" && strings.Trim(sep, "-") != ""
	})
}

// validTag reports whether s is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(s string) bool {
	return s != "" && len(s) <= 128 && s[0] != '.' && s[0] != '-' &&
		allBytes(s, func(c byte) bool { return isAlnum(c) || c == '_' || c == '.' || c == '-' })
}

// validDigest reports whether s is
// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}:
// an algorithm of letter-led words joined by one of "-_+.", then the hex.
func validDigest(s string) bool {
	algorithm, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) < 32 || !allBytes(hex, isHex) {
		return false
	}
	words := strings.Split(strings.NewReplacer("-", ".", "_", ".", "+", ".").Replace(algorithm), ".")
	return !slices.ContainsFunc(words, func(w string) bool { return w == "" || !isLetter(w[0]) || !allBytes(w, isAlnum) })
}

// regionShape reports whether s has the shape of every AWS region name so
// far (us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1 …):
//
//	^[a-z]{2,4}(?:-[a-z]{1,16}){1,3}-[0-9]{1,2}$
func regionShape(s string) bool {
	parts := strings.Split(s, "-")
	n := len(parts)
	if n < 3 || n > 5 {
		return false
	}
	if first := parts[0]; len(first) < 2 || len(first) > 4 || !allBytes(first, isLower) {
		return false
	}
	if slices.ContainsFunc(parts[1:n-1], func(p string) bool { return p == "" || len(p) > 16 || !allBytes(p, isLower) }) {
		return false
	}
	last := parts[n-1]
	return last != "" && len(last) <= 2 && allBytes(last, isDigit)
}

// validLabel reports whether l is one lowercase LDH DNS label (RFC 1123):
//
//	^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$
func validLabel(l string) bool {
	return l != "" && len(l) <= 63 && l[0] != '-' && l[len(l)-1] != '-' && allBytes(l, isLDH)
}

// isNumericLabel reports whether a last label is one that URL parsers read
// as a number, making the name an IPv4 address in disguise (2130706433,
// 127.1, 0x7f.1):
//
//	^(?:[0-9]+|0x[0-9a-f]*)$
func isNumericLabel(l string) bool {
	if hex, ok := strings.CutPrefix(l, "0x"); ok {
		return allBytes(hex, func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' })
	}
	return l != "" && allBytes(l, isDigit)
}

// allBytes reports whether allowed holds for every byte of s (true for "").
func allBytes(s string, allowed func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			return false
		}
	}
	return true
}

// isDigit reports whether c is in [0-9].
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isLower reports whether c is in [a-z].
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// isLetter reports whether c is in [A-Za-z].
func isLetter(c byte) bool { return isLower(c) || 'A' <= c && c <= 'Z' }

// isAlnum reports whether c is in [A-Za-z0-9].
func isAlnum(c byte) bool { return isLetter(c) || isDigit(c) }

// isLowerAlnum reports whether c is in [a-z0-9].
func isLowerAlnum(c byte) bool { return isLower(c) || isDigit(c) }

// isLDH reports whether c is in [a-z0-9-], a lowercase DNS label's bytes.
func isLDH(c byte) bool { return isLowerAlnum(c) || c == '-' }

// isHex reports whether c is in [0-9a-fA-F].
func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

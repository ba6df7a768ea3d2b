package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The partitions as SPEC §2 tabulates them, written out again here so the
// table in match.go is checked against the SPEC rather than against itself.
var (
	pAWS  = partition{"aws", "amazonaws.com", "api.aws"}
	pGov  = partition{"aws-us-gov", "amazonaws.com", "api.aws"}
	pCN   = partition{"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"}
	pISO  = partition{"aws-iso", "c2s.ic.gov", "api.aws.ic.gov"}
	pISOB = partition{"aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"}
	pISOE = partition{"aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"}
	pISOF = partition{"aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"}
	pEUSC = partition{"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"}
)

const acct = "123456789012"

func TestParseRegistry(t *testing.T) {
	priv := func(host, region string, p partition, fips, dual bool) registry {
		return registry{host: host, account: acct, region: region, partition: p, fips: fips, dualStack: dual}
	}
	pubDual := func(host string) registry {
		return registry{host: host, region: "us-east-1", partition: pAWS, public: true, dualStack: true}
	}
	pub := func(host string) registry {
		return registry{host: host, region: "us-east-1", partition: pAWS, public: true}
	}
	mirror := func(host, region string, p partition) registry {
		return registry{host: host, region: region, partition: p, mirror: true}
	}
	tests := []struct {
		image, region string
		want          registry
		endpoint      string // ecrEndpoint with no operator settings
	}{
		// Every partition, plain and (where it has them) FIPS and dual-stack hosts.
		{acct + ".dkr.ecr.us-east-1.amazonaws.com/team/app", "",
			priv(acct+".dkr.ecr.us-east-1.amazonaws.com", "us-east-1", pAWS, false, false), "https://api.ecr.us-east-1.amazonaws.com"},
		{acct + ".dkr.ecr-fips.us-east-1.amazonaws.com/team/app", "",
			priv(acct+".dkr.ecr-fips.us-east-1.amazonaws.com", "us-east-1", pAWS, true, false), "https://api.ecr-fips.us-east-1.amazonaws.com"},
		{acct + ".dkr-ecr.us-east-1.on.aws/team/app", "",
			priv(acct+".dkr-ecr.us-east-1.on.aws", "us-east-1", pAWS, false, true), "https://ecr.us-east-1.api.aws"},
		{acct + ".dkr-ecr-fips.us-east-1.on.aws/team/app", "",
			priv(acct+".dkr-ecr-fips.us-east-1.on.aws", "us-east-1", pAWS, true, true), "https://ecr-fips.us-east-1.api.aws"},
		{acct + ".dkr.ecr.ap-southeast-5.amazonaws.com/app", "",
			priv(acct+".dkr.ecr.ap-southeast-5.amazonaws.com", "ap-southeast-5", pAWS, false, false), "https://api.ecr.ap-southeast-5.amazonaws.com"},
		{acct + ".dkr.ecr.mx-central-1.amazonaws.com/app", "",
			priv(acct+".dkr.ecr.mx-central-1.amazonaws.com", "mx-central-1", pAWS, false, false), "https://api.ecr.mx-central-1.amazonaws.com"},
		{acct + ".dkr.ecr.us-gov-west-1.amazonaws.com/app", "",
			priv(acct+".dkr.ecr.us-gov-west-1.amazonaws.com", "us-gov-west-1", pGov, false, false), "https://api.ecr.us-gov-west-1.amazonaws.com"},
		{acct + ".dkr.ecr-fips.us-gov-east-1.amazonaws.com/app", "",
			priv(acct+".dkr.ecr-fips.us-gov-east-1.amazonaws.com", "us-gov-east-1", pGov, true, false), "https://api.ecr-fips.us-gov-east-1.amazonaws.com"},
		{acct + ".dkr-ecr.us-gov-west-1.on.aws/app", "",
			priv(acct+".dkr-ecr.us-gov-west-1.on.aws", "us-gov-west-1", pGov, false, true), "https://ecr.us-gov-west-1.api.aws"},
		{acct + ".dkr-ecr-fips.us-gov-west-1.on.aws/app", "",
			priv(acct+".dkr-ecr-fips.us-gov-west-1.on.aws", "us-gov-west-1", pGov, true, true), "https://ecr-fips.us-gov-west-1.api.aws"},
		{acct + ".dkr.ecr.cn-north-1.amazonaws.com.cn/app", "",
			priv(acct+".dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1", pCN, false, false), "https://api.ecr.cn-north-1.amazonaws.com.cn"},
		{acct + ".dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn/app", "",
			priv(acct+".dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", "cn-northwest-1", pCN, false, true),
			"https://ecr.cn-northwest-1.api.amazonwebservices.com.cn"},
		{acct + ".dkr.ecr.us-iso-east-1.c2s.ic.gov/app", "",
			priv(acct+".dkr.ecr.us-iso-east-1.c2s.ic.gov", "us-iso-east-1", pISO, false, false), "https://api.ecr.us-iso-east-1.c2s.ic.gov"},
		{acct + ".dkr.ecr-fips.us-iso-east-1.c2s.ic.gov/app", "",
			priv(acct+".dkr.ecr-fips.us-iso-east-1.c2s.ic.gov", "us-iso-east-1", pISO, true, false), "https://api.ecr-fips.us-iso-east-1.c2s.ic.gov"},
		{acct + ".dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app", "",
			priv(acct+".dkr.ecr.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1", pISOB, false, false), "https://api.ecr.us-isob-east-1.sc2s.sgov.gov"},
		{acct + ".dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app", "",
			priv(acct+".dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", "eu-isoe-west-1", pISOE, false, false), "https://api.ecr.eu-isoe-west-1.cloud.adc-e.uk"},
		{acct + ".dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app", "",
			priv(acct+".dkr.ecr.us-isof-south-1.csp.hci.ic.gov", "us-isof-south-1", pISOF, false, false), "https://api.ecr.us-isof-south-1.csp.hci.ic.gov"},
		{acct + ".dkr.ecr.eusc-de-east-1.amazonaws.eu/app", "",
			priv(acct+".dkr.ecr.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1", pEUSC, false, false), "https://api.ecr.eusc-de-east-1.amazonaws.eu"},
		// The ISO and EUSC partitions' dual-stack names, as the ECS agent's
		// registry patterns give them.
		{acct + ".dkr-ecr.us-iso-east-1.on.aws.ic.gov/app", "",
			priv(acct+".dkr-ecr.us-iso-east-1.on.aws.ic.gov", "us-iso-east-1", pISO, false, true), "https://ecr.us-iso-east-1.api.aws.ic.gov"},
		{acct + ".dkr-ecr.us-isob-east-1.on.aws.scloud/app", "",
			priv(acct+".dkr-ecr.us-isob-east-1.on.aws.scloud", "us-isob-east-1", pISOB, false, true), "https://ecr.us-isob-east-1.api.aws.scloud"},
		{acct + ".dkr-ecr.eu-isoe-west-1.on.cloud-aws.adc-e.uk/app", "",
			priv(acct+".dkr-ecr.eu-isoe-west-1.on.cloud-aws.adc-e.uk", "eu-isoe-west-1", pISOE, false, true), "https://ecr.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
		{acct + ".dkr-ecr.us-isof-south-1.on.aws.hci.ic.gov/app", "",
			priv(acct+".dkr-ecr.us-isof-south-1.on.aws.hci.ic.gov", "us-isof-south-1", pISOF, false, true), "https://ecr.us-isof-south-1.api.aws.hci.ic.gov"},
		{acct + ".dkr-ecr.eusc-de-east-1.on.amazonwebservices.eu/app", "",
			priv(acct+".dkr-ecr.eusc-de-east-1.on.amazonwebservices.eu", "eusc-de-east-1", pEUSC, false, true), "https://ecr.eusc-de-east-1.api.amazonwebservices.eu"},

		// Reference forms: no path, tag, digest, tag and digest, port, https://.
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com/team/app:1.2.3", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + strings.Repeat("ab", 32), "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com/a/b/c:v1_RC-2@sha256:" + strings.Repeat("0f", 32), "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com:443/app", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com:443", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{"https://" + acct + ".dkr.ecr.eu-west-1.amazonaws.com/app", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com/my_app/x__y/a-b--c/v.2", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},
		// A private host whose path names ECR Public is private.
		{acct + ".dkr.ecr.eu-west-1.amazonaws.com/public.ecr.aws/nginx", "",
			priv(acct+".dkr.ecr.eu-west-1.amazonaws.com", "eu-west-1", pAWS, false, false), "https://api.ecr.eu-west-1.amazonaws.com"},

		// ECR Public: both names, with a port, with https://; the default region does not matter.
		{"public.ecr.aws/nginx/nginx", "", pub("public.ecr.aws"), "https://api.ecr-public.us-east-1.amazonaws.com"},
		// ECR Public's dual-stack registry name chooses the dual-stack API.
		{"ecr-public.aws.com/team/app", "eu-west-1", pubDual("ecr-public.aws.com"), "https://ecr-public.us-east-1.api.aws"},
		{"public.ecr.aws:443/nginx/nginx:latest", "", pub("public.ecr.aws:443"), "https://api.ecr-public.us-east-1.amazonaws.com"},
		{"https://public.ecr.aws/nginx", "", pub("public.ecr.aws"), "https://api.ecr-public.us-east-1.amazonaws.com"},
		{"public.ecr.aws", "", pub("public.ecr.aws"), "https://api.ecr-public.us-east-1.amazonaws.com"},

		// Mirrors and pull-through caches: the default region's private ECR.
		{"registry.example.com/team/app", "eu-west-1",
			mirror("registry.example.com", "eu-west-1", pAWS), "https://api.ecr.eu-west-1.amazonaws.com"},
		{"registry.example.com:5000/app:v1", "cn-north-1",
			mirror("registry.example.com:5000", "cn-north-1", pCN), "https://api.ecr.cn-north-1.amazonaws.com.cn"},
		{"localhost/app", "us-gov-west-1",
			mirror("localhost", "us-gov-west-1", pGov), "https://api.ecr.us-gov-west-1.amazonaws.com"},
		{"10.0.0.7:5000/app", "us-west-2",
			mirror("10.0.0.7:5000", "us-west-2", pAWS), "https://api.ecr.us-west-2.amazonaws.com"},
		{"docker.io/library/nginx", "eusc-de-east-1",
			mirror("docker.io", "eusc-de-east-1", pEUSC), "https://api.ecr.eusc-de-east-1.amazonaws.eu"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			got, err := parseRegistry(tt.image, tt.region)
			if err != nil || got != tt.want {
				t.Fatalf("parseRegistry(%q, %q) = %+v, %v, want %+v", tt.image, tt.region, got, err, tt.want)
			}
			if ep, _, _, _ := ecrEndpoint(got, endpointConfig{}); ep != tt.endpoint {
				t.Errorf("ecrEndpoint(parseRegistry(%q)) = %q, want %q", tt.image, ep, tt.endpoint)
			}
		})
	}
}

func TestParseRegistryMirrorNeedsRegion(t *testing.T) {
	for _, region := range []string{"", "us-east-1.evil.com", "US-EAST-1", "aws-global", "evil.com/"} {
		got, err := parseRegistry("registry.example.com/app", region)
		if err == nil || got != (registry{}) {
			t.Errorf("parseRegistry(%q, %q) = %+v, %v, want an error", "registry.example.com/app", region, got, err)
			continue
		}
		if !strings.Contains(err.Error(), `"registry.example.com"`) {
			t.Errorf("parseRegistry(..., %q) error %q does not name the host", region, err)
		}
	}
	_, err := parseRegistry("registry.example.com/app", "")
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("parseRegistry without a region: error %v does not say to set AWS_REGION", err)
	}
}

// TestParseRegistryHostile feeds image strings an attacker could put in a
// pod spec. Each is refused, or, where it is a well-formed name that is
// simply not ECR, is a mirror whose credentials come from the exact AWS
// endpoint of the operator's region: never from a host the image chose.
func TestParseRegistryHostile(t *testing.T) {
	const region = "us-west-2"
	const mirrorEP = "https://api.ecr.us-west-2.amazonaws.com"
	ecr := acct + ".dkr.ecr.us-east-1.amazonaws.com"
	tests := []struct {
		name, image, region string
		endpoint            string // "" means refused
	}{
		{"suffix look-alike", ecr + ".evil.com/app", region, ""},
		{"suffix look-alike, no region", ecr + ".evil.com/app", "", ""},
		{"prefix look-alike", "evil.com." + ecr + "x/app", region, ""},
		{"dual-stack look-alike", acct + ".dkr-ecr.us-east-1.on.aws.evil.com/app", region, ""},
		// Forms no AWS source names: a dual-stack name under the plain
		// suffix, a plain one under the dual-stack suffix.
		{"dkr-ecr under amazonaws.com", acct + ".dkr-ecr.us-west-2.amazonaws.com/app", region, ""},
		{"dkr.ecr under on.aws", acct + ".dkr.ecr.us-west-2.on.aws/app", region, ""},
		{"ISO dual-stack suffix in the wrong partition", acct + ".dkr-ecr.us-west-2.on.aws.ic.gov/app", region, ""},
		{"public look-alike", "public.ecr.aws.evil.com/app", region, ""},
		{"public sub-domain", "evil.public.ecr.aws/app", region, ""},
		{"ecr-public look-alike", "ecr-public.aws.com.evil.com/app", region, ""},
		{"other .aws name", "registry.on.aws/app", region, ""},
		{"iso look-alike", "mirror.c2s.ic.gov/app", region, ""},
		{"13-digit account", "1" + ecr + "/app", region, ""},
		{"11-digit account", ecr[1:] + "/app", region, ""},
		{"invented region", acct + ".dkr.ecr.evil.amazonaws.com/app", region, ""},
		{"region with dots", acct + ".dkr.ecr.us-east-1.evil.amazonaws.com/app", region, ""},
		{"cn region, commercial suffix", acct + ".dkr.ecr.cn-north-1.amazonaws.com/app", region, ""},
		{"commercial region, cn suffix", acct + ".dkr.ecr.us-east-1.amazonaws.com.cn/app", region, ""},
		{"iso region, commercial suffix", acct + ".dkr.ecr.us-iso-east-1.amazonaws.com/app", region, ""},
		{"iso region, dual-stack", acct + ".dkr-ecr.us-iso-east-1.on.aws/app", region, ""},
		{"underscore separator", acct + ".dkr_ecr.us-east-1.amazonaws.com/app", region, ""},
		{"userinfo after", ecr + "@evil.com/app", region, ""},
		{"userinfo before", "evil.com@" + ecr + "/app", region, ""},
		{"user and password", "user:pass@" + ecr + "/app", region, ""},
		{"port then userinfo", ecr + ":443@evil.com/app", region, ""},
		{"percent-escaped dot", acct + ".dkr.ecr.us-east-1.amazonaws%2ecom/app", region, ""},
		{"percent-escaped suffix", ecr + "%2eevil.com/app", region, ""},
		{"Cyrillic a", acct + ".dkr.ecr.us-east-1.\u0430mazonaws.com/app", region, ""},
		{"fullwidth dot", acct + ".dkr.ecr.us-east-1.amazonaws\uff0ecom/app", region, ""},
		{"zero-width space", ecr + "\u200b/app", region, ""},
		{"IPv4 literal as mirror", "127.0.0.1/app", region, mirrorEP},
		{"IPv4 literal, no region", "127.0.0.1/app", "", ""},
		{"IPv4 link-local as mirror", "169.254.169.254:80/app", region, mirrorEP},
		{"IPv6 literal", "[::1]/app", region, ""},
		{"IPv6 literal with port", "[fd00:ec2::254]:443/app", region, ""},
		{"bare IPv6", "::1/app", region, ""},
		{"decimal IPv4", "2130706433/app", region, ""},
		{"short IPv4", "127.1/app", region, ""},
		{"octal IPv4", "0177.0.0.1/app", region, ""},
		{"hex IPv4", "0x7f000001/app", region, ""},
		{"hex last label", "0x7f.0.0.0x1/app", region, ""},
		{"IPv4 octet too big", "256.0.0.1/app", region, ""},
		{"port 0", ecr + ":0/app", region, ""},
		{"port 65536", ecr + ":65536/app", region, ""},
		{"port with leading zero", ecr + ":0443/app", region, ""},
		{"port with sign", ecr + ":+443/app", region, ""},
		{"negative port", ecr + ":-1/app", region, ""},
		{"empty port", ecr + ":/app", region, ""},
		{"two ports", ecr + ":443:443/app", region, ""},
		{"port of letters", ecr + ":https/app", region, ""},
		{"label of 64", strings.Repeat("a", 64) + ".example.com/app", region, ""},
		{"name over 253", strings.Repeat("abcdefgh.", 28) + "com/app", region, ""},
		{"image of 1 MiB", ecr + "/" + strings.Repeat("a", 1<<20), region, ""},
		{"long host of escapes", strings.Repeat("\xa9", 4000) + "/app", region, ""},
		{"empty image", "", region, ""},
		{"only the scheme", "https://", region, ""},
		{"scheme twice", "https://https://" + ecr + "/app", region, ""},
		{"uppercase scheme", "HTTPS://" + ecr + "/app", region, ""},
		{"http scheme", "http://" + ecr + "/app", region, ""},
		{"uppercase labels", acct + ".DKR.ECR.us-east-1.amazonaws.com/app", region, ""},
		{"uppercase mirror", "Registry.example.com/app", region, ""},
		{"trailing dot", ecr + "./app", region, ""},
		{"leading dot", "." + ecr + "/app", region, ""},
		{"empty label", acct + ".dkr..ecr.us-east-1.amazonaws.com/app", region, ""},
		{"leading hyphen", "-registry.example.com/app", region, ""},
		{"trailing hyphen", "registry-.example.com/app", region, ""},
		{"control char in host", ecr + "\x01/app", region, ""},
		{"NUL in host", ecr + "\x00.evil.com/app", region, ""},
		{"newline in host", ecr + "\nevil.com/app", region, ""},
		{"tab in host", ecr + "\t/app", region, ""},
		{"leading space", " " + ecr + "/app", region, ""},
		{"space in host", ecr + " evil.com/app", region, ""},
		{"DEL in host", ecr + "\x7f/app", region, ""},
		{"query in host", ecr + "?.evil.com/app", region, ""},
		{"fragment in host", ecr + "#.evil.com/app", region, ""},
		{"backslash in host", ecr + "\\evil.com/app", region, ""},
		{"NUL in path", ecr + "/app\x00", region, ""},
		{"newline in path", ecr + "/app\nx", region, ""},
		{"dot-dot path", ecr + "/../app", region, ""},
		{"dot-dot inside", ecr + "/team/../app", region, ""},
		{"double slash", ecr + "//app", region, ""},
		{"trailing slash", ecr + "/app/", region, ""},
		{"backslash in path", ecr + "/team\\app", region, ""},
		{"query in path", ecr + "/app?x=1", region, ""},
		{"uppercase path", ecr + "/App", region, ""},
		{"Cyrillic path", ecr + "/\u0430pp", region, ""},
		{"two tags", ecr + "/app:v1:v2", region, ""},
		{"short digest", ecr + "/app@sha256:abc", region, ""},
		{"tag too long", ecr + "/app:" + strings.Repeat("t", 129), region, ""},
		{"ECR host in mirror path", "evil.com/" + ecr + "/app", region, mirrorEP},
		{"mirror named like a region", "us-east-1.example.com/app", region, mirrorEP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRegistry(tt.image, tt.region)
			if tt.endpoint == "" {
				if err == nil || got != (registry{}) {
					t.Fatalf("parseRegistry(%.80q, %q) = %+v, %v, want an error", tt.image, tt.region, got, err)
				}
				checkErrorText(t, err)
				return
			}
			if err != nil || !got.mirror {
				t.Fatalf("parseRegistry(%.80q, %q) = %+v, %v, want a mirror", tt.image, tt.region, got, err)
			}
			if ep, _, _, _ := ecrEndpoint(got, endpointConfig{}); ep != tt.endpoint {
				t.Errorf("ecrEndpoint(parseRegistry(%q)) = %q, want %q", tt.image, ep, tt.endpoint)
			}
		})
	}
}

// checkErrorText checks that an error about untrusted input is short and
// printable: %q and truncation keep a hostile image out of the log.
func checkErrorText(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if len(msg) > 600 {
		t.Errorf("error is %d bytes long: %.100q…", len(msg), msg)
	}
	for _, c := range []byte(msg) {
		if c < ' ' || c == 0x7f {
			t.Errorf("error %q contains control byte %#x", msg, c)
			break
		}
	}
}

func TestEcrEndpoint(t *testing.T) {
	plain := registry{host: acct + ".dkr.ecr.us-east-1.amazonaws.com", account: acct, region: "us-east-1", partition: pAWS}
	fipsHost := plain
	fipsHost.fips = true
	dualHost := plain
	dualHost.dualStack = true
	cn := registry{account: acct, region: "cn-north-1", partition: pCN}
	gov := registry{account: acct, region: "us-gov-west-1", partition: pGov}
	iso := registry{account: acct, region: "us-iso-east-1", partition: pISO}
	eusc := registry{account: acct, region: "eusc-de-east-1", partition: pEUSC}
	mirror := registry{host: "registry.example.com", region: "eu-west-1", partition: pAWS, mirror: true}
	public := registry{host: "public.ecr.aws", region: "us-east-1", partition: pAWS, public: true}

	fips := endpointConfig{useFIPS: true}
	dual := endpointConfig{useDualStack: true}
	both := endpointConfig{useFIPS: true, useDualStack: true}
	const vpce = "https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com"
	const local = "http://localhost:4566"

	tests := []struct {
		name     string
		r        registry
		ec       endpointConfig
		endpoint string
		region   string
		service  string
	}{
		{"plain", plain, endpointConfig{}, "https://api.ecr.us-east-1.amazonaws.com", "us-east-1", "ecr"},
		{"plain+FIPS", plain, fips, "https://api.ecr-fips.us-east-1.amazonaws.com", "us-east-1", "ecr"},
		{"plain+dual", plain, dual, "https://ecr.us-east-1.api.aws", "us-east-1", "ecr"},
		{"plain+both", plain, both, "https://ecr-fips.us-east-1.api.aws", "us-east-1", "ecr"},
		{"FIPS host", fipsHost, endpointConfig{}, "https://api.ecr-fips.us-east-1.amazonaws.com", "us-east-1", "ecr"},
		{"FIPS host+dual", fipsHost, dual, "https://ecr-fips.us-east-1.api.aws", "us-east-1", "ecr"},
		{"dual host", dualHost, endpointConfig{}, "https://ecr.us-east-1.api.aws", "us-east-1", "ecr"},
		{"dual host+FIPS", dualHost, fips, "https://ecr-fips.us-east-1.api.aws", "us-east-1", "ecr"},
		{"cn", cn, endpointConfig{}, "https://api.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1", "ecr"},
		{"cn+FIPS", cn, fips, "https://api.ecr-fips.cn-north-1.amazonaws.com.cn", "cn-north-1", "ecr"},
		{"cn+dual", cn, dual, "https://ecr.cn-north-1.api.amazonwebservices.com.cn", "cn-north-1", "ecr"},
		{"cn+both", cn, both, "https://ecr-fips.cn-north-1.api.amazonwebservices.com.cn", "cn-north-1", "ecr"},
		{"gov+FIPS", gov, fips, "https://api.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", "ecr"},
		{"gov+both", gov, both, "https://ecr-fips.us-gov-west-1.api.aws", "us-gov-west-1", "ecr"},
		{"iso+dual", iso, dual, "https://ecr.us-iso-east-1.api.aws.ic.gov", "us-iso-east-1", "ecr"},
		{"eusc+FIPS", eusc, fips, "https://api.ecr-fips.eusc-de-east-1.amazonaws.eu", "eusc-de-east-1", "ecr"},
		{"mirror", mirror, endpointConfig{}, "https://api.ecr.eu-west-1.amazonaws.com", "eu-west-1", "ecr"},
		{"mirror+both", mirror, both, "https://ecr-fips.eu-west-1.api.aws", "eu-west-1", "ecr"},
		{"ECR override", plain, endpointConfig{ecr: vpce}, vpce, "us-east-1", "ecr"},
		{"ECR override beats FIPS host", fipsHost, endpointConfig{ecr: vpce}, vpce, "us-east-1", "ecr"},
		{"global override", cn, endpointConfig{all: local}, local, "cn-north-1", "ecr"},
		{"ECR override beats global", plain, endpointConfig{ecr: vpce, all: local}, vpce, "us-east-1", "ecr"},
		{"public override ignored for private", plain, endpointConfig{ecrPublic: local}, "https://api.ecr.us-east-1.amazonaws.com", "us-east-1", "ecr"},
		{"STS override ignored for ECR", plain, endpointConfig{sts: local}, "https://api.ecr.us-east-1.amazonaws.com", "us-east-1", "ecr"},
		{"mirror override", mirror, endpointConfig{ecr: vpce}, vpce, "eu-west-1", "ecr"},
		{"public", public, endpointConfig{}, "https://api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public"},
		{"public+FIPS", public, fips, "https://api.ecr-public-fips.us-east-1.amazonaws.com", "us-east-1", "ecr-public"},
		{"public+dual", public, dual, "https://ecr-public.us-east-1.api.aws", "us-east-1", "ecr-public"},
		{"public+both", public, both, "https://api.ecr-public-fips.us-east-1.api.aws", "us-east-1", "ecr-public"},
		{"public override", public, endpointConfig{ecrPublic: local}, local, "us-east-1", "ecr-public"},
		{"public global override", public, endpointConfig{all: vpce}, vpce, "us-east-1", "ecr-public"},
		{"public override beats global", public, endpointConfig{ecrPublic: local, all: vpce}, local, "us-east-1", "ecr-public"},
		{"ECR override ignored for public", public, endpointConfig{ecr: local}, "https://api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, region, service, err := ecrEndpoint(tt.r, tt.ec)
			if err != nil {
				t.Fatalf("ecrEndpoint(%+v, %+v): %v", tt.r, tt.ec, err)
			}
			if ep != tt.endpoint || region != tt.region || service != tt.service {
				t.Errorf("ecrEndpoint(%+v, %+v) = %q, %q, %q, want %q, %q, %q",
					tt.r, tt.ec, ep, region, service, tt.endpoint, tt.region, tt.service)
			}
		})
	}
}

func TestStsEndpoint(t *testing.T) {
	fips := endpointConfig{useFIPS: true}
	dual := endpointConfig{useDualStack: true}
	both := endpointConfig{useFIPS: true, useDualStack: true}
	const local = "http://localhost:4566"
	tests := []struct {
		region string
		ec     endpointConfig
		want   string
	}{
		{"us-east-1", endpointConfig{}, "https://sts.us-east-1.amazonaws.com"},
		{"us-east-1", fips, "https://sts-fips.us-east-1.amazonaws.com"},
		{"us-east-1", dual, "https://sts.us-east-1.api.aws"},
		{"us-east-1", both, "https://sts-fips.us-east-1.api.aws"},
		{"us-gov-west-1", endpointConfig{}, "https://sts.us-gov-west-1.amazonaws.com"},
		{"us-gov-west-1", fips, "https://sts.us-gov-west-1.amazonaws.com"}, // GovCloud's regional STS is already FIPS
		{"us-gov-east-1", dual, "https://sts.us-gov-east-1.api.aws"},
		{"us-gov-east-1", both, "https://sts-fips.us-gov-east-1.api.aws"},
		{"cn-north-1", endpointConfig{}, "https://sts.cn-north-1.amazonaws.com.cn"},
		{"cn-north-1", fips, "https://sts-fips.cn-north-1.amazonaws.com.cn"},
		{"cn-north-1", dual, "https://sts.cn-north-1.api.amazonwebservices.com.cn"},
		{"us-iso-east-1", endpointConfig{}, "https://sts.us-iso-east-1.c2s.ic.gov"},
		{"us-isob-east-1", endpointConfig{}, "https://sts.us-isob-east-1.sc2s.sgov.gov"},
		{"eu-isoe-west-1", fips, "https://sts-fips.eu-isoe-west-1.cloud.adc-e.uk"},
		{"us-isof-south-1", dual, "https://sts.us-isof-south-1.api.aws.hci.ic.gov"},
		{"eusc-de-east-1", endpointConfig{}, "https://sts.eusc-de-east-1.amazonaws.eu"},
		{"us-east-1", endpointConfig{sts: local}, local},
		// The chain's STS calls ignore AWS_ENDPOINT_URL, as the SDK's
		// credential chain does; per-pod calls (forPods) take it.
		{"us-east-1", endpointConfig{all: local}, "https://sts.us-east-1.amazonaws.com"},
		{"us-east-1", endpointConfig{all: local}.forPods(), local},
		{"us-east-1", endpointConfig{sts: local, all: "https://example.com"}.forPods(), local},
		{"us-east-1", endpointConfig{ecr: local, ecrPublic: local}, "https://sts.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		if got, err := stsEndpoint(tt.region, tt.ec); err != nil || got != tt.want {
			t.Errorf("stsEndpoint(%q, %+v) = %q, %v, want %q", tt.region, tt.ec, got, err, tt.want)
		}
	}
	// A custom endpoint beside FIPS or dual-stack switched on by the
	// operator is refused, as the SDKs' endpoint rules refuse it.
	for _, ec := range []endpointConfig{{sts: local, useFIPS: true}, {sts: local, useDualStack: true}} {
		if got, err := stsEndpoint("us-east-1", ec); err == nil {
			t.Errorf("stsEndpoint(%+v) = %q, want an error", ec, got)
		}
	}
	if _, _, _, err := ecrEndpoint(registry{host: "h", region: "us-east-1", partition: partitionOf("us-east-1")}, endpointConfig{ecr: local, useFIPS: true}); err == nil {
		t.Error("ecrEndpoint with an override and AWS_USE_FIPS_ENDPOINT: no error")
	}
}

func TestValidRegion(t *testing.T) {
	tests := []struct {
		region string
		want   bool
	}{
		{"us-east-1", true},
		{"us-gov-west-1", true},
		{"cn-north-1", true},
		{"us-iso-east-1", true},
		{"us-isob-east-1", true},
		{"eu-isoe-west-1", true},
		{"us-isof-south-1", true},
		{"eusc-de-east-1", true},
		{"ap-southeast-5", true},
		{"mx-central-1", true},
		{"il-central-1", true},
		{"", false},
		{"us-east", false},
		{"us-east-1a", false},
		{"us-east-123", false},
		{"US-EAST-1", false},
		{"us_east_1", false},
		{"u-east-1", false},
		{"aws-global", false},
		{"fips-us-east-1", false},
		{"us-east-1-fips", false},
		{"us-east-1.evil.com", false},
		{"evil.com/us-east-1", false},
		{"us-east-1\n", false},
		{" us-east-1", false},
		{"us--east-1", false},
		{"a-b-c-d-e-1", false},
		{"us-" + strings.Repeat("x", 17) + "-1", false},
	}
	for _, tt := range tests {
		if got := validRegion(tt.region); got != tt.want {
			t.Errorf("validRegion(%q) = %v, want %v", tt.region, got, tt.want)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	tests := []struct {
		region string
		want   partition
	}{
		{"us-east-1", pAWS},
		{"eu-central-2", pAWS},
		{"us-gov-east-1", pGov},
		{"cn-northwest-1", pCN},
		{"us-iso-west-1", pISO},
		{"us-isob-east-1", pISOB},
		{"eu-isoe-west-1", pISOE},
		{"us-isof-east-1", pISOF},
		{"eusc-de-east-1", pEUSC},
	}
	for _, tt := range tests {
		if got := partitionOf(tt.region); got != tt.want {
			t.Errorf("partitionOf(%q) = %+v, want %+v", tt.region, got, tt.want)
		}
	}
}

func TestParseEndpointURL(t *testing.T) {
	tests := []struct {
		value, want string // want "" means refused
	}{
		{"https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com", "https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com"},
		{"https://example.com/", "https://example.com"},
		{"http://localhost:4566", "http://localhost:4566"},
		{"http://127.0.0.1:4566/", "http://127.0.0.1:4566"},
		{"https://[::1]:8443/", "https://[::1]:8443"},
		{"HTTPS://example.com", "https://example.com"},
		{"", ""},
		{"example.com", ""},
		{"//example.com", ""},
		{"https:example.com", ""},
		{"ftp://example.com", ""},
		{"file:///etc/passwd", ""},
		{"https://", ""},
		{"https:///path", ""},
		{"https://:443", ""},
		{"https://user@example.com", ""},
		{"https://user:pw@example.com", ""},
		{"https://example.com?x=1", ""},
		{"https://example.com/?", ""},
		{"https://example.com#frag", ""},
		{"https://example.com/path", ""},
		{"https://example.com//", ""},
		{"https://example.com/%2e", ""},
		{"https://ex%41mple.com", ""},
		{"https://example.com:0", ""},
		{"https://example.com:65536", ""},
		{"https://example.com:", ""},
		{"https://example.com:+1", ""},
		{"https://example.com:0443", ""},
		{"https://exa mple.com", ""},
		{" https://example.com", ""},
		{"https://example.com\n", ""},
		{"https://example.com\\@evil.com", ""},
		{"https://ex\u00e4mple.com", ""},
	}
	for _, tt := range tests {
		got, err := parseEndpointURL("AWS_ENDPOINT_URL_ECR", tt.value)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parseEndpointURL(%q) = %q, want an error", tt.value, got)
			} else if !strings.Contains(err.Error(), "AWS_ENDPOINT_URL_ECR") {
				t.Errorf("parseEndpointURL(%q) error %q does not name the variable", tt.value, err)
			} else if len(tt.value) > 6 && strings.Contains(err.Error(), tt.value[6:]) {
				t.Errorf("parseEndpointURL(%q) error %q quotes the value, which may carry a password or token", tt.value, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseEndpointURL(%q) = %q, %v, want %q", tt.value, got, err, tt.want)
		}
	}
}

// hostOf is the host portion of image as parseRegistry must see it.
func hostOf(image string) string {
	host, _, _ := strings.Cut(strings.TrimPrefix(image, "https://"), "/")
	return host
}

func FuzzParseRegistry(f *testing.F) {
	for _, s := range []string{
		acct + ".dkr.ecr.us-east-1.amazonaws.com/team/app",
		acct + ".dkr-ecr-fips.us-gov-west-1.on.aws:443/app:v1",
		acct + ".dkr.ecr.cn-north-1.amazonaws.com.cn/app@sha256:" + strings.Repeat("ab", 32),
		"https://public.ecr.aws/nginx/nginx",
		"ecr-public.aws.com",
		"registry.example.com:5000/a/b",
		"127.0.0.1/app",
		acct + ".dkr.ecr.us-east-1.amazonaws.com.evil.com/app",
		acct + ".dkr.ecr.us-east-1.amazonaws.com@evil.com/app",
		"[::1]:443/app",
	} {
		f.Add(s, "")
		f.Add(s, "eu-west-1")
	}
	f.Fuzz(func(t *testing.T, image, region string) {
		r, err := parseRegistry(image, region)
		if err != nil {
			if r != (registry{}) {
				t.Fatalf("parseRegistry(%q, %q) = %+v with error %v, want no registry", image, region, r, err)
			}
			checkErrorText(t, err)
			return
		}
		checkParsed(t, image, region, r)
	})
}

// checkParsed holds the invariants of an image that parsed: its host prints
// back exactly, is plain DNS text, and every endpoint built from it is an
// https URL inside the registry's partition.
func checkParsed(t *testing.T, image, region string, r registry) {
	t.Helper()
	if r.host != hostOf(image) {
		t.Fatalf("parseRegistry(%q).host = %q, want %q", image, r.host, hostOf(image))
	}
	if strings.Trim(r.host, "abcdefghijklmnopqrstuvwxyz0123456789.-:") != "" {
		t.Fatalf("parseRegistry(%q).host = %q has characters outside [a-z0-9.-:]", image, r.host)
	}
	if !validRegion(r.region) || r.partition != partitionOf(r.region) {
		t.Fatalf("parseRegistry(%q) region %q, partition %+v: not a valid pair", image, r.region, r.partition)
	}
	again, err := parseRegistry(r.host, region)
	if err != nil || again != r {
		t.Fatalf("parseRegistry(%q) = %+v, %v, want %+v as for %q", r.host, again, err, r, image)
	}
	for _, ec := range []endpointConfig{{}, {useFIPS: true}, {useDualStack: true}, {useFIPS: true, useDualStack: true}} {
		ep, _, _, _ := ecrEndpoint(r, ec)
		h, ok := strings.CutPrefix(ep, "https://")
		if !ok || strings.Trim(h, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" ||
			!strings.HasSuffix(h, "."+r.partition.dnsSuffix) && !strings.HasSuffix(h, "."+r.partition.dualStackSuffix) {
			t.Fatalf("ecrEndpoint(parseRegistry(%q), %+v) = %q, not an https endpoint in partition %s", image, ec, ep, r.partition.name)
		}
	}
}

func FuzzParseEndpointURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "http://localhost:4566/", "https://[::1]:8443",
		"https://user@example.com", "https://example.com/path?x#y", "https://example.com:0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := parseEndpointURL("AWS_ENDPOINT_URL", value)
		if err != nil {
			checkErrorText(t, err)
			return
		}
		if !strings.HasPrefix(got, "https://") && !strings.HasPrefix(got, "http://") || strings.HasSuffix(got, "/") {
			t.Fatalf("parseEndpointURL(%q) = %q, want scheme://host with no trailing slash", value, got)
		}
		if again, err := parseEndpointURL("AWS_ENDPOINT_URL", got); err != nil || again != got {
			t.Fatalf("parseEndpointURL(%q) = %q, %v, want it unchanged", got, again, err)
		}
	})
}

func BenchmarkParseRegistry(b *testing.B) {
	const image = acct + ".dkr.ecr.us-east-1.amazonaws.com/team/app:1.2.3"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRegistry(image, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// regexpTwins pairs each hand-written matcher with the regexp it replaces,
// written out as the grammar's reference. guard, when set, is a check the
// matcher makes beside its pattern (a length STS counts apart, say).
var regexpTwins = []struct {
	name    string
	pattern string
	match   func(string) bool
	guard   func(string) bool
}{
	{"privateHost", `^([0-9]{12})\.dkr([.-])ecr(-fips)?\.([a-z0-9][a-z0-9-]*)\.` +
		`(amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|on\.aws|on\.amazonwebservices\.com\.cn|` +
		`sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`,
		func(s string) bool { _, ok := parsePrivateHost(s); return ok }, nil},
	{"repository", `^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*` +
		`(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` +
		`(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
		`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
		validRepository, nil},
	{"region", `^[a-z]{2,4}(?:-[a-z]{1,16}){1,3}-[0-9]{1,2}$`,
		validRegion, func(s string) bool { return !strings.HasPrefix(s, "fips-") }},
	{"label", `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`, validLabel, nil},
	{"numericLabel", `^(?:[0-9]+|0x[0-9a-f]*)$`, isNumericLabel, nil},
	{"roleARN", `^arn:(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::[0-9]{12}:role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}$`,
		validRoleARN, func(s string) bool { return len(s) <= maxRoleARN }},
	{"sessionName", `^[\w+=,.@-]{2,64}$`, validSessionName, nil},
	// RE2 allows no repeat count over 1000, so the pattern says "+".
	{"externalID", `^[\w+=,.@:/-]+$`, validExternalID,
		func(s string) bool { return len(s) >= 2 && len(s) <= maxExternalID }},
	{"imdsRoleName", `^[A-Za-z0-9+=,.@_-]{1,64}$`, validIMDSRoleName, nil},
}

// checkTwins fails t if any matcher disagrees with its regexp on s, and if
// parsePrivateHost's parts differ from the regexp's groups.
func checkTwins(t *testing.T, res []*regexp.Regexp, s string) {
	t.Helper()
	for i, tw := range regexpTwins {
		want := res[i].MatchString(s) && (tw.guard == nil || tw.guard(s))
		if got := tw.match(s); got != want {
			t.Fatalf("%s(%q) = %v, want %v as %s", tw.name, s, got, want, tw.pattern)
		}
	}
	h, _ := parsePrivateHost(s)
	got := []string{h.account, h.sep, h.fips, h.region, h.suffix}
	if m := res[0].FindStringSubmatch(s); m != nil && !slices.Equal(got, m[1:]) || m == nil && h != (privateHost{}) {
		t.Fatalf("parsePrivateHost(%q) = %q, want groups of %q", s, got, m)
	}
}

// twinSeeds are inputs near the edges of each grammar.
var twinSeeds = []string{
	"", "-", ".", "..", "a", "0", "0x", "0x7f", "0X7f", "0x7F", "127", "1a", "ab", "a-", "-a", "a--b",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65),
	acct + ".dkr.ecr.us-east-1.amazonaws.com", acct + ".dkr-ecr-fips.us-gov-west-1.on.aws",
	acct + ".dkr.ecr-fips.-x.amazonaws.com", acct + ".dkr.ecr.x.amazonaws.com.", acct + "1.dkr.ecr.x.on.aws",
	acct + ".dkr_ecr.x.on.aws", acct + ".dkr.ecr-fipsx.on.aws", acct + ".dkr.ecr..on.aws",
	"team/app", "a/b:v1", "a__b", "a___b", "a._b", "a---b", "a/b/", "/a", "a:", "a:.x", "a:" + strings.Repeat("x", 128),
	"a:" + strings.Repeat("x", 129), "a@sha256:" + strings.Repeat("ab", 16), "a:v@sha256:" + strings.Repeat("0", 31),
	"a@sha256+b.c_d-e:" + strings.Repeat("F", 32), "a@1sha:" + strings.Repeat("0", 32), "a@sha256:" + strings.Repeat("0", 32) + "@x",
	"us-east-1", "us-gov-west-1", "us-isob-east-1", "eusc-de-east-1", "fips-us-east-1", "us-east-1-fips",
	"a-b-1", "abcde-b-1", "ab-" + strings.Repeat("x", 16) + "-1", "ab-" + strings.Repeat("x", 17) + "-1", "ab-c-d-e-f-1", "ab-c-123",
	"arn:aws:iam::123456789012:role/r", "arn:aws-us-gov:iam::123456789012:role/path/to/Name+=,.@-_",
	"arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role//r", "arn:aws-x:iam::123456789012:role/r",
	"arn:aws:iam::12345678901:role/r", "arn:aws:iam::123456789012:role/r:x", "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 65),
	"arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 1010) + "r",
	"my-session", "x", "ext:id/1", "a b", "é", "\xff", strings.Repeat("e", 1224), strings.Repeat("e", 1225),
}

// TestMatchersAgreeWithRegexp runs the regexp twins on twinSeeds.
func TestMatchersAgreeWithRegexp(t *testing.T) {
	res := compileTwins()
	for _, s := range twinSeeds {
		checkTwins(t, res, s)
	}
}

// FuzzMatchersAgreeWithRegexp proves each hand-written matcher equals the
// regexp it replaced, on any input.
func FuzzMatchersAgreeWithRegexp(f *testing.F) {
	for _, s := range twinSeeds {
		f.Add(s)
	}
	res := compileTwins()
	f.Fuzz(func(t *testing.T, s string) { checkTwins(t, res, s) })
}

// compileTwins compiles the patterns of regexpTwins, in order.
func compileTwins() []*regexp.Regexp {
	res := make([]*regexp.Regexp, len(regexpTwins))
	for i, tw := range regexpTwins {
		res[i] = regexp.MustCompile(tw.pattern)
	}
	return res
}

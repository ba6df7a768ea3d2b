package interop

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// nodeCase is one node configuration: the image kubelet asks for, the
// environment the binary gets from kubelet, the shared config and
// credentials files, and what the node's metadata services offer. Values
// may hold $DIR (the case's directory: token files, processes), $CA (the
// suite's CA bundle), $IMDS and $CONTAINER (the fakes' base URLs).
type nodeCase struct {
	item, name  string // issue 10 item ("1".."9", "S" deliberate, "E" basics, "R" random); description
	image       string
	env         map[string]string // unset removes a shared default
	config      string            // "" = no file
	credentials string
	token       string                // $DIR/token, "" = no file
	files       map[string]string     // more files in $DIR, by name
	processes   map[string]processOut // $DIR/proc-NAME
	imds        imdsMode
	container   bool // AWS_CONTAINER_CREDENTIALS_FULL_URI at the fake

	imdsInProfile bool // the metadata endpoint comes from the profile, not the environment
	caInProfile   bool // AWS_CA_BUNDLE unset: the profile's ca_bundle trusts the suite's CA

	// Deliberate differences (issue 10, "where we stay stricter"): the
	// binary must fail where the SDK goes on.
	refused        string // a structural refusal: half-set key pair, host or region
	loneRole       bool   // the active profile is role_arn alone
	expiredProcess string // the process (by name) that answers expired credentials
}

// Images of every registry kind (SPEC §2).
const (
	imgPrivate    = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"
	imgPort       = "123456789012.dkr.ecr.us-west-2.amazonaws.com:443/team/app"
	imgFIPS       = "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/team/app"
	imgFIPSEast   = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/team/app"
	imgDual       = "123456789012.dkr-ecr.us-east-2.on.aws/team/app"
	imgDualFIPS   = "123456789012.dkr-ecr-fips.us-east-2.on.aws/team/app"
	imgGovDual    = "123456789012.dkr-ecr.us-gov-east-1.on.aws/team/app"
	imgGovDualF   = "123456789012.dkr-ecr-fips.us-gov-east-1.on.aws/team/app"
	imgChina      = "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app"
	imgChinaDual  = "123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn/team/app"
	imgISO        = "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/team/app"
	imgISOB       = "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/team/app"
	imgISOE       = "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/team/app"
	imgISOF       = "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/team/app"
	imgEUSC       = "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/team/app"
	imgEUSCFIPS   = "123456789012.dkr.ecr-fips.eusc-de-east-1.amazonaws.eu/team/app"
	imgPublic     = "public.ecr.aws/team/app"
	imgPublicDual = "ecr-public.aws.com/team/app"
	imgMirror     = "registry.example.com/team/app"
)

// keysINI are the INI lines of the static keys labelled label.
func keysINI(label string) string {
	k := keyFor(label)
	return "aws_access_key_id = " + k.AccessKeyID + "\naws_secret_access_key = " + k.SecretAccessKey + "\n"
}

// roleARN is the ARN of a role of the suite's account.
func roleARN(name string) string { return "arn:aws:iam::123456789012:role/" + name }

// envKeys are the environment's static keys labelled label.
func envKeys(label string) map[string]string {
	k := keyFor(label)
	return map[string]string{"AWS_ACCESS_KEY_ID": k.AccessKeyID, "AWS_SECRET_ACCESS_KEY": k.SecretAccessKey}
}

// caseList builds cases; opts adjust a fresh case.
type caseList []nodeCase

type opt func(*nodeCase)

func (l *caseList) add(item, name, image string, opts ...opt) {
	c := nodeCase{item: item, name: name, image: image, env: map[string]string{}}
	for _, o := range opts {
		o(&c)
	}
	*l = append(*l, c)
}

func env(kv ...string) opt {
	return func(c *nodeCase) {
		for i := 0; i+1 < len(kv); i += 2 {
			c.env[kv[i]] = kv[i+1]
		}
	}
}

func withEnvKeys(label string) opt {
	return func(c *nodeCase) {
		for k, v := range envKeys(label) {
			c.env[k] = v
		}
	}
}

func cfg(text string) opt   { return func(c *nodeCase) { c.config = text } }
func creds(text string) opt { return func(c *nodeCase) { c.credentials = text } }
func tokenFile(text string) opt {
	return func(c *nodeCase) { c.token = text }
}
func withIMDS(c *nodeCase)      { c.imds = imdsV2 }
func withContainer(c *nodeCase) { c.container = true }
func process(name, label string, expired bool) opt {
	return func(c *nodeCase) {
		if c.processes == nil {
			c.processes = map[string]processOut{}
		}
		c.processes[name] = processOut{label: label, expired: expired}
		if expired {
			c.expiredProcess = label[len("process."):]
		}
	}
}
func file(name, text string) opt {
	return func(c *nodeCase) {
		if c.files == nil {
			c.files = map[string]string{}
		}
		c.files[name] = text
	}
}
func refused(why string) opt { return func(c *nodeCase) { c.refused = why } }

// envWebIdentity is IRSA from the environment, for role name.
func envWebIdentity(role string) opt {
	return func(c *nodeCase) {
		c.token = webIdentityToken
		c.env["AWS_WEB_IDENTITY_TOKEN_FILE"] = "$DIR/token"
		c.env["AWS_ROLE_ARN"] = roleARN(role)
	}
}

// differentialCases are the targeted cases, one or more per item of
// issue 10, then the seeded random ones.
func differentialCases() []nodeCase {
	var l caseList
	basics(&l)
	indentation(&l)
	credentialSource(&l)
	aliases(&l)
	profileSettings(&l)
	stsDestination(&l)
	mixedProfiles(&l)
	missingProfiles(&l)
	legacySSO(&l)
	hostForms(&l)
	deliberate(&l)
	r := rand.New(rand.NewPCG(20261130, 10))
	for i := range randomCases {
		l = append(l, randomCase(r, i))
	}
	return l
}

// randomCases is how many seeded random configurations run after the
// targeted ones.
const randomCases = 240

func basics(l *caseList) {
	l.add("E", "environment keys", imgPrivate, withEnvKeys("env"))
	l.add("E", "environment web identity", imgPrivate, envWebIdentity("irsa"))
	l.add("E", "web identity file without AWS_ROLE_ARN", imgPrivate, tokenFile(webIdentityToken), env("AWS_WEB_IDENTITY_TOKEN_FILE", "$DIR/token"), withIMDS)
	l.add("E", "AWS_ROLE_ARN without a token file", imgPrivate, env("AWS_ROLE_ARN", roleARN("irsa")), withIMDS)
	l.add("E", "nothing configured", imgPrivate)
	l.add("E", "instance role", imgPrivate, withIMDS)
	l.add("E", "container credentials before the instance role", imgPrivate, withIMDS, withContainer)
	l.add("E", "default profile keys", imgPrivate, creds("[default]\n"+keysINI("profile.default")), withIMDS)
	l.add("E", "mirror without a region", imgMirror, withEnvKeys("env"))
	l.add("E", "mirror with AWS_REGION", imgMirror, withEnvKeys("env"), env("AWS_REGION", "eu-west-1"))
	l.add("E", "public registry", imgPublic, withEnvKeys("env"))
	l.add("E", "image with :443", imgPort, withEnvKeys("env"))
	l.add("E", "AWS_SESSION_TOKEN with the keys", imgPrivate, withEnvKeys("env"), env("AWS_SESSION_TOKEN", ""))
	l.add("E", "AWS_EC2_METADATA_DISABLED=TRUE", imgPrivate, withIMDS, env("AWS_EC2_METADATA_DISABLED", "TRUE"))
	l.add("E", "AWS_EC2_METADATA_DISABLED=1 is not true", imgPrivate, withIMDS, env("AWS_EC2_METADATA_DISABLED", "1"))
	l.add("E", "container authorization token", imgPrivate, withContainer, env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc"))
	l.add("E", "container authorization token file", imgPrivate, withContainer, env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "$DIR/ctoken"), file("ctoken", "Basic abc"))
	l.add("E", "container authorization token file with a newline", imgPrivate, withContainer, env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "$DIR/ctoken"), file("ctoken", "Basic abc\n"))
}

func indentation(l *caseList) {
	l.add("1", "indented role profile (after the header)", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n  role_arn = "+roleARN("dev")+"\n  source_profile = base\n\n[profile base]\n"+keysINI("profile.base")))
	l.add("1", "indented default role profile, tabs", imgPrivate, withIMDS,
		cfg("[default]\n\trole_arn = "+roleARN("dev")+"\n\tsource_profile = base\n[profile base]\n"+keysINI("profile.base")))
	l.add("1", "indented keys after a key with a value", imgPrivate, withIMDS,
		creds("[default]\nregion = us-west-2\n  aws_access_key_id = "+keyFor("profile.default").AccessKeyID+"\n  aws_secret_access_key = "+keyFor("profile.default").SecretAccessKey+"\n"))
	l.add("1", "indented keys under an empty key are sub-properties", imgPrivate, withIMDS,
		creds("[default]\ns3 =\n  aws_access_key_id = "+keyFor("profile.default").AccessKeyID+"\n  aws_secret_access_key = "+keyFor("profile.default").SecretAccessKey+"\n"))
	l.add("1", "tab-indented credentials file", imgPrivate, withIMDS,
		creds("[default]\n\taws_access_key_id = "+keyFor("profile.default").AccessKeyID+"\n\taws_secret_access_key = "+keyFor("profile.default").SecretAccessKey+"\n"))
	l.add("1", "indented section header", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("  [profile dev]\n  "+strings.ReplaceAll(keysINI("profile.dev"), "\n", "\n  ")))
	l.add("1", "indented credential_process", imgPrivate, withIMDS, process("dev", "process.dev", false),
		cfg("[default]\n  credential_process = $DIR/proc-dev\n"))
	l.add("1", "quoted indented region with a comment keeps its quotes", imgMirror, withEnvKeys("env"),
		cfg("[default]\n  region = \"us-west-2\" # home\n"))
	l.add("1", "quoted region with a comment", imgMirror, withEnvKeys("env"), cfg("[default]\nregion = \"us-west-2\" # home\n"))
	l.add("1", "continuation line joins the region", imgMirror, withEnvKeys("env"), cfg("[default]\nregion = us-west-2\n  eu-west-1\n"))
	l.add("1", "inline # without a space is part of the value", imgMirror, withEnvKeys("env"), cfg("[default]\nregion = us-west-2#home\n"))
	l.add("1", "inline ; comment", imgMirror, withEnvKeys("env"), cfg("[default]\nregion = eu-west-1 ; home\n"))
	l.add("1", "[profile default] wins over [default]", imgPrivate, withIMDS,
		cfg("[default]\n"+keysINI("profile.default")+"[profile default]\n"+keysINI("profile.ops")))
	l.add("1", "CRLF line ends", imgPrivate, withIMDS, creds(strings.ReplaceAll("[default]\n"+keysINI("profile.default"), "\n", "\r\n")))
	l.add("1", "colon separator", imgPrivate, withIMDS, creds(strings.ReplaceAll("[default]\n"+keysINI("profile.default"), " = ", ": ")))
	l.add("1", "upper-case key names", imgPrivate, withIMDS,
		creds("[default]\nAWS_ACCESS_KEY_ID = "+keyFor("profile.default").AccessKeyID+"\nAws_Secret_Access_Key = "+keyFor("profile.default").SecretAccessKey+"\n"))
	l.add("1", "profile names are case-sensitive", imgPrivate, withIMDS, env("AWS_PROFILE", "Dev"), cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("1", "[DEFAULT] is not the default profile", imgPrivate, withIMDS, cfg("[DEFAULT]\n"+keysINI("profile.default")))
	l.add("1", "duplicate sections merge", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\n[profile base]\n"+keysINI("profile.base")+"[profile dev]\nsource_profile = base\n"))
	l.add("1", "[profile x] in the credentials file is ignored", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), creds("[profile dev]\n"+keysINI("profile.dev")))
	l.add("1", "config section without the profile prefix is ignored", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[dev]\n"+keysINI("profile.dev")))
	l.add("1", "comment after a header", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[profile dev] # team\n"+keysINI("profile.dev")))
	l.add("1", "# inside a header: no header, lines stay in the previous section", imgPrivate, withIMDS,
		cfg("[default]\nregion = us-west-2\n[profile x#y]\n"+keysINI("profile.default")))
	l.add("1", "spaces inside a header", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[  profile   dev  ]\n"+keysINI("profile.dev")))
	l.add("1", "comment lines and blank lines", imgPrivate, withIMDS, creds("# keys\n; more\n\n[default]\n  # indented comment\n"+keysINI("profile.default")))
	l.add("1", "properties before any header are ignored", imgPrivate, withIMDS, creds(keysINI("profile.default")+"[default]\nregion = us-west-2\n"))
	l.add("1", "quoted values", imgPrivate, withIMDS,
		creds("[default]\naws_access_key_id = \""+keyFor("profile.default").AccessKeyID+"\"\naws_secret_access_key = '"+keyFor("profile.default").SecretAccessKey+"'\n"))
	l.add("1", "duplicate key: the last wins", imgPrivate, withIMDS, creds("[default]\n"+keysINI("profile.ops")+keysINI("profile.default")))
}

func credentialSource(l *caseList) {
	role := "role_arn = " + roleARN("dev") + "\n"
	l.add("2", "Environment without keys, named by AWS_PROFILE", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = Environment\n"))
	l.add("2", "Environment without keys, default profile", imgPrivate, withIMDS, cfg("[default]\n"+role+"credential_source = Environment\n"))
	l.add("2", "EcsContainer without container variables", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = EcsContainer\n"))
	l.add("2", "Ec2InstanceMetadata with IMDS disabled", imgPrivate, withContainer, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = Ec2InstanceMetadata\n"))
	l.add("2", "Ec2InstanceMetadata", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[profile dev]\n"+role+"credential_source = Ec2InstanceMetadata\n"))
	l.add("2", "EcsContainer with FULL_URI", imgPrivate, withIMDS, withContainer, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = EcsContainer\n"))
	l.add("2", "Environment with environment keys: the keys, no role", imgPrivate, withEnvKeys("env"), env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = Environment\n"))
	l.add("2", "Environment with alias keys", imgPrivate, env("AWS_PROFILE", "dev", "AWS_ACCESS_KEY", keyFor("env-alias").AccessKeyID, "AWS_SECRET_KEY", keyFor("env-alias").SecretAccessKey),
		cfg("[profile dev]\n"+role+"credential_source = Environment\n"))
	l.add("2", "unknown credential_source", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[profile dev]\n"+role+"credential_source = Ec2Metadata\n"))
	l.add("2", "credential_source without role_arn", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[profile dev]\ncredential_source = Ec2InstanceMetadata\n"))
	l.add("2", "credential_source in a source profile", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"source_profile = base\n[profile base]\nrole_arn = "+roleARN("base")+"\ncredential_source = Ec2InstanceMetadata\n"))
	l.add("2", "credential_source with web identity in the environment", imgPrivate, withIMDS, envWebIdentity("irsa"), env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\n"+role+"credential_source = Environment\n"))
}

func aliases(l *caseList) {
	a, id := keyFor("env-alias"), keyFor("env")
	l.add("3", "AWS_ACCESS_KEY and AWS_SECRET_KEY", imgPrivate, withIMDS, env("AWS_ACCESS_KEY", a.AccessKeyID, "AWS_SECRET_KEY", a.SecretAccessKey))
	l.add("3", "AWS_ACCESS_KEY_ID with AWS_SECRET_KEY", imgPrivate, withIMDS, env("AWS_ACCESS_KEY_ID", id.AccessKeyID, "AWS_SECRET_KEY", id.SecretAccessKey))
	l.add("3", "AWS_ACCESS_KEY with AWS_SECRET_ACCESS_KEY", imgPrivate, withIMDS, env("AWS_ACCESS_KEY", a.AccessKeyID, "AWS_SECRET_ACCESS_KEY", a.SecretAccessKey))
	l.add("3", "both forms: the _ID and _ACCESS_KEY forms win", imgPrivate, withIMDS, withEnvKeys("env"), env("AWS_ACCESS_KEY", a.AccessKeyID, "AWS_SECRET_KEY", a.SecretAccessKey))
	l.add("3", "AWS_DEFAULT_PROFILE", imgPrivate, withIMDS, env("AWS_DEFAULT_PROFILE", "dev"), cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("3", "AWS_PROFILE wins over AWS_DEFAULT_PROFILE", imgPrivate, withIMDS, env("AWS_PROFILE", "dev", "AWS_DEFAULT_PROFILE", "ops"),
		cfg("[profile dev]\n"+keysINI("profile.dev")+"[profile ops]\n"+keysINI("profile.ops")))
	l.add("3", "empty AWS_PROFILE, AWS_DEFAULT_PROFILE set", imgPrivate, withIMDS, env("AWS_PROFILE", "", "AWS_DEFAULT_PROFILE", "dev"), cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("3", "AWS_DEFAULT_PROFILE that does not exist", imgPrivate, withIMDS, env("AWS_DEFAULT_PROFILE", "nope"), cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("3", "AWS_DEFAULT_PROFILE that does not exist, environment keys", imgPrivate, withEnvKeys("env"), env("AWS_DEFAULT_PROFILE", "nope"))
	l.add("3", "AWS_DEFAULT_PROFILE with a role", imgPrivate, env("AWS_DEFAULT_PROFILE", "dev"),
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\nsource_profile = base\n[profile base]\n"+keysINI("profile.base")))
	l.add("3", "AWS_DEFAULT_PROFILE region for a mirror", imgMirror, withEnvKeys("env"), env("AWS_DEFAULT_PROFILE", "dev"), cfg("[profile dev]\nregion = eu-west-1\n"))
}

func profileSettings(l *caseList) {
	src := "source_profile = base\n"
	base := "[profile base]\n" + keysINI("profile.base")
	devRole := "[profile dev]\nrole_arn = " + roleARN("dev") + "\n" + src
	p := func(lines string) opt { return cfg("[default]\n" + lines) }
	l.add("4", "use_fips_endpoint in the profile", imgPrivate, withEnvKeys("env"), p("use_fips_endpoint = true\n"))
	l.add("4", "AWS_USE_FIPS_ENDPOINT=false beats the profile", imgPrivate, withEnvKeys("env"), env("AWS_USE_FIPS_ENDPOINT", "false"), p("use_fips_endpoint = true\n"))
	l.add("4", "use_fips_endpoint=TRUE in any case", imgPrivate, withEnvKeys("env"), p("use_fips_endpoint = TRUE\n"))
	l.add("4", "use_fips_endpoint=yes is false", imgPrivate, withEnvKeys("env"), p("use_fips_endpoint = yes\n"))
	l.add("4", "use_dualstack_endpoint in the profile", imgPrivate, withEnvKeys("env"), p("use_dualstack_endpoint = true\n"))
	l.add("4", "use_dualstack_endpoint for ECR Public", imgPublic, withEnvKeys("env"), p("use_dualstack_endpoint = true\n"))
	l.add("4", "use_fips_endpoint moves the role's STS call", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+"use_fips_endpoint = true\n"+base))
	l.add("4", "use_dualstack_endpoint moves the web identity call", imgPrivate, envWebIdentity("irsa"), p("use_dualstack_endpoint = true\n"))
	l.add("4", "FIPS in the source profile only", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+base+"use_fips_endpoint = true\n"))
	l.add("4", "ca_bundle in the profile", imgPrivate, withEnvKeys("env"), func(c *nodeCase) { c.caInProfile = true }, p("ca_bundle = $CA\n"))
	l.add("4", "AWS_CA_BUNDLE beats the profile's ca_bundle", imgPrivate, withEnvKeys("env"), func(c *nodeCase) { c.caInProfile = true },
		env("AWS_CA_BUNDLE", "$DIR/missing.pem"), p("ca_bundle = $CA\n"))
	l.add("4", "ca_bundle in another profile does not count", imgPrivate, withEnvKeys("env"), func(c *nodeCase) { c.caInProfile = true },
		cfg("[profile ops]\nca_bundle = $CA\n"))
	l.add("4", "max_attempts in the profile", imgPrivate, withEnvKeys("env"), p("max_attempts = 5\n"))
	l.add("4", "max_attempts that is not a number", imgPrivate, withEnvKeys("env"), p("max_attempts = five\n"))
	l.add("4", "max_attempts = 0", imgPrivate, withEnvKeys("env"), p("max_attempts = 0\n"))
	l.add("4", "AWS_MAX_ATTEMPTS that is not a number", imgPrivate, withEnvKeys("env"), env("AWS_MAX_ATTEMPTS", "five"))
	l.add("4", "AWS_MAX_ATTEMPTS beats the profile", imgPrivate, withEnvKeys("env"), env("AWS_MAX_ATTEMPTS", "2"), p("max_attempts = five\n"))
	l.add("4", "retry_mode adaptive", imgPrivate, withEnvKeys("env"), p("retry_mode = adaptive\n"))
	l.add("4", "ec2_metadata_service_endpoint in the profile", imgPrivate, withIMDS, func(c *nodeCase) { c.imdsInProfile = true },
		p("ec2_metadata_service_endpoint = $IMDS\n"))
	l.add("4", "AWS_EC2_METADATA_SERVICE_ENDPOINT beats the profile", imgPrivate, withIMDS, p("ec2_metadata_service_endpoint = http://127.0.0.1:9\n"))
	l.add("4", "endpoint beats endpoint mode IPv6", imgPrivate, withIMDS, p("ec2_metadata_service_endpoint_mode = IPv6\n"))
	l.add("4", "unknown ec2_metadata_service_endpoint_mode", imgPrivate, withIMDS, p("ec2_metadata_service_endpoint_mode = IPv5\n"))
	l.add("4", "unknown AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", imgPrivate, withIMDS, env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv5"))
	l.add("4", "endpoint_url in the profile", imgPrivate, withEnvKeys("env"), p("endpoint_url = https://all.vpce.example\n"))
	l.add("4", "endpoint_url in the profile with a role", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+"endpoint_url = https://all.vpce.example\n"+base))
	svc := "services = vpce\n"
	svcs := "[services vpce]\necr =\n  endpoint_url = https://ecr.vpce.example\necr_public =\n  endpoint_url = https://pub.vpce.example\nsts =\n  endpoint_url = https://sts.vpce.example\n"
	l.add("4", "services section: ecr", imgPrivate, withEnvKeys("env"), cfg("[default]\n"+svc+svcs))
	l.add("4", "services section: ecr_public", imgPublic, withEnvKeys("env"), cfg("[default]\n"+svc+svcs))
	l.add("4", "services section: sts for the role", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+svc+base+svcs))
	l.add("4", "services section: sts for environment web identity", imgPrivate, envWebIdentity("irsa"), cfg("[default]\n"+svc+svcs))
	l.add("4", "services section not named by the profile", imgPrivate, withEnvKeys("env"), cfg("[default]\nregion = us-west-2\n"+svcs))
	l.add("4", "services section that does not exist", imgPrivate, withEnvKeys("env"), cfg("[default]\nservices = nope\n"+svcs))
	l.add("4", "services section with upper-case keys", imgPrivate, withEnvKeys("env"), cfg("[default]\n"+svc+"[services vpce]\nECR =\n  Endpoint_URL = https://ecr.vpce.example\n"))
	l.add("4", "services section indented", imgPrivate, withEnvKeys("env"), cfg("[default]\n"+svc+"[services vpce]\n  ecr =\n    endpoint_url = https://ecr.vpce.example\n"))
	l.add("4", "services section without endpoint_url", imgPrivate, withEnvKeys("env"), cfg("[default]\n"+svc+"[services vpce]\necr =\n  region = eu-west-1\n"))
	l.add("4", "AWS_ENDPOINT_URL beats the services section", imgPrivate, withEnvKeys("env"), env("AWS_ENDPOINT_URL", "https://all.env.example"), cfg("[default]\n"+svc+svcs))
	l.add("4", "AWS_ENDPOINT_URL_ECR beats the profile's endpoint_url", imgPrivate, withEnvKeys("env"), env("AWS_ENDPOINT_URL_ECR", "https://ecr.env.example"), p("endpoint_url = https://all.vpce.example\n"))
	l.add("4", "services section beats the profile's endpoint_url", imgPrivate, withEnvKeys("env"), cfg("[default]\nendpoint_url = https://all.vpce.example\n"+svc+svcs))
	l.add("4", "AWS_ENDPOINT_URL_ECR_PUBLIC", imgPublic, withEnvKeys("env"), env("AWS_ENDPOINT_URL_ECR_PUBLIC", "https://pub.env.example"))
	l.add("4", "AWS_ENDPOINT_URL_ECR does not move ECR Public", imgPublic, withEnvKeys("env"), env("AWS_ENDPOINT_URL_ECR", "https://ecr.env.example"))
	l.add("4", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", imgPrivate, withEnvKeys("env"), env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", "AWS_ENDPOINT_URL_ECR", "https://ecr.env.example", "AWS_ENDPOINT_URL", "https://all.env.example"))
	l.add("4", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true with the profile's endpoints", imgPrivate, withEnvKeys("env"), env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"), cfg("[default]\nendpoint_url = https://all.vpce.example\n"+svc+svcs))
	l.add("4", "ignore_configured_endpoint_urls in the profile", imgPrivate, withEnvKeys("env"), env("AWS_ENDPOINT_URL", "https://all.env.example"), p("ignore_configured_endpoint_urls = true\n"))
	l.add("4", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats the profile", imgPrivate, withEnvKeys("env"), env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
		p("ignore_configured_endpoint_urls = true\nendpoint_url = https://all.vpce.example\n"))
	l.add("4", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=yes", imgPrivate, withEnvKeys("env"), env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes"))
	l.add("4", "ignored endpoints and the role's STS call", imgPrivate, env("AWS_PROFILE", "dev", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), cfg(devRole+svc+base+svcs))
	l.add("4", "endpoint_url in the credentials file when the config has the profile", imgPrivate, withEnvKeys("env"), cfg("[default]\nregion = us-west-2\n"), creds("[default]\nendpoint_url = https://all.vpce.example\n"))
	l.add("4", "endpoint_url in the credentials file alone", imgPrivate, withEnvKeys("env"), creds("[default]\nendpoint_url = https://all.vpce.example\n"))
	l.add("4", "AWS_USE_FIPS_ENDPOINT=yes", imgPrivate, withEnvKeys("env"), env("AWS_USE_FIPS_ENDPOINT", "yes"))
	// Not compared: an AWS_ENDPOINT_URL set to "" hides the services
	// section in the SDK; the binary reads an empty variable as unset
	// (README, differences from the AWS SDK).
	l.add("4", "AWS_USE_FIPS_ENDPOINT with AWS_ENDPOINT_URL_ECR", imgPrivate, withEnvKeys("env"), env("AWS_USE_FIPS_ENDPOINT", "true", "AWS_ENDPOINT_URL_ECR", "https://ecr.env.example"))
	l.add("4", "use_dualstack_endpoint with endpoint_url", imgPrivate, withEnvKeys("env"), p("use_dualstack_endpoint = true\nendpoint_url = https://all.vpce.example\n"))
	l.add("4", "region in the profile for a mirror", imgMirror, withEnvKeys("env"), p("region = eu-west-1\n"))
	l.add("4", "AWS_REGION beats the profile's region", imgMirror, withEnvKeys("env"), env("AWS_REGION", "eu-central-1"), p("region = eu-west-1\n"))
	l.add("4", "AWS_DEFAULT_REGION beats the profile's region", imgMirror, withEnvKeys("env"), env("AWS_DEFAULT_REGION", "eu-central-1"), p("region = eu-west-1\n"))
	l.add("4", "AWS_REGION beats AWS_DEFAULT_REGION", imgMirror, withEnvKeys("env"), env("AWS_REGION", "eu-central-1", "AWS_DEFAULT_REGION", "eu-west-1"))
	l.add("4", "region of the named profile for a mirror and its role", imgMirror, env("AWS_PROFILE", "dev"), cfg(devRole+"region = eu-west-1\n"+base))
	l.add("4", "region of the source profile does not count", imgMirror, env("AWS_PROFILE", "dev"), cfg(devRole+base+"region = eu-west-1\n"))
	l.add("4", "region in the profile, public registry and a role", imgPublic, env("AWS_PROFILE", "dev"), cfg(devRole+"region = eu-west-1\n"+base))
	l.add("4", "region in the profile, private registry and a role", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+"region = eu-west-1\n"+base))
	l.add("4", "region from the credentials file", imgMirror, withEnvKeys("env"), creds("[default]\nregion = eu-west-1\n"))
}

func stsDestination(l *caseList) {
	base := "[profile base]\n" + keysINI("profile.base")
	devRole := "[profile dev]\nrole_arn = " + roleARN("dev") + "\nsource_profile = base\n"
	l.add("5", "AWS_ENDPOINT_URL with environment web identity", imgPrivate, envWebIdentity("irsa"), env("AWS_ENDPOINT_URL", "https://all.env.example"))
	l.add("5", "AWS_ENDPOINT_URL_STS with environment web identity", imgPrivate, envWebIdentity("irsa"), env("AWS_ENDPOINT_URL_STS", "https://sts.env.example"))
	l.add("5", "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_STS", imgPrivate, envWebIdentity("irsa"), env("AWS_ENDPOINT_URL", "https://all.env.example", "AWS_ENDPOINT_URL_STS", "https://sts.env.example"))
	l.add("5", "AWS_ENDPOINT_URL with a role profile", imgPrivate, env("AWS_PROFILE", "dev", "AWS_ENDPOINT_URL", "https://all.env.example"), cfg(devRole+base))
	l.add("5", "AWS_ENDPOINT_URL_STS with a role profile", imgPrivate, env("AWS_PROFILE", "dev", "AWS_ENDPOINT_URL_STS", "https://sts.env.example"), cfg(devRole+base))
	l.add("5", "AWS_ENDPOINT_URL hides the services section's sts", imgPrivate, env("AWS_PROFILE", "dev", "AWS_ENDPOINT_URL", "https://all.env.example"),
		cfg(devRole+"services = vpce\n"+base+"[services vpce]\nsts =\n  endpoint_url = https://sts.vpce.example\n"))
	l.add("5", "AWS_ENDPOINT_URL_STS with AWS_USE_FIPS_ENDPOINT", imgPrivate, envWebIdentity("irsa"), env("AWS_ENDPOINT_URL_STS", "https://sts.env.example", "AWS_USE_FIPS_ENDPOINT", "true"))
	l.add("5", "AWS_USE_FIPS_ENDPOINT with environment web identity", imgPrivate, envWebIdentity("irsa"), env("AWS_USE_FIPS_ENDPOINT", "true"))
	l.add("5", "AWS_USE_DUALSTACK_ENDPOINT with a role profile", imgPrivate, env("AWS_PROFILE", "dev", "AWS_USE_DUALSTACK_ENDPOINT", "true"), cfg(devRole+base))
	l.add("5", "FIPS and dual-stack with a role profile", imgPrivate, env("AWS_PROFILE", "dev", "AWS_USE_DUALSTACK_ENDPOINT", "true", "AWS_USE_FIPS_ENDPOINT", "true"), cfg(devRole+base))
	l.add("5", "GovCloud FIPS host, FIPS environment, web identity", imgFIPS, envWebIdentity("irsa"), env("AWS_USE_FIPS_ENDPOINT", "true"))
	l.add("5", "GovCloud FIPS host, web identity", imgFIPS, envWebIdentity("irsa"))
	l.add("5", "China host, web identity", imgChina, envWebIdentity("irsa"))
	l.add("5", "ISO host, role profile", imgISO, env("AWS_PROFILE", "dev"), cfg(devRole+base))
	l.add("5", "public registry, web identity, AWS_REGION", imgPublic, envWebIdentity("irsa"), env("AWS_REGION", "eu-west-1"))
	l.add("5", "public registry, web identity, no region", imgPublic, envWebIdentity("irsa"))
	l.add("5", "mirror, web identity, AWS_REGION", imgMirror, envWebIdentity("irsa"), env("AWS_REGION", "eu-west-1"))
	l.add("5", "mirror, web identity, no region", imgMirror, envWebIdentity("irsa"), withIMDS)
	l.add("5", "AWS_ROLE_SESSION_NAME", imgPrivate, envWebIdentity("irsa"), env("AWS_ROLE_SESSION_NAME", "node-7"))
	l.add("5", "role_session_name and external_id", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+"role_session_name = node-7\nexternal_id = ext-42\n"+base))
	l.add("5", "duration_seconds", imgPrivate, env("AWS_PROFILE", "dev"), cfg(devRole+"duration_seconds = 3600\n"+base))
	l.add("5", "profile web identity with AWS_ENDPOINT_URL", imgPrivate, tokenFile(webIdentityToken), env("AWS_ENDPOINT_URL", "https://all.env.example"),
		cfg("[default]\nrole_arn = "+roleARN("wi")+"\nweb_identity_token_file = $DIR/token\n"))
	l.add("5", "profile web identity with role_session_name", imgPrivate, tokenFile(webIdentityToken),
		cfg("[default]\nrole_arn = "+roleARN("wi")+"\nweb_identity_token_file = $DIR/token\nrole_session_name = node-7\n"))
	l.add("5", "AWS_ROLE_SESSION_NAME does not name a profile's session", imgPrivate, env("AWS_PROFILE", "dev", "AWS_ROLE_SESSION_NAME", "node-7"), cfg(devRole+base))
}

func mixedProfiles(l *caseList) {
	base := "[profile base]\n" + keysINI("profile.base")
	r := "role_arn = " + roleARN("dev") + "\n"
	dev := func(lines string) opt { return cfg("[profile dev]\n" + lines) }
	named := env("AWS_PROFILE", "dev")
	l.add("6", "static keys and role_arn", imgPrivate, withIMDS, named, dev(r+keysINI("profile.dev")))
	l.add("6", "credential_process and role_arn", imgPrivate, withIMDS, named, process("dev", "process.dev", false), dev(r+"credential_process = $DIR/proc-dev\n"))
	l.add("6", "static keys and credential_process", imgPrivate, withIMDS, named, process("dev", "process.dev", false), dev(keysINI("profile.dev")+"credential_process = $DIR/proc-dev\n"))
	l.add("6", "keys in the credentials file, role_arn and credential_process in the config", imgPrivate, withIMDS, named, process("dev", "process.dev", false),
		dev(r+"credential_process = $DIR/proc-dev\n"), creds("[dev]\n"+keysINI("profile.dev")))
	l.add("6", "source_profile and static keys", imgPrivate, withIMDS, named, cfg("[profile dev]\n"+r+"source_profile = base\n"+keysINI("profile.dev")+base))
	l.add("6", "web identity file, static keys and role_arn", imgPrivate, withIMDS, named, tokenFile(webIdentityToken),
		dev(r+"web_identity_token_file = $DIR/token\n"+keysINI("profile.dev")))
	l.add("6", "legacy SSO keys and static keys", imgPrivate, withIMDS, named, dev("sso_account_id = 123456789012\nsso_role_name = Admin\nsso_region = us-east-1\n"+keysINI("profile.dev")))
	l.add("6", "sso_session and static keys", imgPrivate, withIMDS, named,
		cfg("[profile dev]\nsso_session = corp\n"+keysINI("profile.dev")+"[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n"))
	l.add("6", "mfa_serial and static keys, no role", imgPrivate, withIMDS, named, dev("mfa_serial = arn:aws:iam::123456789012:mfa/ops\n"+keysINI("profile.dev")))
	l.add("6", "mfa_serial with a role", imgPrivate, withIMDS, named, cfg("[profile dev]\n"+r+"source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/ops\n"+base))
	l.add("6", "credential_source, static keys and role_arn", imgPrivate, withIMDS, named, dev(r+"credential_source = Ec2InstanceMetadata\n"+keysINI("profile.dev")))
	l.add("6", "source_profile and credential_source", imgPrivate, withIMDS, named, cfg("[profile dev]\n"+r+"source_profile = base\ncredential_source = Ec2InstanceMetadata\n"+base))
	l.add("6", "credential_process and web_identity_token_file", imgPrivate, withIMDS, named, tokenFile(webIdentityToken), process("dev", "process.dev", false),
		dev(r+"credential_process = $DIR/proc-dev\nweb_identity_token_file = $DIR/token\n"))
	l.add("6", "web_identity_token_file and credential_source", imgPrivate, withIMDS, named, tokenFile(webIdentityToken),
		dev(r+"credential_source = Ec2InstanceMetadata\nweb_identity_token_file = $DIR/token\n"))
	l.add("6", "source profile with static keys and its own role", imgPrivate, withIMDS, named,
		cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\nrole_arn = "+roleARN("base")+"\nsource_profile = ops\n"+keysINI("profile.base")+"[profile ops]\n"+keysINI("profile.ops")))
	l.add("6", "source profile chain of roles", imgPrivate, withIMDS, named,
		cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\nrole_arn = "+roleARN("base")+"\nsource_profile = ops\n[profile ops]\n"+keysINI("profile.ops")))
	l.add("6", "self-referencing source_profile with static keys", imgPrivate, withIMDS, named, dev(r+"source_profile = dev\n"+keysINI("profile.dev")))
	l.add("6", "source_profile loop", imgPrivate, withIMDS, named, cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\nrole_arn = "+roleARN("base")+"\nsource_profile = dev\n"))
	l.add("6", "source_profile that does not exist", imgPrivate, withIMDS, named, dev(r+"source_profile = nope\n"))
	l.add("6", "source_profile without credentials", imgPrivate, withIMDS, named, cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\nregion = us-west-2\n"))
	l.add("6", "source profile with credential_process", imgPrivate, named, process("base", "process.base", false),
		cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\ncredential_process = $DIR/proc-base\n"))
	l.add("6", "source profile with web identity", imgPrivate, named, tokenFile(webIdentityToken),
		cfg("[profile dev]\n"+r+"source_profile = base\n[profile base]\nrole_arn = "+roleARN("base")+"\nweb_identity_token_file = $DIR/token\n"))
	l.add("6", "access key in the config, secret in the credentials file", imgPrivate, withIMDS, named,
		dev("aws_access_key_id = "+keyFor("profile.dev").AccessKeyID+"\n"), creds("[dev]\naws_secret_access_key = "+keyFor("profile.dev").SecretAccessKey+"\n"))
	l.add("6", "access key without a secret", imgPrivate, withIMDS, named, dev("aws_access_key_id = "+keyFor("profile.dev").AccessKeyID+"\n"))
	l.add("6", "credentials file keys win over the config's", imgPrivate, withIMDS, named, dev(keysINI("profile.ops")), creds("[dev]\n"+keysINI("profile.dev")))
	l.add("6", "the config's session token stays with the credentials file's keys", imgPrivate, withIMDS, named,
		dev(keysINI("profile.dev")+"aws_session_token = stale\n"), creds("[dev]\n"+keysINI("profile.dev")))
}

func missingProfiles(l *caseList) {
	l.add("7", "AWS_PROFILE that does not exist, environment keys", imgPrivate, withEnvKeys("env"), env("AWS_PROFILE", "nope"), cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("7", "AWS_PROFILE that does not exist, web identity", imgPrivate, envWebIdentity("irsa"), env("AWS_PROFILE", "nope"))
	l.add("7", "AWS_PROFILE that does not exist, no files", imgPrivate, withIMDS, env("AWS_PROFILE", "nope"))
	l.add("7", "AWS_PROFILE=default without files, environment keys", imgPrivate, withEnvKeys("env"), env("AWS_PROFILE", "default"))
	l.add("7", "AWS_PROFILE with a role, environment keys win", imgPrivate, withEnvKeys("env"), env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\nsource_profile = base\n[profile base]\n"+keysINI("profile.base")))
	l.add("7", "AWS_PROFILE with a role, environment web identity wins", imgPrivate, envWebIdentity("irsa"), env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\nsource_profile = base\n[profile base]\n"+keysINI("profile.base")))
	l.add("7", "AWS_PROFILE in the credentials file only", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), creds("[dev]\n"+keysINI("profile.dev")))
	l.add("7", "missing default profile", imgPrivate, withIMDS, cfg("[profile dev]\n"+keysINI("profile.dev")))
	l.add("7", "empty named profile", imgPrivate, withIMDS, env("AWS_PROFILE", "dev"), cfg("[profile dev]\n"))
}

func legacySSO(l *caseList) {
	named := env("AWS_PROFILE", "dev")
	l.add("8", "sso_account_id, sso_role_name, sso_region without a start URL", imgPrivate, withIMDS, named,
		cfg("[profile dev]\nsso_account_id = 123456789012\nsso_role_name = Admin\nsso_region = us-east-1\n"))
	l.add("8", "all four legacy SSO keys", imgPrivate, withIMDS, named,
		cfg("[profile dev]\nsso_account_id = 123456789012\nsso_role_name = Admin\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n"))
	l.add("8", "sso_region alone", imgPrivate, withIMDS, named, cfg("[profile dev]\nsso_region = us-east-1\n"))
	l.add("8", "sso_session without its section", imgPrivate, withIMDS, named, cfg("[profile dev]\nsso_session = corp\n"))
	l.add("8", "sso_session with its section", imgPrivate, withIMDS, named,
		cfg("[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n"))
	l.add("8", "legacy SSO keys with credential_process", imgPrivate, withIMDS, named, process("dev", "process.dev", false),
		cfg("[profile dev]\nsso_account_id = 123456789012\nsso_role_name = Admin\nsso_region = us-east-1\ncredential_process = $DIR/proc-dev\n"))
	l.add("8", "legacy SSO keys beside source_profile", imgPrivate, withIMDS, named,
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\nsource_profile = base\nsso_account_id = 123456789012\nsso_role_name = Admin\n[profile base]\n"+keysINI("profile.base")))
	l.add("8", "legacy SSO keys in the default profile", imgPrivate, withIMDS, cfg("[default]\nsso_account_id = 123456789012\nsso_role_name = Admin\n"))
}

func hostForms(l *caseList) {
	keys := withEnvKeys("env")
	for _, img := range []string{imgPrivate, imgFIPS, imgFIPSEast, imgDual, imgDualFIPS, imgGovDual, imgGovDualF, imgChina, imgChinaDual,
		imgISO, imgISOB, imgISOE, imgISOF, imgEUSC, imgEUSCFIPS, imgPublic, imgPublicDual} {
		l.add("9", "host "+imageHost(img), img, keys)
	}
	l.add("9", "ecr-public.aws.com with AWS_USE_FIPS_ENDPOINT", imgPublicDual, keys, env("AWS_USE_FIPS_ENDPOINT", "true"))
	l.add("9", "dual-stack host, AWS_USE_DUALSTACK_ENDPOINT=false", imgDual, keys, env("AWS_USE_DUALSTACK_ENDPOINT", "false"))
	l.add("9", "FIPS host, AWS_USE_FIPS_ENDPOINT=false", imgFIPSEast, keys, env("AWS_USE_FIPS_ENDPOINT", "false"))
	l.add("9", "dual-stack host, AWS_USE_FIPS_ENDPOINT=true", imgDual, keys, env("AWS_USE_FIPS_ENDPOINT", "true"))
	l.add("9", "FIPS host with AWS_ENDPOINT_URL_ECR", imgFIPSEast, keys, env("AWS_ENDPOINT_URL_ECR", "https://ecr.env.example"))
	l.add("9", "dual-stack host, web identity", imgDual, envWebIdentity("irsa"))
	// Forms no AWS source names (SPEC §2; the SDK's partitions, the ECS
	// agent, amazon-ecr-credential-helper, AWS documentation): refused.
	for _, host := range []string{
		"123456789012.dkr-ecr.us-iso-east-1.on.aws", "123456789012.dkr-ecr.us-isob-east-1.on.aws",
		"123456789012.dkr-ecr.eusc-de-east-1.on.aws", "123456789012.dkr-ecr.us-west-2.amazonaws.com",
		"123456789012.dkr.ecr.us-west-2.on.aws", "123456789012.dkr.ecr.cn-north-1.amazonaws.com",
		"123456789012.dkr.ecr.us-west-2.amazonaws.com.cn", "123456789012.dkr.ecr.us-west-2.c2s.ic.gov",
	} {
		l.add("9", "unnamed host form "+host, host+"/team/app", keys, env("AWS_REGION", "us-west-2"), refused("host form no AWS source names"))
	}
	l.add("9", "region that is not a region (mirror)", imgMirror, keys, env("AWS_REGION", "US-WEST-2"), refused("invalid region"))
}

func deliberate(l *caseList) {
	lone := func(c *nodeCase) { c.loneRole = true }
	l.add("S", "lone role_arn over the instance role", imgPrivate, withIMDS, lone, cfg("[default]\nrole_arn = "+roleARN("dev")+"\n"))
	l.add("S", "lone role_arn over container credentials", imgPrivate, withContainer, lone, env("AWS_PROFILE", "dev"), cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\nregion = us-west-2\n"))
	l.add("S", "half-set pair: access key only", imgPrivate, withIMDS, env("AWS_ACCESS_KEY_ID", keyFor("env").AccessKeyID), refused("half-set key pair"))
	l.add("S", "half-set pair: secret only, profile keys", imgPrivate, env("AWS_SECRET_ACCESS_KEY", keyFor("env").SecretAccessKey), creds("[default]\n"+keysINI("profile.default")), refused("half-set key pair"))
	l.add("S", "half-set pair: alias access key only", imgPrivate, withIMDS, env("AWS_ACCESS_KEY", keyFor("env-alias").AccessKeyID), refused("half-set key pair"))
	l.add("S", "IMDSv1 only", imgPrivate, func(c *nodeCase) { c.imds = imdsV1Only })
	l.add("S", "IMDSv1 only, through credential_source", imgPrivate, func(c *nodeCase) { c.imds = imdsV1Only }, env("AWS_PROFILE", "dev"),
		cfg("[profile dev]\nrole_arn = "+roleARN("dev")+"\ncredential_source = Ec2InstanceMetadata\n"))
	l.add("S", "expired credential_process answer", imgPrivate, withIMDS, process("dev", "process.dev", true), cfg("[default]\ncredential_process = $DIR/proc-dev\n"))
	l.add("S", "web identity token with a trailing newline (environment)", imgPrivate, envWebIdentity("irsa"), tokenFile(webIdentityToken+"\n"))
	l.add("S", "web identity token with a trailing newline (profile)", imgPrivate, tokenFile(webIdentityToken+"\n"),
		cfg("[default]\nrole_arn = "+roleARN("wi")+"\nweb_identity_token_file = $DIR/token\n"))
}

// randomCase composes a node from independent choices: environment
// credentials, web identity, which profile is active and what it holds,
// how the files are written, endpoint and region settings, and which
// metadata services answer.
func randomCase(r *rand.Rand, i int) nodeCase {
	c := nodeCase{item: "R", image: pickOne(r, randomImages), env: map[string]string{}}
	var tags []string
	tag := func(s string) { tags = append(tags, s) }
	envFull := randomEnvCredentials(r, &c, tag)
	envWI := false
	if r.IntN(10) == 0 {
		envWebIdentity(pickOne(r, []string{"irsa", "node"}))(&c)
		envWI = true
		tag("env-web-identity")
		if r.IntN(3) == 0 {
			c.env["AWS_ROLE_SESSION_NAME"] = "node-7"
		}
	}
	active := pickOne(r, []string{"default", "dev", "dev"})
	switch r.IntN(10) {
	case 0:
		c.env["AWS_PROFILE"] = "nope"
		tag("AWS_PROFILE=missing")
	case 1, 2:
		if active != "default" {
			c.env["AWS_DEFAULT_PROFILE"] = active
			tag("AWS_DEFAULT_PROFILE")
			break
		}
		fallthrough
	default:
		if active != "default" {
			c.env["AWS_PROFILE"] = active
		}
	}
	profiles, kind := randomProfiles(r, &c, active)
	tag("profile " + active + ":" + kind)
	if kind == "lone-role" && !envFull && !envWI {
		c.loneRole = true
	}
	var first *iniProfile
	if len(profiles) > 0 {
		first = profiles[0]
	}
	randomSettings(r, &c, first, tag)
	style := randomStyle(r)
	tag("style " + style.name)
	c.config, c.credentials = renderINI(profiles, style, false), renderINI(profiles, style, true)
	if first != nil && hasKey(first, "services") {
		c.config += "[services vpce]\necr =\n  endpoint_url = https://ecr.vpce.example\nsts =\n  endpoint_url = https://sts.vpce.example\necr_public =\n  endpoint_url = https://pub.vpce.example\n"
	}
	switch r.IntN(10) {
	case 0, 1, 2, 3:
	case 4:
		c.imds = imdsV1Only
		tag("imdsv1")
	default:
		c.imds = imdsV2
	}
	if r.IntN(6) == 0 {
		c.container = true
		tag("container")
	}
	c.name = fmt.Sprintf("random %03d %s %s", i, imageHost(c.image), strings.Join(tags, " "))
	return c
}

// hasKey reports whether p sets key in the config file.
func hasKey(p *iniProfile, key string) bool {
	for _, kv := range p.cfg {
		if kv[0] == key {
			return true
		}
	}
	return false
}

var randomImages = []string{imgPrivate, imgPrivate, imgPrivate, imgFIPS, imgDual, imgDualFIPS, imgChina, imgISOB, imgEUSC, imgPublic, imgPublicDual, imgMirror, imgMirror}

func pickOne[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// randomEnvCredentials sets the environment's keys, in one of the forms
// the SDK reads, or none; it reports whether a full pair is set.
func randomEnvCredentials(r *rand.Rand, c *nodeCase, tag func(string)) bool {
	id, alias := keyFor("env"), keyFor("env-alias")
	switch r.IntN(12) {
	case 0, 1, 2:
		withEnvKeys("env")(c)
		tag("env-keys")
	case 3:
		c.env["AWS_ACCESS_KEY"], c.env["AWS_SECRET_KEY"] = alias.AccessKeyID, alias.SecretAccessKey
		tag("env-alias-keys")
	case 4:
		c.env["AWS_ACCESS_KEY_ID"], c.env["AWS_SECRET_KEY"] = id.AccessKeyID, id.SecretAccessKey
		tag("env-mixed-keys")
	case 5:
		c.env["AWS_ACCESS_KEY_ID"] = id.AccessKeyID
		c.refused = "half-set key pair"
		tag("env-half-set")
		return false
	default:
		return false
	}
	return true
}

// iniProfile is one profile: lines for the config file and for the
// credentials file, in order.
type iniProfile struct {
	name       string
	cfg, creds [][2]string
}

func (p *iniProfile) set(key, value string)     { p.cfg = append(p.cfg, [2]string{key, value}) }
func (p *iniProfile) setCred(key, value string) { p.creds = append(p.creds, [2]string{key, value}) }

func (p *iniProfile) keys(label string, inCreds bool) {
	k := keyFor(label)
	add := p.set
	if inCreds {
		add = p.setCred
	}
	add("aws_access_key_id", k.AccessKeyID)
	add("aws_secret_access_key", k.SecretAccessKey)
}

// randomProfiles builds the active profile (first) and what it refers to.
func randomProfiles(r *rand.Rand, c *nodeCase, active string) ([]*iniProfile, string) {
	p := &iniProfile{name: active}
	base := &iniProfile{name: "base"}
	profiles := []*iniProfile{p}
	role := func() { p.set("role_arn", roleARN(active)) }
	inCreds := r.IntN(2) == 0
	proc := func(on *iniProfile) {
		expired := r.IntN(8) == 0
		process(on.name, "process."+on.name, expired)(c)
		on.set("credential_process", "$DIR/proc-"+on.name)
	}
	kinds := []string{"static", "role+source", "role+source-process", "role+cs-env", "role+cs-imds", "role+cs-ecs", "role+web-identity", "process",
		"role+process", "static+role", "static+mfa", "role+mfa", "legacy-sso", "legacy-sso+static", "region-only", "lone-role", "static+process",
		"web-identity+static+role", "source+static", "cs+static+role", "none"}
	kind := pickOne(r, kinds)
	switch kind {
	case "static":
		p.keys("profile."+active, inCreds)
	case "role+source", "source+static":
		role()
		p.set("source_profile", "base")
		base.keys("profile.base", inCreds)
		profiles = append(profiles, base)
		if kind == "source+static" {
			p.keys("profile."+active, inCreds)
		}
	case "role+source-process":
		role()
		p.set("source_profile", "base")
		proc(base)
		profiles = append(profiles, base)
	case "role+cs-env", "role+cs-imds", "role+cs-ecs":
		role()
		p.set("credential_source", map[string]string{"role+cs-env": "Environment", "role+cs-imds": "Ec2InstanceMetadata", "role+cs-ecs": "EcsContainer"}[kind])
	case "role+web-identity", "web-identity+static+role":
		role()
		c.token = webIdentityToken
		p.set("web_identity_token_file", "$DIR/token")
		if kind != "role+web-identity" {
			p.keys("profile."+active, inCreds)
		}
	case "process", "role+process", "static+process":
		proc(p)
		if kind == "role+process" {
			role()
		}
		if kind == "static+process" {
			p.keys("profile."+active, inCreds)
		}
	case "static+role", "cs+static+role":
		p.keys("profile."+active, inCreds)
		role()
		if kind == "cs+static+role" {
			p.set("credential_source", "Ec2InstanceMetadata")
		}
	case "static+mfa":
		p.keys("profile."+active, inCreds)
		p.set("mfa_serial", "arn:aws:iam::123456789012:mfa/ops")
	case "role+mfa":
		role()
		p.set("source_profile", "base")
		p.set("mfa_serial", "arn:aws:iam::123456789012:mfa/ops")
		base.keys("profile.base", inCreds)
		profiles = append(profiles, base)
	case "legacy-sso", "legacy-sso+static":
		p.set("sso_account_id", "123456789012")
		p.set("sso_role_name", "Admin")
		p.set("sso_region", "us-east-1")
		if kind != "legacy-sso" {
			p.keys("profile."+active, inCreds)
		}
	case "region-only":
		p.set("region", "eu-west-1")
	case "lone-role":
		role()
	case "none":
		return nil, kind
	}
	if r.IntN(5) == 0 {
		other := &iniProfile{name: "ops"}
		other.keys("profile.ops", r.IntN(2) == 0)
		profiles = append(profiles, other)
	}
	return profiles, kind
}

// randomSettings adds endpoint, region and transport settings to the
// environment and the active profile.
func randomSettings(r *rand.Rand, c *nodeCase, p *iniProfile, tag func(string)) {
	set := func(k, v string) {
		if p != nil {
			p.set(k, v)
			tag(k + "=" + v)
		}
	}
	setEnv := func(k, v string) { c.env[k] = v; tag(k + "=" + v) }
	if r.IntN(2) == 0 {
		set("region", pickOne(r, []string{"us-west-2", "eu-west-1", "ap-south-1"}))
	}
	if r.IntN(3) == 0 {
		setEnv(pickOne(r, []string{"AWS_REGION", "AWS_DEFAULT_REGION"}), pickOne(r, []string{"us-west-2", "eu-central-1"}))
	}
	for _, s := range []struct {
		odds     int
		key, val string
		env      bool
	}{
		{8, "use_fips_endpoint", "true", false}, {8, "use_dualstack_endpoint", "true", false},
		{10, "AWS_USE_FIPS_ENDPOINT", pickOne(r, []string{"true", "false"}), true}, {10, "AWS_USE_DUALSTACK_ENDPOINT", pickOne(r, []string{"true", "false"}), true},
		{10, "endpoint_url", "https://all.vpce.example", false}, {6, "services", "vpce", false},
		{15, "ignore_configured_endpoint_urls", "true", false}, {15, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", true},
		{12, "AWS_ENDPOINT_URL", "https://all.env.example", true}, {12, "AWS_ENDPOINT_URL_ECR", "https://ecr.env.example", true},
		{12, "AWS_ENDPOINT_URL_STS", "https://sts.env.example", true}, {15, "AWS_ENDPOINT_URL_ECR_PUBLIC", "https://pub.env.example", true},
		{12, "max_attempts", "4", false}, {15, "AWS_MAX_ATTEMPTS", "2", true},
		{10, "role_session_name", "node-7", false}, {12, "external_id", "ext-42", false},
	} {
		if r.IntN(s.odds) != 0 {
			continue
		}
		if s.env {
			setEnv(s.key, s.val)
		} else {
			set(s.key, s.val)
		}
	}
	if p != nil && r.IntN(12) == 0 {
		set("ca_bundle", "$CA")
		c.caInProfile = true
	}
}

// iniStyle is how a generated file is written: all forms the SDK reads
// the same way (indented keys right under a header or under a key with a
// value are ordinary properties).
type iniStyle struct {
	name, indent, sep, eol string
	quotes, comments       bool
}

func randomStyle(r *rand.Rand) iniStyle {
	return pickOne(r, []iniStyle{
		{name: "plain", sep: " = ", eol: "\n"},
		{name: "plain", sep: "=", eol: "\n"},
		{name: "indented", indent: "  ", sep: " = ", eol: "\n"},
		{name: "tabs", indent: "\t", sep: " = ", eol: "\n"},
		{name: "comments", sep: " = ", eol: "\n", comments: true},
		{name: "quotes", sep: " = ", eol: "\n", quotes: true},
		{name: "indented-quotes", indent: "    ", sep: " = ", eol: "\n", quotes: true},
		{name: "crlf", sep: " = ", eol: "\r\n"},
		{name: "colon", sep: ": ", eol: "\n"},
	})
}

// renderINI writes the config file (creds false) or the credentials file.
func renderINI(profiles []*iniProfile, s iniStyle, creds bool) string {
	var b strings.Builder
	for _, p := range profiles {
		lines := p.cfg
		header := "profile " + p.name
		if p.name == "default" {
			header = "default"
		}
		if creds {
			lines, header = p.creds, p.name
		}
		if len(lines) == 0 {
			continue
		}
		if s.comments {
			b.WriteString("# profile " + p.name + s.eol)
		}
		b.WriteString("[" + header + "]" + s.eol)
		for _, kv := range lines {
			v := kv[1]
			if s.quotes {
				v = `"` + v + `"`
			}
			b.WriteString(s.indent + kv[0] + s.sep + v)
			if s.comments {
				b.WriteString(" # " + kv[0])
			}
			b.WriteString(s.eol)
		}
		b.WriteString(s.eol)
	}
	return b.String()
}

package main

// STS AssumeRoleWithWebIdentity and AssumeRole, the two calls the
// credential chain makes (SPEC §7), over the awsQuery protocol: a form
// POSTed to "/", an XML answer.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// stsVersion is the API version every STS form names (SPEC §7).
	stsVersion = "2011-06-15"

	// stsNamespace is the XML namespace of STS answers.
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

	// stsContentType is what the SDKs send, without a charset (aws-sdk-go-v2
	// service/sts serializers.go); the form is ASCII after encoding anyway.
	stsContentType = "application/x-www-form-urlencoded"

	actionWebIdentity = "AssumeRoleWithWebIdentity"
	actionAssumeRole  = "AssumeRole"

	// maxWebIdentityToken is STS's own limit on WebIdentityToken (the API
	// reference gives 4-20000 characters).
	maxWebIdentityToken = 20000

	// maxRoleARN is STS's limit on RoleArn.
	maxRoleARN = 2048

	// maxExternalID is STS's limit on ExternalId.
	maxExternalID = 1224

	// minDurationSeconds and maxDurationSeconds are STS's bounds on
	// DurationSeconds; the role's MaxSessionDuration may be lower, and STS
	// says so itself (ValidationError).
	minDurationSeconds = 900
	maxDurationSeconds = 43200
)

// assumeRoleInput is one AssumeRole or AssumeRoleWithWebIdentity call's
// parameters.
type assumeRoleInput struct {
	roleARN         string
	sessionName     string // required; callers pass a default
	externalID      string // AssumeRole only; "" omits
	durationSeconds int    // 0 omits (STS default, 1 h)
}

// assumeRoleWithWebIdentity exchanges an OIDC token (a Kubernetes service
// account token, say) for the role's credentials. The call is unsigned
// (SPEC §7): the token is the proof of identity.
func assumeRoleWithWebIdentity(ctx context.Context, c *awsClient, endpoint string, in assumeRoleInput, token string) (credentials, error) {
	if err := cmp.Or(in.check(false), checkWebIdentityToken(token)); err != nil {
		return credentials{}, fmt.Errorf("STS %s: %w", actionWebIdentity, err)
	}
	form := in.form(actionWebIdentity)
	form.Set("WebIdentityToken", token)
	return callSTS(ctx, c, endpoint, actionWebIdentity, form, nil)
}

// assumeRole assumes in.roleARN with creds, signing for region with
// service "sts" (SPEC §7).
func assumeRole(ctx context.Context, c *awsClient, endpoint, region string, creds credentials, in assumeRoleInput) (credentials, error) {
	if err := cmp.Or(in.check(true), creds.validate("the role's source")); err != nil {
		return credentials{}, fmt.Errorf("STS %s: %w", actionAssumeRole, err)
	}
	return callSTS(ctx, c, endpoint, actionAssumeRole, in.form(actionAssumeRole), &signer{creds: creds, region: region, service: "sts"})
}

// check validates the parameters before anything is sent, so that STS
// never sees, and no log ever shows, a malformed request. The external
// ID is not quoted: AWS does not count it a secret, but it is what the
// role's trust policy checks the caller by, and a log has no need of it.
func (in assumeRoleInput) check(externalIDAllowed bool) error {
	d := in.durationSeconds
	switch {
	case !validRoleARN(in.roleARN):
		return fmt.Errorf("invalid role ARN %s: want arn:PARTITION:iam::ACCOUNT:role/NAME with a 12-digit account", shortQuote(in.roleARN))
	case !validSessionName(in.sessionName):
		return fmt.Errorf("invalid role session name %s: want 2-64 of A-Z, a-z, 0-9 and _+=,.@-", shortQuote(in.sessionName))
	case in.externalID != "" && !externalIDAllowed:
		return errors.New("an external ID is only for AssumeRole")
	case in.externalID != "" && !validExternalID(in.externalID):
		return fmt.Errorf("invalid external ID (%d bytes): want 2-1224 of A-Z, a-z, 0-9 and _+=,.@:/-", len(in.externalID))
	case d != 0 && (d < minDurationSeconds || d > maxDurationSeconds):
		return fmt.Errorf("invalid duration %d seconds: want %d to %d", d, minDurationSeconds, maxDurationSeconds)
	}
	return nil
}

// form returns action's form but for the web identity token. check has
// made sure that only AssumeRole has an external ID.
func (in assumeRoleInput) form(action string) url.Values {
	form := url.Values{
		"Action":          {action},
		"Version":         {stsVersion},
		"RoleArn":         {in.roleARN},
		"RoleSessionName": {in.sessionName},
	}
	if in.durationSeconds != 0 {
		form.Set("DurationSeconds", strconv.Itoa(in.durationSeconds))
	}
	if in.externalID != "" {
		form.Set("ExternalId", in.externalID)
	}
	return form
}

// checkWebIdentityToken refuses a token STS would refuse, without saying
// anything about its content. A trailing newline from a token file counts
// as whitespace: trimming is the reader's business, not this call's.
func checkWebIdentityToken(token string) error {
	switch {
	case token == "":
		return errors.New("the web identity token is empty")
	case len(token) > maxWebIdentityToken:
		return fmt.Errorf("the web identity token is %d bytes, more than STS's %d", len(token), maxWebIdentityToken)
	case strings.ContainsFunc(token, notPrintableASCII):
		return errors.New("the web identity token contains whitespace, a control character or non-ASCII text")
	}
	return nil
}

// callSTS POSTs the form, signed when sign is set, and decodes the
// credentials in the answer.
func callSTS(ctx context.Context, c *awsClient, endpoint, action string, form url.Values, sign *signer) (credentials, error) {
	body, err := c.send(ctx, awsRequest{
		operation: "STS " + action,
		endpoint:  endpoint,
		// SPEC §7; Encode sorts the keys, so the body is canonical.
		header:      http.Header{"Content-Type": {stsContentType}},
		body:        []byte(form.Encode()),
		sign:        sign,
		decodeError: parseSTSError,
	})
	if err != nil {
		return credentials{}, withHint(err, func(code string) string { return stsHint(code, action) })
	}
	creds, err := parseSTSCredentials(body, action)
	if err == nil && !creds.Expires.After(c.clock.Now()) {
		err = fmt.Errorf("the credentials expired at %s (check the node's clock)", creds.Expires.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return credentials{}, fmt.Errorf("STS %s at %s: %w", action, endpointHost(endpoint), err)
	}
	return creds, nil
}

// stsHint is what to check after STS refused action with code, or "": the
// errors operators meet most.
func stsHint(code, action string) string {
	webIdentity := action == actionWebIdentity
	switch {
	case code == "AccessDenied" && webIdentity:
		return "check that the role's trust policy allows sts:AssumeRoleWithWebIdentity for this token's issuer and subject"
	case code == "AccessDenied":
		return "check that the role's trust policy allows sts:AssumeRole for these credentials, and that their own policies allow it on the role"
	case code == "InvalidIdentityToken", code == "ExpiredTokenException" && webIdentity:
		return "check the token's issuer and audience (sts.amazonaws.com), that it is fresh, and that the issuer is an IAM OIDC identity provider of the role's account"
	case code == "IDPRejectedClaim":
		return "check the token's claims (sub, aud) against the conditions of the role's trust policy"
	case code == "IDPCommunicationError":
		return "STS could not reach the token issuer's OIDC discovery document or keys: check that they are publicly reachable"
	case code == "RegionDisabledException":
		return "activate STS for this region in the account, or use another region's STS endpoint"
	case code == "ValidationError":
		return "check the role ARN, the session name, and the duration against the role's maximum session duration"
	case code == "InvalidClientTokenId", code == "SignatureDoesNotMatch", code == "IncompleteSignature",
		code == "ExpiredToken", code == "ExpiredTokenException":
		return "check the credentials used to assume the role and the node's clock"
	}
	return ""
}

// stsCredentials is the Credentials element of both answers.
type stsCredentials struct {
	AccessKeyID                               string `xml:"AccessKeyId"`
	SecretAccessKey, SessionToken, Expiration string
}

// parseSTSCredentials decodes the successful answer of action (SPEC §7):
// {action}Response/{action}Result/Credentials/{AccessKeyId,
// SecretAccessKey, SessionToken, Expiration}, all four required. Errors
// never quote the body: it holds the secret.
//
// The answer is decoded as either action's. Tags without a namespace match
// elements in any namespace, so the xmlns STS sets needs no mention here;
// the root's namespace is checked by hand. The Result elements (of which
// only the credentials matter) and Credentials are slices so that a
// repeated one is seen and refused, not merged.
func parseSTSCredentials(body []byte, action string) (credentials, error) {
	type result struct{ Credentials []stsCredentials }
	var resp struct {
		XMLName     xml.Name
		AssumeRole  []result `xml:"AssumeRoleResult"`
		WebIdentity []result `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := decodeXML(body, &resp); err != nil {
		return credentials{}, fmt.Errorf("answer is not XML: %v", errorKind(err))
	}
	if resp.XMLName.Local != action+"Response" || resp.XMLName.Space != "" && resp.XMLName.Space != stsNamespace {
		return credentials{}, fmt.Errorf("answer is not an %sResponse", action)
	}
	results := resp.AssumeRole
	if action == actionWebIdentity {
		results = resp.WebIdentity
	}
	if len(results) != 1 || len(results[0].Credentials) != 1 {
		return credentials{}, fmt.Errorf("answer has not exactly one %sResult with one Credentials element", action)
	}
	return results[0].Credentials[0].credentials("STS " + action)
}

// credentials checks and converts the Credentials element. XML keeps the
// whitespace around a value, which a pretty-printed answer may carry;
// none belongs to a key or a time.
func (sc stsCredentials) credentials(source string) (credentials, error) {
	c := credentials{
		AccessKeyID:     strings.TrimSpace(sc.AccessKeyID),
		SecretAccessKey: strings.TrimSpace(sc.SecretAccessKey),
		SessionToken:    strings.TrimSpace(sc.SessionToken),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return credentials{}, errors.New("answer lacks AccessKeyId, SecretAccessKey or SessionToken")
	}
	if err := c.validate(source); err != nil {
		return credentials{}, err
	}
	expires, err := time.Parse(time.RFC3339, strings.TrimSpace(sc.Expiration))
	if err != nil || expires.IsZero() {
		return credentials{}, errors.New("answer's Expiration is missing or not an RFC 3339 time")
	}
	c.Expires = expires.UTC()
	return c, nil
}

// parseSTSError reads an awsQuery error body, ErrorResponse/Error/
// {Type,Code,Message} (SPEC §7), for awsClient.send. Type (Sender or
// Receiver) says no more than the status does. Any other body gives empty
// strings, and the error is then the HTTP status alone.
func parseSTSError(body []byte) (code, message string) {
	var e struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct{ Code, Message string }
	}
	if xml.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return strings.TrimSpace(e.Error.Code), strings.TrimSpace(e.Error.Message)
}

// decodeXML decodes exactly one XML document into v: after the root
// element only whitespace, comments and processing instructions may
// follow. encoding/xml neither reads DTDs nor expands entities beyond
// the five predefined ones, so a hostile answer cannot grow.
func decodeXML(data []byte, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text after the root element")
			}
		default:
			return errors.New("data after the root element")
		}
	}
}

// errorKind says what kind of XML error err is without its text, which
// for a syntax error can quote the body.
func errorKind(err error) string {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &se) && se.Msg == "unexpected EOF":
		return "truncated"
	case se != nil:
		return fmt.Sprintf("syntax error on line %d", se.Line)
	}
	return "not one XML document"
}

// validRoleARN reports whether arn is an IAM role ARN STS would take, at
// most 2048 bytes, in one of the partitions of the SPEC §2 table:
//
//	^arn:PARTITION:iam::[0-9]{12}:role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}$
//
// The name is what follows the last "/"; before it is the path.
func validRoleARN(arn string) bool {
	if len(arn) > maxRoleARN {
		return false
	}
	rest, ok := strings.CutPrefix(arn, "arn:")
	partitionName, rest, _ := strings.Cut(rest, ":")
	if !ok || !isPartitionName(partitionName) {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "iam::"); !ok || len(rest) < 12 || !allBytes(rest[:12], isDigit) {
		return false
	}
	if rest, ok = strings.CutPrefix(rest[12:], ":role/"); !ok {
		return false
	}
	slash := strings.LastIndexByte(rest, '/')
	path, role := rest[:slash+1], rest[slash+1:]
	return allBytes(path, func(c byte) bool { return isIAMNameByte(c) || c == '/' }) &&
		len(role) >= 1 && len(role) <= 64 && allBytes(role, isIAMNameByte)
}

// isPartitionName reports whether s names a partition of the SPEC §2 table.
func isPartitionName(s string) bool {
	for _, e := range partitions {
		if e.p.name == s {
			return true
		}
	}
	return false
}

// validExternalID reports whether s is an ExternalId STS would take:
// ^[\w+=,.@:/-]+$ and 2-1224 bytes.
func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= maxExternalID &&
		allBytes(s, func(c byte) bool { return isIAMNameByte(c) || c == ':' || c == '/' })
}

// validSessionName reports whether s is a RoleSessionName STS would take:
// ^[\w+=,.@-]{2,64}$.
func validSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && allBytes(s, isIAMNameByte)
}

// isIAMNameByte reports whether c is in [\w+=,.@-], the bytes of IAM names
// and STS session names (\w is [A-Za-z0-9_]).
func isIAMNameByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("_+=,.@-", c) >= 0
}

// defaultSessionName names the STS sessions this program opens when the
// operator names none; it shows in CloudTrail.
const defaultSessionName = "ecr-credential-provider"

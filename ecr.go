package main

// ECR's GetAuthorizationToken, private and public (SPEC §3).

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// The awsJson1.1 targets of GetAuthorizationToken (SPEC §3).
const (
	targetPrivate = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
	targetPublic  = "SpencerFrontendService.GetAuthorizationToken"
)

// registryAuth is a decoded ECR authorization token.
type registryAuth struct {
	username, password string
	expires            time.Time // zero when ECR gave no expiresAt
}

// getAuthorizationToken fetches a registry token from the ECR API at
// endpoint, signed for region and service ("ecr" or "ecr-public").
func getAuthorizationToken(ctx context.Context, c *awsClient, endpoint, region, service string, creds credentials) (registryAuth, error) {
	public := service == "ecr-public"
	target := targetPrivate
	if public {
		target = targetPublic
	}
	body, err := c.send(ctx, awsRequest{
		operation:   "ECR GetAuthorizationToken",
		endpoint:    endpoint,
		header:      http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}},
		body:        []byte("{}"),
		sign:        &signer{creds: creds, region: region, service: service},
		decodeError: parseJSONError,
	})
	if err != nil {
		return registryAuth{}, withHint(err, ecrHint)
	}
	auth, err := parseAuthorizationData(body, public)
	if err == nil && !auth.expires.IsZero() && !auth.expires.After(c.clock.Now()) {
		err = fmt.Errorf("the token expired at %s (check the node's clock)", auth.expires.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return registryAuth{}, fmt.Errorf("ECR GetAuthorizationToken at %s: %w", endpointHost(endpoint), err)
	}
	return auth, nil
}

// ecrHint is what to check after ECR refused a call with code, or "": the
// errors operators meet most.
func ecrHint(code string) string {
	switch code {
	case "AccessDeniedException":
		return "check that the IAM policy of these credentials allows ecr:GetAuthorizationToken, or ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken for ECR Public"
	case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException":
		return "check the AWS credentials and the node's clock"
	}
	return ""
}

// authorizationData is one entry of a GetAuthorizationToken answer.
type authorizationData struct {
	AuthorizationToken string   `json:"authorizationToken"`
	ExpiresAt          *float64 `json:"expiresAt"`
}

// parseAuthorizationData decodes a successful answer: a list of entries
// from private ECR, a single object from ECR Public (SPEC §3). Errors
// never quote the body: it holds the token. json.Unmarshal takes exactly
// one JSON value: data after it is a syntax error.
func parseAuthorizationData(body []byte, public bool) (registryAuth, error) {
	var data authorizationData
	if public {
		var resp struct{ AuthorizationData *authorizationData }
		if err := json.Unmarshal(body, &resp); err != nil || resp.AuthorizationData == nil {
			return registryAuth{}, errors.New("answer is not a GetAuthorizationToken response (no authorizationData object)")
		}
		data = *resp.AuthorizationData
	} else {
		var resp struct{ AuthorizationData []authorizationData }
		if err := json.Unmarshal(body, &resp); err != nil || len(resp.AuthorizationData) == 0 {
			return registryAuth{}, errors.New("answer is not a GetAuthorizationToken response (no authorizationData entry)")
		}
		data = resp.AuthorizationData[0]
	}
	user, password, err := decodeAuthorizationToken(data.AuthorizationToken)
	if err != nil {
		return registryAuth{}, err
	}
	expires, err := parseExpiresAt(data.ExpiresAt)
	return registryAuth{username: user, password: password, expires: expires}, err
}

// decodeAuthorizationToken decodes base64 "user:password", splitting at
// the first colon only: the password may hold colons, the user may not.
func decodeAuthorizationToken(token string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", "", errors.New("authorizationToken is not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("authorizationToken does not decode to user:password")
	}
	return user, password, nil
}

// parseExpiresAt converts expiresAt, epoch seconds as a JSON number that
// may be fractional or in E-notation (SPEC §3). A missing value is the
// zero time: kubelet is then told not to cache.
func parseExpiresAt(v *float64) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	// Beyond year 9999, or negative: not a time ECR would send.
	if math.IsNaN(*v) || *v <= 0 || *v > 253402300799 {
		return time.Time{}, fmt.Errorf("expiresAt %v is not a plausible time", *v)
	}
	sec, frac := math.Modf(*v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// parseJSONError reads an awsJson1.1 error body: the code from __type,
// else code; the message from message or Message (SPEC §3). The
// X-Amzn-ErrorType header, when present, wins over both (see readResponse).
func parseJSONError(body []byte) (code, message string) {
	var e struct {
		Type        string `json:"__type"`
		Code        string `json:"code"`
		Message     string `json:"message"`
		MessageCaps string `json:"Message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return cmp.Or(e.Type, e.Code), cmp.Or(e.Message, e.MessageCaps)
}

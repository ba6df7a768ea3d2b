package main

// The AWS default credential chain (SPEC §5): ordered sources, the first
// that is configured wins.

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

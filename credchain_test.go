package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fixedSource is a chain link with a canned answer.
func fixedSource(name string, creds credentials, err error) credentialSource {
	return credentialSource{name: name, fetch: func(context.Context) (credentials, error) { return creds, err }}
}

func TestResolveCredentials(t *testing.T) {
	a := credentials{AccessKeyID: "AKIDA", SecretAccessKey: "a"}
	b := credentials{AccessKeyID: "AKIDB", SecretAccessKey: "b"}
	none := &notConfigured{"nothing here"}
	tests := []struct {
		name    string
		sources []credentialSource
		want    string // access key ID, or an error substring
	}{
		{"first wins", []credentialSource{fixedSource("one", a, nil), fixedSource("two", b, nil)}, "AKIDA"},
		{"skips unconfigured", []credentialSource{fixedSource("one", credentials{}, none), fixedSource("two", b, nil)}, "AKIDB"},
		{"configured failure stops the chain", []credentialSource{fixedSource("one", credentials{}, errors.New("token file unreadable")), fixedSource("two", b, nil)},
			"AWS credentials from one: token file unreadable"},
		{"none lists every reason", []credentialSource{fixedSource("one", credentials{}, none), fixedSource("two", credentials{}, &notConfigured{"off"})},
			"no AWS credentials found (one: nothing here; two: off)"},
		{"malformed credentials refused", []credentialSource{fixedSource("one", credentials{AccessKeyID: "AKID\n", SecretAccessKey: "s"}, nil)},
			"the access key ID is malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := resolveCredentials(context.Background(), tt.sources)
			got := creds.AccessKeyID
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("resolveCredentials = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProfileKind(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   string // kind, or an error substring
	}{
		{"static", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S"}, "static"},
		{"static with token", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S", "aws_session_token": "T"}, "static"},
		{"region only", map[string]string{"region": "us-east-1"}, ""},
		{"source_profile", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "base"}, "source_profile"},
		{"self-sourced with keys", map[string]string{"name": "p", "role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "p", "aws_access_key_id": "A", "aws_secret_access_key": "S"}, "source_profile"},
		{"credential_source", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "credential_source": "Ec2InstanceMetadata"}, "credential_source"},
		{"web identity", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "web_identity_token_file": "/t"}, "web_identity_token_file"},
		{"process", map[string]string{"credential_process": "/bin/creds"}, "credential_process"},
		{"partial keys", map[string]string{"aws_access_key_id": "A"}, "only one of aws_access_key_id and aws_secret_access_key"},
		{"secret only", map[string]string{"aws_secret_access_key": "S"}, "only one of"},
		{"both sources", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "credential_source": "Environment"}, "more than one of"},
		{"role with keys", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "aws_access_key_id": "A", "aws_secret_access_key": "S"}, "mixes role_arn"},
		{"role with process", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "credential_process": "x"}, "mixes role_arn"},
		{"keys and process", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S", "credential_process": "x"}, "both static keys and credential_process"},
		{"role alone", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r"}, "role_arn without"},
		{"source without role", map[string]string{"source_profile": "b"}, "source_profile without role_arn"},
		{"mfa", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "mfa_serial": "arn:aws:iam::123456789012:mfa/u"}, "MFA"},
		{"sso", map[string]string{"sso_session": "corp"}, "IAM Identity Center"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.values["name"]
			if name == "" {
				name = "p"
			}
			kind, err := profileKind(profile{name: name, values: tt.values})
			got := kind
			if err != nil {
				got = err.Error()
			}
			if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
				t.Errorf("profileKind(%v) = %q, want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestPodRoleARN(t *testing.T) {
	const ecrKey, irsaKey = "eks.amazonaws.com/ecr-role-arn", "eks.amazonaws.com/role-arn"
	tests := []struct {
		annotations map[string]string
		env         string
		arn, from   string
	}{
		{map[string]string{ecrKey: "A", irsaKey: "B"}, "C", "A", "service-account annotation " + ecrKey},
		{map[string]string{irsaKey: "B"}, "C", "B", "service-account annotation " + irsaKey},
		{map[string]string{"other": "X"}, "C", "C", "AWS_ECR_ROLE_ARN"},
		{map[string]string{ecrKey: ""}, "C", "C", "AWS_ECR_ROLE_ARN"},
		{nil, "", "", ""},
	}
	for _, tt := range tests {
		arn, from := podRoleARN(tt.annotations, tt.env)
		if arn != tt.arn || from != tt.from {
			t.Errorf("podRoleARN(%v, %q) = %q, %q; want %q, %q", tt.annotations, tt.env, arn, from, tt.arn, tt.from)
		}
	}
}

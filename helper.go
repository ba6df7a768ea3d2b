package main

// Pulls that bypass kubelet: containerd's sandbox image, boot scripts, ctr,
// crictl, nerdctl, crane. Two modes of the same binary, with the kubelet
// path's registry grammar, endpoints, node credential chain and deadline:
//
//   - the docker credential-helper protocol (SPEC §9), as a drop-in for
//     amazon-ecr-credential-helper: run under the name
//     docker-credential-ecr-login, or as
//     `ecr-credential-provider docker-credential-helper ACTION`;
//   - `ecr-credential-provider get-login-password IMAGE|HOST`, which prints
//     the password alone, as `aws ecr get-login-password` does.
//
// There is no disk cache: every get is one GetAuthorizationToken call.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// helperName is the program credential-helper clients run for "ecr-login"
// in a config.json's credHelpers or credsStore (SPEC §9).
const helperName = "docker-credential-ecr-login"

// protocolAnswer is one of the protocol's fixed messages, written as is:
// clients compare the whole trimmed line (docker-credential-helpers,
// credentials/error.go and client/client.go).
type protocolAnswer string

func (a protocolAnswer) Error() string { return string(a) }

const (
	// errNotFound makes the caller go on without credentials (anonymously).
	errNotFound protocolAnswer = "credentials not found in native keychain"
	// errNoServerURL is what credentials.Get answers to an empty stdin.
	errNoServerURL protocolAnswer = "no credentials server URL"
	// errNotImplemented is amazon-ecr-credential-helper's answer to store
	// and erase: its tokens are temporary and never stored.
	errNotImplemented protocolAnswer = "not implemented"
)

// helperUsage is one line: on a wrong command line it is the failure's
// one line on stdout, as credentials.Serve writes its usage.
const helperUsage = "usage: " + helperName + " get|list|store|erase|version (or ecr-credential-provider docker-credential-helper ACTION)\n"

// runCredentialHelper answers one action of the credential-helper protocol
// and returns the exit code. As docker-credential-helpers' credentials.Serve
// does, a failure is one line on stdout and exit 1: clients read stdout,
// and pass stderr (warnings only) through to the user.
func runCredentialHelper(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	if len(args) != 1 {
		fmt.Fprint(stdout, helperUsage)
		return 1
	}
	out, err := helperAction(args[0], stdin, stderr, getenv, now)
	if err != nil {
		msg := err.Error()
		if _, fixed := err.(protocolAnswer); !fixed {
			msg = "ecr-credential-provider: " + oneLine(msg)
		}
		fmt.Fprintln(stdout, msg)
		return 1
	}
	if _, err := io.WriteString(stdout, out); err != nil {
		return exitCode(stderr, fmt.Errorf("writing to stdout: %w", err))
	}
	return 0
}

// helperAction runs one action and returns what to write to stdout.
func helperAction(action string, stdin io.Reader, stderr io.Writer, getenv func(string) string, now func() time.Time) (string, error) {
	switch action {
	case "get":
		return helperGet(stdin, stderr, getenv, now)
	case "list":
		// Nothing is cached, so nothing is known before a get; upstream
		// lists its disk cache, which is empty on a fresh machine.
		return "{}\n", nil
	case "store", "erase":
		// Drained so that the client's write completes; nothing is kept.
		io.Copy(io.Discard, io.LimitReader(stdin, maxRequestBytes))
		if getenv("AWS_ECR_IGNORE_CREDS_STORAGE") == "true" {
			return "", nil
		}
		return "", errNotImplemented
	case "version", "--version", "-v":
		return helperName + " (ecr-credential-provider) " + buildVersion() + "\n", nil
	case "--help", "-h":
		return helperUsage, nil
	}
	return "", fmt.Errorf("unknown action %s (want get, list, store, erase or version)", shortQuote(action))
}

// helperGet reads a server URL on stdin and answers with the registry's
// credentials as {"ServerURL","Username","Secret"}, echoing the URL as
// credentials.Get does.
func helperGet(stdin io.Reader, stderr io.Writer, getenv func(string) string, now func() time.Time) (string, error) {
	data, err := readBounded(stdin, maxRequestBytes)
	if err != nil {
		return "", fmt.Errorf("reading the server URL from stdin: %w", err)
	}
	serverURL := strings.TrimSpace(string(data))
	if serverURL == "" {
		return "", errNoServerURL
	}
	host, ok := ecrServerHost(serverURL)
	if !ok {
		return "", errNotFound
	}
	ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
	defer cancel()
	_, auth, err := registryLogin(ctx, getenv, &clock{now: now}, stderr, host, podIdentity{})
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(struct{ ServerURL, Username, Secret string }{serverURL, auth.username, auth.password})
	return string(out) + "\n", err
}

// ecrServerHost returns the registry host (host[:port]) of a server URL as
// clients send it: a bare host or https://host, either with a path (/v2/,
// /v1/, or a repository, which go-containerregistry asks for first), and
// whether it is a private ECR or ECR Public registry by the kubelet path's
// grammar (SPEC §2). Any other host, however malformed, has no ECR
// credentials: the caller goes on anonymously, as with
// amazon-ecr-credential-helper. The mirror rule does not apply here: a
// credsStore sends every registry (docker.io, ghcr.io …) to the helper,
// and AWS_REGION is set in many environments, so it would hand ECR tokens
// to other registries. An http:// URL keeps its scheme in the host and
// fails: a token is never handed out for plain HTTP.
func ecrServerHost(serverURL string) (string, bool) {
	host, _, _ := strings.Cut(strings.TrimPrefix(serverURL, "https://"), "/")
	_, err := parseRegistry(host, "")
	return host, err == nil
}

// runGetLoginPassword prints the password of the registry of IMAGE|HOST and
// a newline, as `aws ecr get-login-password` does (awscli
// customizations/ecr.py), for `ctr --user "AWS:$(…)"` and
// `crictl pull --creds`. The host is named by the operator, so the mirror
// rule applies as on the kubelet path. Exit codes as run's.
func runGetLoginPassword(args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, "usage: ecr-credential-provider get-login-password IMAGE|HOST\n")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
	defer cancel()
	_, auth, err := registryLogin(ctx, getenv, &clock{now: now}, stderr, args[0], podIdentity{})
	if err == nil {
		_, err = fmt.Fprintln(stdout, auth.password)
	}
	return exitCode(stderr, err)
}

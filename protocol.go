package main

// The kubelet exec credential provider protocol (SPEC §1): one
// CredentialProviderRequest on stdin, one CredentialProviderResponse on stdout.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

const (
	requestKind  = "CredentialProviderRequest"
	responseKind = "CredentialProviderResponse"

	// maxRequestBytes bounds stdin. kubelet's requests are a few hundred
	// bytes, a few KiB with a service-account token.
	maxRequestBytes = 1 << 20

	// cacheKeyRegistry makes kubelet reuse the token for every image of the
	// registry: an ECR token is valid for the whole registry.
	cacheKeyRegistry = "Registry"
)

// apiVersion reports whether v is a credentialprovider.kubelet.k8s.io
// version this program speaks. All three have the same request and
// response shapes.
func apiVersion(v string) bool {
	version, ok := strings.CutPrefix(v, "credentialprovider.kubelet.k8s.io/")
	return ok && (version == "v1alpha1" || version == "v1beta1" || version == "v1")
}

// credentialProviderRequest is what kubelet writes to stdin.
// serviceAccountToken and serviceAccountAnnotations come only from v1
// kubelets whose provider config has tokenAttributes (KEP-4412).
type credentialProviderRequest struct {
	Kind, APIVersion, Image, ServiceAccountToken string
	ServiceAccountAnnotations                    map[string]string
}

// credentialProviderResponse is what kubelet decodes from stdout. kubelet
// decodes strictly: these five fields and nothing else, exact case.
type credentialProviderResponse struct {
	Kind          string                `json:"kind"`
	APIVersion    string                `json:"apiVersion"`
	CacheKeyType  string                `json:"cacheKeyType"`
	CacheDuration string                `json:"cacheDuration"`
	Auth          map[string]authConfig `json:"auth"`
}

// authConfig is one registry's credentials in a response.
type authConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// parseRequest reads and validates one request from r.
func parseRequest(r io.Reader) (credentialProviderRequest, error) {
	data, err := readBounded(r, maxRequestBytes)
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return credentialProviderRequest{}, errors.New("request on stdin is larger than 1 MiB")
	case err != nil:
		return credentialProviderRequest{}, fmt.Errorf("reading the request from stdin: %w", err)
	}
	req, err := decodeRequest(data)
	if err != nil {
		return req, fmt.Errorf("bad CredentialProviderRequest on stdin: %w", err)
	}
	return req, nil
}

// decodeRequest decodes one JSON object, refusing trailing data. Field
// names are matched exactly (encoding/json alone would match any case);
// unknown fields are ignored because newer kubelets add fields.
func decodeRequest(data []byte) (credentialProviderRequest, error) {
	var req credentialProviderRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return req, fmt.Errorf("not a JSON object: %w", err)
	}
	if fields == nil {
		return req, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, errors.New("data after the JSON object")
	}
	targets := []struct {
		name string
		dst  any
	}{
		{"kind", &req.Kind},
		{"apiVersion", &req.APIVersion},
		{"image", &req.Image},
		{"serviceAccountToken", &req.ServiceAccountToken},
		{"serviceAccountAnnotations", &req.ServiceAccountAnnotations},
	}
	for _, t := range targets {
		if raw, ok := fields[t.name]; ok {
			if err := json.Unmarshal(raw, t.dst); err != nil {
				return req, fmt.Errorf("field %q: %w", t.name, err)
			}
		}
	}
	return req, validateRequest(req)
}

// validateRequest checks the fields kubelet always sends.
func validateRequest(req credentialProviderRequest) error {
	switch {
	case req.Kind != requestKind:
		return fmt.Errorf("kind is %s, want %q", shortQuote(req.Kind), requestKind)
	case !apiVersion(req.APIVersion):
		return fmt.Errorf("unknown apiVersion %s (this provider speaks credentialprovider.kubelet.k8s.io v1alpha1, v1beta1 and v1)", shortQuote(req.APIVersion))
	case req.Image == "":
		return errors.New("image is empty or missing")
	}
	return nil
}

// newResponse answers with the registry's user name and password for host.
// kubelet caches the entry for cacheDuration; half the token's remaining
// life, as upstream does, leaves the second half as margin (SPEC §3).
func newResponse(apiVersion, host, username, password string, expires, now time.Time) credentialProviderResponse {
	return credentialProviderResponse{
		Kind:          responseKind,
		APIVersion:    apiVersion,
		CacheKeyType:  cacheKeyRegistry,
		CacheDuration: cacheDuration(expires, now),
		Auth:          map[string]authConfig{host: {Username: username, Password: password}},
	}
}

// cacheDuration is half of the life left until expires, in whole seconds,
// and "0s" (do not cache) when the expiry is unknown or less than a second
// of that half is left. Upstream omits the field then, which makes kubelet
// cache an expiring token for its defaultCacheDuration (hours).
func cacheDuration(expires, now time.Time) string {
	half := (expires.Sub(now) / 2).Truncate(time.Second)
	if expires.IsZero() || half < time.Second {
		return "0s"
	}
	return half.String()
}

// writeResponse writes resp as exactly one JSON object and a newline, in
// one Write, as json.Encoder does.
func writeResponse(w io.Writer, resp credentialProviderResponse) error {
	return json.NewEncoder(w).Encode(resp)
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestParseRequest(t *testing.T) {
	const v1 = "credentialprovider.kubelet.k8s.io/v1"
	tests := []struct {
		name, in string
		want     credentialProviderRequest
		err      string // substring; "" means success
	}{
		{"v1", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"public.ecr.aws/a/b"}` + "\n",
			credentialProviderRequest{Kind: requestKind, APIVersion: v1, Image: "public.ecr.aws/a/b"}, ""},
		{"v1alpha1", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1alpha1","image":"x/y"}`,
			credentialProviderRequest{Kind: requestKind, APIVersion: "credentialprovider.kubelet.k8s.io/v1alpha1", Image: "x/y"}, ""},
		{"v1beta1", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","image":"x/y"}`,
			credentialProviderRequest{Kind: requestKind, APIVersion: "credentialprovider.kubelet.k8s.io/v1beta1", Image: "x/y"}, ""},
		{"service account", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y","serviceAccountToken":"tok","serviceAccountAnnotations":{"a":"b"}}`,
			credentialProviderRequest{Kind: requestKind, APIVersion: v1, Image: "x/y", ServiceAccountToken: "tok", ServiceAccountAnnotations: map[string]string{"a": "b"}}, ""},
		{"unknown fields ignored", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y","newField":{"a":[1]}}`,
			credentialProviderRequest{Kind: requestKind, APIVersion: v1, Image: "x/y"}, ""},
		{"whitespace around", " \n\t{\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"x/y\"}\n\n",
			credentialProviderRequest{Kind: requestKind, APIVersion: v1, Image: "x/y"}, ""},
		{"wrong kind", `{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y"}`, credentialProviderRequest{}, `kind is "CredentialProviderResponse"`},
		{"kind in other case", `{"Kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y"}`, credentialProviderRequest{}, `kind is ""`},
		{"unknown version", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v2","image":"x/y"}`, credentialProviderRequest{}, "unknown apiVersion"},
		{"no version", `{"kind":"CredentialProviderRequest","image":"x/y"}`, credentialProviderRequest{}, "unknown apiVersion"},
		{"empty image", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":""}`, credentialProviderRequest{}, "image is empty"},
		{"no image", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}`, credentialProviderRequest{}, "image is empty"},
		{"image not a string", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":7}`, credentialProviderRequest{}, `field "image"`},
		{"annotations not strings", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y","serviceAccountAnnotations":{"a":1}}`, credentialProviderRequest{}, `field "serviceAccountAnnotations"`},
		{"empty", ``, credentialProviderRequest{}, "not a JSON object"},
		{"null", `null`, credentialProviderRequest{}, "not a JSON object"},
		{"array", `[]`, credentialProviderRequest{}, "not a JSON object"},
		{"not JSON", `kind: CredentialProviderRequest`, credentialProviderRequest{}, "not a JSON object"},
		{"truncated", `{"kind":"CredentialProviderRequest"`, credentialProviderRequest{}, "not a JSON object"},
		{"trailing object", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y"}{}`, credentialProviderRequest{}, "data after the JSON object"},
		{"trailing garbage", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y"} x`, credentialProviderRequest{}, "data after the JSON object"},
		{"too large", `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x/y","pad":"` + strings.Repeat("a", maxRequestBytes) + `"}`, credentialProviderRequest{}, "larger than 1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRequest(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseRequest(%.60q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got.Kind != tt.want.Kind || got.APIVersion != tt.want.APIVersion || got.Image != tt.want.Image ||
				got.ServiceAccountToken != tt.want.ServiceAccountToken || !maps.Equal(got.ServiceAccountAnnotations, tt.want.ServiceAccountAnnotations) {
				t.Fatalf("parseRequest(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCacheDuration(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		expires time.Time
		want    string
	}{
		{time.Time{}, "0s"},
		{now.Add(12 * time.Hour), "6h0m0s"},
		{now.Add(12*time.Hour + 3*time.Second + 500*time.Millisecond), "6h0m1s"},
		{now.Add(3 * time.Second), "1s"},
		// Under a second of half-life: do not cache, rather than let kubelet
		// keep an expiring token for its defaultCacheDuration.
		{now.Add(1999 * time.Millisecond), "0s"},
		{now.Add(time.Second), "0s"},
		{now.Add(-time.Hour), "0s"},
	}
	for _, tt := range tests {
		if got := cacheDuration(tt.expires, now); got != tt.want {
			t.Errorf("cacheDuration(now+%v) = %q, want %q", tt.expires.Sub(now), got, tt.want)
		}
	}
}

func TestWriteResponse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		auth registryAuth
		want string
	}{
		{registryAuth{username: "AWS", password: "p:w<>&", expires: now.Add(12 * time.Hour)},
			`{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"6h0m0s","auth":{"h.example:443":{"username":"AWS","password":"p:w\u003c\u003e\u0026"}}}` + "\n"},
		{registryAuth{username: "AWS", password: "p"},
			`{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"0s","auth":{"h.example:443":{"username":"AWS","password":"p"}}}` + "\n"},
		{registryAuth{username: "AWS", password: "p", expires: now.Add(time.Second)},
			`{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","cacheKeyType":"Registry","cacheDuration":"0s","auth":{"h.example:443":{"username":"AWS","password":"p"}}}` + "\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := writeResponse(&buf, newResponse("credentialprovider.kubelet.k8s.io/v1", "h.example:443", tt.auth.username, tt.auth.password, tt.auth.expires, now)); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("response\n%s\nwant\n%s", buf.String(), tt.want)
		}
	}
}

// FuzzParseRequest: no panic; an accepted request has a known version,
// the right kind and an image; and re-encoding it parses to the same.
func FuzzParseRequest(f *testing.F) {
	f.Add(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"public.ecr.aws/a/b"}`)
	f.Add(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x","serviceAccountToken":"t","serviceAccountAnnotations":{"k":"v"}}`)
	f.Add(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x"}{}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, in string) {
		req, err := parseRequest(strings.NewReader(in))
		if err != nil {
			return
		}
		if req.Kind != requestKind || !apiVersion(req.APIVersion) || req.Image == "" {
			t.Fatalf("accepted invalid request %+v", req)
		}
		again, err := json.Marshal(map[string]any{"kind": req.Kind, "apiVersion": req.APIVersion, "image": req.Image,
			"serviceAccountToken": req.ServiceAccountToken, "serviceAccountAnnotations": req.ServiceAccountAnnotations})
		if err != nil {
			t.Fatal(err)
		}
		req2, err := parseRequest(bytes.NewReader(again))
		if err != nil || req2.Image != req.Image || req2.ServiceAccountToken != req.ServiceAccountToken {
			t.Fatalf("re-encoded request %s parses to %+v, %v", again, req2, err)
		}
	})
}

// BenchmarkParseRequest parses the request kubelet sends for a private
// ECR image.
func BenchmarkParseRequest(b *testing.B) {
	in := request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2.3")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseRequest(strings.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteResponse writes a response whose password is 2 KB, the
// order of a real ECR one.
func BenchmarkWriteResponse(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	auth := registryAuth{username: "AWS", password: strings.Repeat("eyJwYXlsb2Fk", 2048/12), expires: now.Add(12 * time.Hour)}
	resp := newResponse("credentialprovider.kubelet.k8s.io/v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com", auth.username, auth.password, auth.expires, now)
	b.ReportAllocs()
	for b.Loop() {
		if err := writeResponse(io.Discard, resp); err != nil {
			b.Fatal(err)
		}
	}
}

package interop

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestHarness checks the suite's own machinery with the SDK as the
// client, so that a failure elsewhere is the binary's and not the
// harness's: a correctly signed call through the CONNECT proxy is
// accepted and recorded, and the oracle rejects a wrong secret, a wrong
// session token, a tampered signed header and an unknown access key.
func TestHarness(t *testing.T) {
	tests := []struct {
		name    string
		key     awsKey
		tamper  func(*http.Request)
		wantErr string
	}{
		{"good", nodeKey, nil, ""},
		{"wrong secret", awsKey{nodeKey.AccessKeyID, "not-the-secret", nodeKey.SessionToken}, nil, "SignatureDoesNotMatch"},
		{"wrong token", awsKey{nodeKey.AccessKeyID, nodeKey.SecretAccessKey, "other-token"}, nil, "X-Amz-Security-Token"},
		{"tampered header", nodeKey, func(r *http.Request) {
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Minute).UTC().Format("20060102T150405Z"))
		}, "SignatureDoesNotMatch"},
		{"unknown key", awsKey{"AKIAUNKNOWN000000000", "s", ""}, nil, "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "pw-harness", nodeKey)
			status := sdkCall(t, w, tt.key, tt.tamper)
			problems := strings.Join(w.aws.Problems(), "\n")
			if tt.wantErr == "" {
				if status != 200 || problems != "" {
					t.Fatalf("SDK-signed call: status %d, problems %q", status, problems)
				}
				w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey))
				return
			}
			if status == 200 || !strings.Contains(problems, tt.wantErr) {
				t.Errorf("status %d, problems %q; want a refusal mentioning %q", status, problems, tt.wantErr)
			}
		})
	}
}

// sdkCall sends GetAuthorizationToken through the world's proxy, signed
// by the SDK with key, and returns the status code.
func sdkCall(t *testing.T, w *world, key awsKey, tamper func(*http.Request)) int {
	t.Helper()
	pemBytes, err := os.ReadFile(w.ca.pemPath)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemBytes)
	proxyURL, _ := url.Parse(w.proxy.URL)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots},
	}}
	body := "{}"
	req, _ := http.NewRequest(http.MethodPost, "https://api.ecr.us-west-2.amazonaws.com/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: key.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ecr", "us-west-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

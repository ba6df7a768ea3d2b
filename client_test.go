package main

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testClient is an awsClient trusting caBundle, with warnings collected.
func testClient(t *testing.T, caBundle string, maxAttempts int, now func() time.Time) (*awsClient, *[]string) {
	t.Helper()
	hc, err := newAWSHTTPClient(caBundle, "")
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	c := &awsClient{http: hc, maxAttempts: maxAttempts, clock: &clock{now: now}, warn: func(s string) { warnings = append(warnings, s) }}
	return c, &warnings
}

var testCreds = credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}

func TestGetAuthorizationTokenRetries(t *testing.T) {
	tests := []struct {
		name        string
		fail        func(w http.ResponseWriter) // how the first failures answer
		failures    int
		maxAttempts int
		wantCalls   int32
		err         string // "" means success
	}{
		{"throttled twice", func(w http.ResponseWriter) { awsJSONError(w, 400, "ThrottlingException", "Rate exceeded") }, 2, 3, 3, ""},
		{"500 twice", func(w http.ResponseWriter) { w.WriteHeader(500) }, 2, 3, 3, ""},
		{"429 once", func(w http.ResponseWriter) { w.WriteHeader(429) }, 1, 3, 2, ""},
		{"503 always", func(w http.ResponseWriter) { w.WriteHeader(503) }, 99, 3, 3, "HTTP 503"},
		{"AWS_MAX_ATTEMPTS=1", func(w http.ResponseWriter) { w.WriteHeader(502) }, 1, 1, 1, "HTTP 502"},
		{"access denied is final", func(w http.ResponseWriter) { awsJSONError(w, 400, "AccessDeniedException", "denied") }, 99, 3, 1, "AccessDeniedException: denied"},
		{"501 is final", func(w http.ResponseWriter) { w.WriteHeader(501) }, 99, 3, 1, "HTTP 501"},
		{"bad signature with a good Date is final and explained", func(w http.ResponseWriter) {
			awsJSONError(w, 403, "InvalidSignatureException", "The request signature we calculated does not match")
		}, 99, 3, 1, "does not match (check the AWS credentials and the node's clock)"},
		{"redirect refused", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(307)
		}, 99, 3, 1, "redirects are never followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeECR(t)
			var calls atomic.Int32
			fake.misbehave = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				calls.Add(1)
				if n <= tt.failures {
					tt.fail(w)
					return true
				}
				return false
			}
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, tt.maxAttempts, time.Now)
			auth, err := getAuthorizationToken(context.Background(), c, url, "us-east-1", "ecr", testCreds)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			if tt.err == "" {
				if err != nil || auth.password != testPassword {
					t.Fatalf("getAuthorizationToken = %+v, %v", auth, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
}

func TestGetAuthorizationTokenClockSkew(t *testing.T) {
	fake := newFakeECR(t)
	fake.now = time.Now().Add(20 * time.Minute)
	url, ca := tlsFake(t, fake)
	c, warnings := testClient(t, ca, 3, time.Now)
	auth, err := getAuthorizationToken(context.Background(), c, url, "us-east-1", "ecr", testCreds)
	if err != nil || auth.password != testPassword {
		t.Fatalf("getAuthorizationToken = %+v, %v", auth, err)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "clock is about 20m0s off") {
		t.Errorf("warnings %q, want one about the clock", *warnings)
	}
	if got := cacheDuration(auth.expires, c.clock.Now()); got != "6h0m0s" && got != "5h59m59s" {
		t.Errorf("cacheDuration with the corrected clock = %q, want 6h (half of 12h)", got)
	}
}

func TestGetAuthorizationTokenTLS(t *testing.T) {
	fake := newFakeECR(t)
	url, _ := tlsFake(t, fake)
	// httptest servers share one certificate; the proxy's CA is another.
	otherCA := newMITMProxy(t, http.NotFoundHandler()).CABundle
	c, _ := testClient(t, otherCA, 3, time.Now)
	_, err := getAuthorizationToken(context.Background(), c, url, "us-east-1", "ecr", testCreds)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate verification failure", err)
	}
	if len(fake.Calls()) != 0 {
		t.Errorf("request reached a server whose certificate was not trusted")
	}
}

func TestGetAuthorizationTokenOldTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(newFakeECR(t))
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()
	_, ca := tlsFake(t, srv.Config.Handler) // the same certificate as srv
	c, _ := testClient(t, ca, 1, time.Now)
	_, err := getAuthorizationToken(context.Background(), c, srv.URL, "us-east-1", "ecr", testCreds)
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("error %v, want TLS < 1.2 refused", err)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&apiError{status: 400, code: "ThrottlingException"}, true},
		{&apiError{status: 400, code: "RequestTimeoutException"}, true},
		{&apiError{status: 500}, true},
		{&apiError{status: 504}, true},
		{&apiError{status: 429}, true},
		{&apiError{status: 400, code: "AccessDeniedException"}, false},
		{&apiError{status: 403, code: "InvalidSignatureException"}, false},
		{&netError{errors.New("connection reset by peer")}, true},
		{errors.New("HTTP 200 with a body larger than 1048576 bytes"), false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n := 1; n <= 8; n++ {
		ceiling := min(backoffMax, backoffBase<<(n-1))
		for range 100 {
			if d := backoff(n); d < 0 || d >= ceiling {
				t.Fatalf("backoff(%d) = %v, want in [0, %v)", n, d, ceiling)
			}
		}
	}
}

// TestCleanMessageDropsQuotedRequest: some AWS services quote the signed
// request, session token included, in a signature error.
func TestCleanMessageDropsQuotedRequest(t *testing.T) {
	for _, in := range []string{
		"The request signature we calculated does not match. The Canonical String for this request should have been\n'POST\n/\nx-amz-security-token:SECRET'",
		"Signature mismatch. The String-to-Sign should have been 'AWS4-HMAC-SHA256 SECRET'",
	} {
		if got := cleanMessage(in); strings.Contains(got, "SECRET") || strings.Contains(got, "should have been") {
			t.Errorf("cleanMessage(%q) = %q, want the message without the quoted request", in, got)
		}
	}
}

// TestFailureAfterAnsweredAttempts: when the deadline ends a call whose
// every attempt was answered (a 503, say), the message gives the answer
// and does not send the operator to check routes and firewalls.
func TestFailureAfterAnsweredAttempts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := awsRequest{operation: "ECR GetAuthorizationToken", endpoint: "https://api.ecr.us-east-1.amazonaws.com"}
	got := failure(ctx, r, 3, &apiError{status: 503, code: "ServiceUnavailableException"}).Error()
	if !strings.Contains(got, "each answered with an error; the last: HTTP 503 ServiceUnavailableException") || strings.Contains(got, "firewalls") {
		t.Errorf("failure = %q", got)
	}
	got = failure(ctx, r, 1, &netError{errors.New("connection refused")}).Error()
	if !strings.Contains(got, "firewalls") {
		t.Errorf("failure after a network error = %q, want the hint to check the route", got)
	}
}

package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeAuthorizationToken(t *testing.T) {
	tests := []struct {
		token, user, password string
		ok                    bool
	}{
		{b64("AWS:secret"), "AWS", "secret", true},
		{b64("AWS:pass:with:colons"), "AWS", "pass:with:colons", true},
		{b64("AWS::leading"), "AWS", ":leading", true},
		{b64("AWS"), "", "", false},
		{b64(":password"), "", "", false},
		{b64("AWS:"), "", "", false},
		{b64(""), "", "", false},
		{"not base64!", "", "", false},
		{strings.TrimRight(b64("AWS:secret1"), "="), "", "", false}, // unpadded
	}
	for _, tt := range tests {
		user, password, err := decodeAuthorizationToken(tt.token)
		if (err == nil) != tt.ok || user != tt.user || password != tt.password {
			t.Errorf("decodeAuthorizationToken(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.token, user, password, err, tt.user, tt.password, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q quotes the token", err)
		}
	}
}

func TestParseAuthorizationData(t *testing.T) {
	tok := b64("AWS:pw")
	tests := []struct {
		name, body string
		public     bool
		expires    time.Time
		err        string
	}{
		{"private", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":1738598491,"proxyEndpoint":"https://x"}]}`, false, time.Unix(1738598491, 0), ""},
		{"private E-notation", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":1.7385984915E9}]}`, false, time.Unix(1738598491, 500000000), ""},
		{"private fractional", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":1738598491.25}]}`, false, time.Unix(1738598491, 250000000), ""},
		{"private no expiry", `{"authorizationData":[{"authorizationToken":"` + tok + `"}]}`, false, time.Time{}, ""},
		{"public", `{"authorizationData":{"authorizationToken":"` + tok + `","expiresAt":1.738598491E9}}`, true, time.Unix(1738598491, 0), ""},
		{"public shape for private", `{"authorizationData":{"authorizationToken":"` + tok + `"}}`, false, time.Time{}, "no authorizationData entry"},
		{"private shape for public", `{"authorizationData":[{"authorizationToken":"` + tok + `"}]}`, true, time.Time{}, "no authorizationData object"},
		{"empty list", `{"authorizationData":[]}`, false, time.Time{}, "no authorizationData entry"},
		{"null", `{"authorizationData":null}`, true, time.Time{}, "no authorizationData object"},
		{"truncated", `{"authorizationData":[{"authorizationToken":"` + tok, false, time.Time{}, "not a GetAuthorizationToken response"},
		{"error body with 200", `{"__type":"ServerException","message":"oops"}`, false, time.Time{}, "no authorizationData entry"},
		{"trailing", `{"authorizationData":[{"authorizationToken":"` + tok + `"}]} {}`, false, time.Time{}, "not a GetAuthorizationToken response"},
		{"trailing brace", `{"authorizationData":[{"authorizationToken":"` + tok + `"}]}}`, false, time.Time{}, "not a GetAuthorizationToken response"},
		{"trailing word", `{"authorizationData":[{"authorizationToken":"` + tok + `"}]} x`, false, time.Time{}, "not a GetAuthorizationToken response"},
		{"expiresAt string", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":"1738598491"}]}`, false, time.Time{}, "not a GetAuthorizationToken response"},
		{"expiresAt negative", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":-1}]}`, false, time.Time{}, "not a plausible time"},
		{"expiresAt huge", `{"authorizationData":[{"authorizationToken":"` + tok + `","expiresAt":1e300}]}`, false, time.Time{}, "not a plausible time"},
		{"bad token", `{"authorizationData":[{"authorizationToken":"` + b64("nocolon") + `"}]}`, false, time.Time{}, "user:password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth, err := parseAuthorizationData([]byte(tt.body), tt.public)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseAuthorizationData(%q) error = %v, want %q", tt.body, err, tt.err)
				}
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error %q quotes the token", err)
				}
				return
			}
			if err != nil || auth.username != "AWS" || auth.password != "pw" || !auth.expires.Equal(tt.expires) {
				t.Fatalf("parseAuthorizationData(%q) = %+v, %v; want expiry %v", tt.body, auth, err, tt.expires)
			}
		})
	}
}

func TestParseJSONError(t *testing.T) {
	tests := []struct{ body, code, message string }{
		{`{"__type":"com.amazonaws.ecr#AccessDeniedException","message":"no"}`, "AccessDeniedException", "no"},
		{`{"__type":"ThrottlingException:http://internal.amazon.com/","Message":"slow down"}`, "ThrottlingException", "slow down"},
		{`{"code":"ServerException","message":"m"}`, "ServerException", "m"},
		{`{"message":"only a message"}`, "", "only a message"},
		{`<html>bad gateway</html>`, "", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		code, message := parseJSONError([]byte(tt.body))
		if code = cleanCode(code); code != tt.code || message != tt.message {
			t.Errorf("parseJSONError(%q) = %q, %q; want %q, %q", tt.body, code, message, tt.code, tt.message)
		}
	}
}

func TestCleanCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ThrottlingException", "ThrottlingException"},
		{"aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/", "FooError"},
		{"com.amazonaws.ecr#ServerException", "ServerException"},
		{"Code:with#hash", "Code"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := cleanCode(tt.in); got != tt.want {
			t.Errorf("cleanCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseAuthorizationData: no panic, and an accepted answer holds a
// user without a colon and a non-empty password.
func FuzzParseAuthorizationData(f *testing.F) {
	f.Add(`{"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":1.7385984915E9}]}`, false)
	f.Add(`{"authorizationData":{"authorizationToken":"QVdTOnB3","expiresAt":1738598491}}`, true)
	f.Add(`{"authorizationData":[]}`, false)
	f.Fuzz(func(t *testing.T, body string, public bool) {
		auth, err := parseAuthorizationData([]byte(body), public)
		if err != nil {
			return
		}
		if auth.username == "" || strings.Contains(auth.username, ":") || auth.password == "" {
			t.Fatalf("accepted %q as user %q password %q", body, auth.username, auth.password)
		}
	})
}

// FuzzParseJSONError: no panic, and the cleaned code and message are
// single-line and bounded.
func FuzzParseJSONError(f *testing.F) {
	f.Add(`{"__type":"com.amazonaws.ecr#AccessDeniedException","message":"no"}`)
	f.Add(`{"code":"x\ny","Message":"a\r\nb"}`)
	f.Fuzz(func(t *testing.T, body string) {
		code, message := parseJSONError([]byte(body))
		code, message = cleanCode(code), cleanMessage(message)
		if strings.ContainsAny(code+message, "\r\n") || len(code) > 310 || len(message) > 310 || strings.Contains(code, ":") {
			t.Fatalf("parseJSONError(%q) = %q, %q", body, code, message)
		}
	})
}

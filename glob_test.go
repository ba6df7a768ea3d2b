package main

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		glob, image string
		want        bool
		err         bool
	}{
		// kubelet's own cases (keyring_test.go TestURLsMatch), restated.
		{"*.kubernetes.io", "prefix.kubernetes.io", true, false},
		{"prefix.*.io", "prefix.kubernetes.io", true, false},
		{"prefix.kubernetes.*", "prefix.kubernetes.io", true, false},
		{"*-good.kubernetes.io", "prefix-good.kubernetes.io", true, false},
		{"*.kubernetes.io/blah", "prefix.kubernetes.io/blah", true, false},
		{"prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true, false},
		{"*.kubernetes.io:1111/blah", "prefix.kubernetes.io:1111/blah", true, false},
		{"prefix.*.io:1111/foo", "prefix.kubernetes.io:1111/foo/bar", true, false},
		{"*.kubernetes.io", "kubernetes.io", false, false},
		{"*.*.kubernetes.io", "prefix.kubernetes.io", false, false},
		{"*.*.kubernetes.io", "kubernetes.io", false, false},
		{"*kubernetes.io", "a.kubernetes.io", false, false},
		{"*kubernetes.io", "kubernetes.io", true, false},
		{"*.*.*.kubernetes.io", "a.b.c.kubernetes.io", true, false},
		{"kubernetes.io", "kubernetes.com", false, false},
		{"k*.io", "quay.io", false, false},
		{"*.kubernetes.io:1234/blah", "prefix.kubernetes.io:1111/blah", false, false},
		{"prefix.*.io/foo", "prefix.kubernetes.io:1111/foo/bar", false, false},
		// and from its TestDockerKeyringForGlob: a glob's port, and a path
		// that only looks like a port.
		{"*.docker.io:1111", "prefix.docker.io:1111/path", true, false},
		{"*.docker.io/path:1111", "prefix.docker.io/path:1111", true, false},
		// ECR hosts: one glob per host form (SPEC §1).
		{"*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app", true, false},
		{"*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr-fips.us-west-2.amazonaws.com/app", false, false},
		{"*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", false, false},
		{"*.dkr.ecr.*.amazonaws.com", "123456789012.dkr-ecr.us-west-2.on.aws/app", false, false},
		{"*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com:443/app", false, false},
		{"*.dkr.ecr.*.amazonaws.com:443", "123456789012.dkr.ecr.us-west-2.amazonaws.com:443/app", true, false},
		{"*.dkr.ecr.*.amazonaws.com:443", "123456789012.dkr.ecr.us-west-2.amazonaws.com:0443/app", false, false},
		// Case-sensitive, label by label, with filepath.Match's syntax.
		{"*.DKR.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app", false, false},
		{"1234567890*.dkr.ecr.us-west-*.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app", true, false},
		{"public.ecr.aws/team", "public.ecr.aws/team/app", true, false},
		{"public.ecr.aws/team", "public.ecr.aws/teamx/app", true, false}, // a string prefix, not a path one
		{"public.ecr.aws/team/", "public.ecr.aws/team", false, false},
		// URL syntax comes first: "?" and "#" end the host, "@" ends
		// userinfo, and url.Parse refuses "[" (but in an IP literal), "\",
		// a bad escape or port.
		{"1234567890??.dkr.ecr.us-west-2.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app", false, false},
		{"public.ecr.aws?x", "public.ecr.aws/app", true, false},
		{"*.io#frag", "k8s.io/app", true, false},
		{"user@public.ecr.aws", "public.ecr.aws/app", true, false},
		{"*.dkr.ecr.us-west-[12].amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app", false, true},
		{"[.io", "a.io", false, true},
		{`\*.io`, "*.io", false, true},
		{"%2a.io", "a.io", false, true},
		{"a.io", "%zz.io", false, true},
		{"a.io:1:2", "a.io:1:2", false, true},
		// Hosts net.SplitHostPort refuses are all name: a glob ending in
		// ":" has port "", and an IP literal without a port is one label
		// that filepath.Match reads as a character class.
		{"a.io:", "a.io", true, false},
		{"[::1]:5000", "[::1]:5000/app", true, false},
		{"[::1]", "[::1]/app", false, false},
	}
	for _, tt := range tests {
		got, err := globMatch(tt.glob, tt.image)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("globMatch(%q, %q) = %v, %v; want %v, error %v", tt.glob, tt.image, got, err, tt.want, tt.err)
		}
	}
}

func TestKubeletImage(t *testing.T) {
	const d256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tests := []struct{ image, want string }{
		{"nginx", "docker.io/library/nginx"},
		{"nginx:1.27", "docker.io/library/nginx"},
		{"nginx@" + d256, "docker.io/library/nginx"},
		{"nginx:1.27@" + d256, "docker.io/library/nginx"},
		{"team/app", "docker.io/team/app"},
		{"docker.io/app", "docker.io/library/app"},
		{"index.docker.io/app", "docker.io/library/app"},
		{"index.docker.io/team/app", "docker.io/team/app"},
		{"localhost/app", "localhost/app"},
		{"localhost:5000/app:v1", "localhost:5000/app"},
		{"localhost:5000", "docker.io/library/localhost"}, // a name with tag 5000
		{"Registry/app", "Registry/app"},                  // uppercase: a domain
		{"[::1]:5000/app", "[::1]:5000/app"},
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3", "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"},
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com:443/app", "123456789012.dkr.ecr.us-west-2.amazonaws.com:443/app"},
		{"public.ecr.aws/team/app@" + d256, "public.ecr.aws/team/app"},
		{"a_b.c/d", "a_b.c/d"}, // not a valid domain, but a valid path: no domain at all
		{"x/" + strings.Repeat("a", 253), "docker.io/x/" + strings.Repeat("a", 253)},
		{"example.com/" + strings.Repeat("a", 255), "example.com/" + strings.Repeat("a", 255)},
		// Refused: kubelet fails the pull before any provider runs.
		{"", ""},
		{"Nginx", ""},
		{"team/App", ""},
		{strings.Repeat("ab", 32), ""}, // an image ID
		{"nginx:", ""},
		{"nginx@sha256:abc", ""},
		{"nginx@md5:" + strings.Repeat("a", 32), ""},    // no such algorithm in kubelet
		{"nginx@sha256:" + strings.Repeat("A", 64), ""}, // go-digest wants lowercase
		{"nginx@sha512:" + strings.Repeat("a", 64), ""}, // wrong length for sha512
		{"example.com/" + strings.Repeat("a", 256), ""}, // path over 255
		{"x/" + strings.Repeat("a", 254), ""},           // docker.io/x/… over 255
		{"a:b/c", ""},                                   // a port must be digits
		{"https://public.ecr.aws/app", ""},              // no scheme
		{"public.ecr.aws//app", ""},
		{"public.ecr.aws/app:" + strings.Repeat("t", 129), ""},
	}
	for _, tt := range tests {
		got, err := kubeletImage(tt.image)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("kubeletImage(%q) = %q, %v; want %q", tt.image, got, err, tt.want)
		}
	}
}

func FuzzGlobMatch(f *testing.F) {
	f.Add("*.dkr.ecr.*.amazonaws.com", "123456789012.dkr.ecr.us-west-2.amazonaws.com/app")
	f.Add("*.docker.io:1111", "prefix.docker.io:1111/path")
	f.Add("a.[b.io?x#y", "a.b.io/p")
	f.Fuzz(func(t *testing.T, glob, image string) {
		got, err := globMatch(glob, image)
		if got && err != nil {
			t.Fatalf("globMatch(%q, %q) = true with error %v", glob, image, err)
		}
		// A glob with no pattern characters matches itself, if it parses.
		if ok, err := globMatch(image, image); err == nil && !ok && !strings.ContainsAny(image, `*?[\`) {
			t.Errorf("globMatch(%q, itself) = false", image)
		}
	})
}

func FuzzKubeletImage(f *testing.F) {
	f.Add("nginx:1.27")
	f.Add("123456789012.dkr.ecr.us-west-2.amazonaws.com:443/team/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	f.Add("a_b.c/d")
	f.Fuzz(func(t *testing.T, image string) {
		name, err := kubeletImage(image)
		if err != nil {
			return
		}
		// What kubelet looks up is itself a name it would look up as is.
		if again, err := kubeletImage(name); again != name || err != nil || strings.Contains(name, "@") {
			t.Errorf("kubeletImage(%q) = %q, then %q, %v", image, name, again, err)
		}
	})
}

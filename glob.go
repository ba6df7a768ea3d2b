package main

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// kubelet's side of matching (SPEC §1, §8), for check: which name kubelet
// looks credentials up for, and which matchImages globs match it. Both
// mirror kubelet exactly, corners included, because an operator reads
// check's verdict as kubelet's: URLsMatchStr and SplitURL in
// k8s.io/kubernetes pkg/credentialprovider/keyring.go, and
// parsers.ParseImageName (pkg/util/parsers), which is
// ParseNormalizedNamed(image).Name() of github.com/distribution/reference
// v0.6.0 with github.com/opencontainers/go-digest v1.0.0.

// globMatch is kubelet's URLsMatchStr(glob, image): both are parsed as
// URLs behind "https://", so "?", "#", "@" and "[" are URL syntax before
// they are glob syntax; ports must be equal strings; the hosts must have
// as many dot-separated labels, each matched by filepath.Match; the glob's
// path must be a prefix of the image's. kubelet takes an error for no match.
func globMatch(glob, image string) (bool, error) {
	g, err := url.Parse("https://" + glob)
	if err != nil {
		return false, err
	}
	t, err := url.Parse("https://" + image)
	if err != nil {
		return false, err
	}
	globLabels, globPort := splitURLHost(g.Host)
	labels, port := splitURLHost(t.Host)
	if globPort != port || len(globLabels) != len(labels) || !strings.HasPrefix(t.Path, g.Path) {
		return false, nil
	}
	for i, l := range globLabels {
		if ok, err := filepath.Match(l, labels[i]); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// splitURLHost is kubelet's SplitURL: a host that net.SplitHostPort
// refuses is all name, with no port.
func splitURLHost(host string) (labels []string, port string) {
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	return strings.Split(name, "."), port
}

// kubeletImage returns the name kubelet looks credentials up for and sends
// to plugins: the reference without tag and digest, Docker Hub names
// completed. kubelet fails the pull of an image it cannot parse, so no
// plugin ever sees one.
func kubeletImage(image string) (string, error) {
	ref := splitDockerDomain(image)
	// The grammar's domain is optional: a first component that is no valid
	// domain may still be a path component ("a_b.c/d" has no domain).
	remote := ref
	if domain, rest, _ := strings.Cut(ref, "/"); validDomainAndPort(domain) && validRepository(rest) {
		remote = rest
	}
	rest, digest, hasDigest := strings.Cut(remote, "@")
	path, _, _ := strings.Cut(rest, ":")
	why := ""
	switch {
	case len(image) == 64 && allBytes(image, isLowerHex):
		why = "64 hexadecimal digits are an image ID, not a name"
	case !validRepository(remote):
		why = "want [host[:port]/]path[:tag][@digest], the path lowercase"
	case hasDigest && !kubeletDigest(digest):
		why = "want a digest sha256:, sha384: or sha512: with as many lowercase hex digits"
	case len(path) > 255:
		why = "repository path longer than 255 bytes"
	default:
		return ref[:len(ref)-len(remote)] + path, nil
	}
	return "", fmt.Errorf("invalid image reference %s: %s", shortQuote(image), why)
}

// splitDockerDomain is distribution/reference's: a first component with
// no ".", ":" or uppercase, or no "/" at all, is a Docker Hub name, and a
// one-component Docker Hub path is an official image under library/. It
// returns "domain/remainder".
func splitDockerDomain(image string) string {
	domain, rest, ok := strings.Cut(image, "/")
	switch {
	case !ok || domain != "localhost" && !strings.ContainsAny(domain, ".:") && strings.ToLower(domain) == domain:
		domain, rest = "docker.io", image
	case domain == "index.docker.io":
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain + "/" + rest
}

// kubeletDigest reports whether d passes both the reference grammar and
// go-digest's Validate for the algorithms kubelet links (it imports
// crypto/sha256 and crypto/sha512).
func kubeletDigest(d string) bool {
	algorithm, hex, _ := strings.Cut(d, ":")
	n := map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}[algorithm]
	return validDigest(d) && len(hex) == n && allBytes(hex, isLowerHex)
}

// validDomainAndPort reports whether s is distribution/reference's
// domain and optional port:
//
//	^(?:DOMAINNAME|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$
//	DOMAINNAME = COMPONENT(?:\.COMPONENT)*, COMPONENT = [a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?
func validDomainAndPort(s string) bool {
	host, port := s, ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "]") {
		host, port = s[:i], s[i+1:]
		if port == "" || !allBytes(port, isDigit) {
			return false
		}
	}
	if ip, ok := strings.CutPrefix(host, "["); ok {
		ip, ok = strings.CutSuffix(ip, "]")
		return ok && ip != "" && allBytes(ip, func(c byte) bool { return isHex(c) || c == ':' })
	}
	for _, c := range strings.Split(host, ".") {
		if c == "" || !isAlnum(c[0]) || !isAlnum(c[len(c)-1]) || !allBytes(c, func(c byte) bool { return isAlnum(c) || c == '-' }) {
			return false
		}
	}
	return true
}

// isLowerHex reports whether c is in [0-9a-f].
func isLowerHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' }

//go:build linux

package main

// The cost of whole invocations, for `make bench` (bench.sh): the binary
// as `make` builds it, run as kubelet runs it (the request on stdin, the
// environment, one process per image), against local TLS fakes reached
// through HTTPS_PROXY under AWS's real host names, with the roots of a
// node: a copy of the system CA bundle with the fakes' CA appended
// (SSL_CERT_FILE) and the system's certificate directories as they are. A
// one-certificate AWS_CA_BUNDLE would hide most of the cost. The fakes' CA
// is named as an AWS root, as the root of ECR's and STS's chains is; its
// name is all that roots.go looks at before parsing it.
//
// CPU time and wall time come from running the binary directly. Peak RSS
// comes from a second run under /usr/bin/time: a child of this process
// inherits its peak RSS in rusage (Go starts children with vfork, and
// Linux counts the parent's memory as the child's until exec), while
// time(1) starts its child with fork. Linux only, for those two reasons.

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCost is what one run of the binary cost.
type runCost struct {
	wall, cpu time.Duration // cpu: user + system time of the process
	maxRSSKiB int64         // peak resident set size, from a run of its own
}

// BenchmarkInvocation runs the binary b.N times per credential source and
// reports the spread of wall time, CPU time and peak RSS per run. The
// fake ECR accepts only a call signed with the credentials the source
// must yield, so every successful run took the path it is named after.
func BenchmarkInvocation(b *testing.B) {
	path := builtBinary(b)
	paths := []struct {
		name  string
		want  credentials
		setup func(w *awsWorld) map[string]string
		sts   int // STS calls per run
	}{
		{"environment", testCreds, func(w *awsWorld) map[string]string {
			return w.with("AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey)
		}, 0},
		{"imds", imdsCreds, func(w *awsWorld) map[string]string { return w.env }, 0},
		{"web-identity", stsCreds, func(w *awsWorld) map[string]string {
			w.sts.webToken, w.sts.roleARN = stsWebToken, stsRoleARN
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken+"\n"), "AWS_ROLE_ARN", stsRoleARN)
		}, 1},
	}
	stdin := request("v1", privateImage)
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			w := newAWSWorld(b, p.want)
			env := p.setup(w)
			for _, k := range []string{"AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_ENDPOINT_URL_STS", "AWS_CA_BUNDLE"} {
				delete(env, k)
			}
			aws := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.Host, "sts.") {
					w.sts.ServeHTTP(rw, r)
				} else {
					w.ecr.ServeHTTP(rw, r)
				}
			})
			node := nodeEnv(b, aws, awsTestRoot, env)
			var runs []runCost
			for b.Loop() {
				runs = append(runs, measure(b, path, node, stdin))
			}
			// Each run is made twice: once timed, once for its peak RSS.
			if n := 2 * len(runs); len(w.ecr.Calls()) != n || len(w.sts.Calls()) != n*p.sts {
				b.Fatalf("%d runs made %d ECR and %d STS calls, want %d and %d", n, len(w.ecr.Calls()), len(w.sts.Calls()), n, n*p.sts)
			}
			reportInvocations(b, "", runs)
		})
	}
}

// BenchmarkNode runs the binary as on a node: environment credentials, one
// call through HTTPS_PROXY to ECR's real host name, and a server chain
// that ends in an AWS root, as ECR's does ("aws-root") or in another root
// of the bundle, as behind a proxy that inspects TLS ("other-root"). When
// ECR_CREDENTIAL_PROVIDER_REF names another binary (upstream's), that one
// runs the same way, in pairs, each pair in the other order from the last,
// and each metric's median ratio over the pairs compares the two.
func BenchmarkNode(b *testing.B) {
	path, ref := builtBinary(b), os.Getenv("ECR_CREDENTIAL_PROVIDER_REF")
	stdin := request("v1", privateImage)
	for _, root := range []struct{ name, ca string }{{"aws-root", awsTestRoot}, {"other-root", "test root"}} {
		b.Run(root.name, func(b *testing.B) {
			ecr := newFakeECR(b)
			env := nodeEnv(b, ecr, root.ca, map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey})
			var ours, theirs []runCost
			for i := 0; b.Loop(); i++ {
				switch {
				case ref == "":
					ours = append(ours, measure(b, path, env, stdin))
				case i%2 == 0:
					ours = append(ours, measure(b, path, env, stdin))
					theirs = append(theirs, measure(b, ref, env, stdin))
				default:
					theirs = append(theirs, measure(b, ref, env, stdin))
					ours = append(ours, measure(b, path, env, stdin))
				}
			}
			if n := 2 * (len(ours) + len(theirs)); len(ecr.Calls()) != n {
				b.Fatalf("%d runs made %d ECR calls", n, len(ecr.Calls()))
			}
			reportInvocations(b, "", ours)
			if ref != "" {
				reportInvocations(b, "ref-", theirs)
				reportRatios(b, ours, theirs)
			}
		})
	}
}

// reportRatios reports the medians of the pairs' ratios, ours to theirs.
func reportRatios(b *testing.B, ours, theirs []runCost) {
	var wall, cpu, rss []float64
	for i := range ours {
		wall = append(wall, float64(ours[i].wall)/float64(theirs[i].wall))
		cpu = append(cpu, float64(ours[i].cpu)/float64(theirs[i].cpu))
		rss = append(rss, float64(ours[i].maxRSSKiB)/float64(theirs[i].maxRSSKiB))
	}
	b.ReportMetric(percentile(wall, 50), "wall-ratio-p50")
	b.ReportMetric(percentile(cpu, 50), "cpu-ratio-p50")
	b.ReportMetric(percentile(rss, 50), "rss-ratio-p50")
}

// concurrentRuns is how many runs BenchmarkConcurrent starts at once.
const concurrentRuns = 50

// BenchmarkConcurrent starts 50 runs at once, as kubelet does on a
// booting node for every image, set up as BenchmarkNode/aws-root, and reports
// their total CPU time and the wall time until the last one ended; the
// same for ECR_CREDENTIAL_PROVIDER_REF when set.
func BenchmarkConcurrent(b *testing.B) {
	binaries := [][2]string{{"ours", builtBinary(b)}}
	if ref := os.Getenv("ECR_CREDENTIAL_PROVIDER_REF"); ref != "" {
		binaries = append(binaries, [2]string{"ref", ref})
	}
	env := nodeEnv(b, newFakeECR(b), awsTestRoot, map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey})
	stdin := request("v1", privateImage)
	for _, bin := range binaries {
		b.Run(bin[0], func(b *testing.B) {
			var cpu, wall []float64
			for b.Loop() {
				c, w := burst(b, bin[1], env, stdin)
				cpu, wall = append(cpu, ms(c)), append(wall, ms(w))
			}
			b.ReportMetric(percentile(cpu, 50), "cpu-ms-total")
			b.ReportMetric(percentile(wall, 50), "wall-ms")
		})
	}
}

// burst starts concurrentRuns runs of path at once and waits for all.
func burst(b *testing.B, path string, env []string, stdin string) (cpu, wall time.Duration) {
	runs := make([]*started, concurrentRuns)
	start := time.Now()
	for i := range runs {
		runs[i] = startRun(b, path, env, stdin)
	}
	for _, r := range runs {
		cpu += r.wait(b)
	}
	return cpu, time.Since(start)
}

// nodeEnv is env as kubelet passes it on a node whose AWS calls go
// through a proxy that terminates TLS for any host with a CA named caName,
// appended to a copy of the system bundle, and hands the requests to h.
func nodeEnv(b *testing.B, h http.Handler, caName string, env map[string]string) []string {
	proxy := newMITMProxyCA(b, h, caName)
	env = maps.Clone(env)
	env["HTTPS_PROXY"], env["SSL_CERT_FILE"] = proxy.URL, nodeBundle(b, proxy.CABundle)
	return kubeletEnv(b, env)
}

// nodeBundle is a copy of the system CA bundle with the PEM file ca
// appended.
func nodeBundle(b *testing.B, ca string) string {
	var system []byte
	for _, f := range systemBundles {
		if data, err := os.ReadFile(f); err == nil {
			system = data
			break
		}
	}
	if system == nil {
		b.Skip("no system CA bundle: the node case needs one")
	}
	extra, err := os.ReadFile(ca)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "ca-certificates.crt")
	if err := os.WriteFile(path, append(append(system, '\n'), extra...), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// started is one run of a binary, started.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

// startRun starts path as kubelet does.
func startRun(b *testing.B, path string, env []string, stdin string, wrap ...string) *started {
	r := &started{}
	args := append(wrap, path, "get-credentials")
	r.cmd = exec.Command(args[0], args[1:]...)
	r.cmd.Env = env
	r.cmd.Stdin = strings.NewReader(stdin)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return r
}

// wait waits for the run and returns its CPU time; a failed run, or one
// without the registry password, ends the benchmark.
func (r *started) wait(b *testing.B) time.Duration {
	err := r.cmd.Wait()
	var resp credentialProviderResponse
	if err != nil || json.Unmarshal(r.stdout.Bytes(), &resp) != nil || resp.Auth["123456789012.dkr.ecr.us-west-2.amazonaws.com"].Password != testPassword {
		b.Fatalf("run failed: %v, stderr %q", err, r.stderr.String()) // stdout holds the password
	}
	ru := r.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs the binary once timed and once under /usr/bin/time for
// its peak RSS.
func measure(b *testing.B, path string, env []string, stdin string) runCost {
	start := time.Now()
	cpu := startRun(b, path, env, stdin).wait(b)
	inv := runCost{wall: time.Since(start), cpu: cpu}
	out := filepath.Join(b.TempDir(), "rss")
	startRun(b, path, env, stdin, "/usr/bin/time", "-f", "%M", "-o", out).wait(b)
	data, err := os.ReadFile(out)
	if inv.maxRSSKiB, err = strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err != nil {
		b.Fatalf("/usr/bin/time -f %%M: %v", err) // GNU time counts %M in KiB
	}
	return inv
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reportInvocations reports the minimum, 10th, 50th and 90th percentiles
// and maximum of wall and CPU time in milliseconds, and the median and
// maximum peak RSS in KiB, each metric's name after prefix.
func reportInvocations(b *testing.B, prefix string, runs []runCost) {
	var wall, cpu, rss []float64
	for _, r := range runs {
		wall, cpu = append(wall, ms(r.wall)), append(cpu, ms(r.cpu))
		rss = append(rss, float64(r.maxRSSKiB))
	}
	for _, q := range []struct {
		name string
		p    float64
	}{{"min", 0}, {"p10", 10}, {"p50", 50}, {"p90", 90}, {"max", 100}} {
		b.ReportMetric(percentile(wall, q.p), prefix+"wall-ms-"+q.name)
		b.ReportMetric(percentile(cpu, q.p), prefix+"cpu-ms-"+q.name)
	}
	b.ReportMetric(percentile(rss, 50), prefix+"rss-KiB-p50")
	b.ReportMetric(percentile(rss, 100), prefix+"rss-KiB-max")
}

// percentile is the nearest-rank p-th percentile of xs (p from 0 to 100).
func percentile(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank-1, 0)]
}

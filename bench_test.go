//go:build !windows

package main

// BenchmarkInvocation reads the CPU time and peak RSS of each run from
// the Unix rusage, so it is not built for Windows.

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCost is what one run of the binary cost.
type runCost struct {
	wall, cpu time.Duration // cpu: user + system time of the process
	maxRSSKiB int64         // peak resident set size
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
			env := kubeletEnv(b, p.setup(w))
			var runs []runCost
			for b.Loop() {
				runs = append(runs, invoke(b, path, env, stdin))
			}
			if n := len(runs); len(w.ecr.Calls()) != n || len(w.sts.Calls()) != n*p.sts {
				b.Fatalf("%d runs made %d ECR and %d STS calls, want %d and %d", n, len(w.ecr.Calls()), len(w.sts.Calls()), n, n*p.sts)
			}
			reportInvocations(b, runs)
		})
	}
}

// invoke runs the binary once and measures it; a failed run, or one
// without the registry password, ends the benchmark.
func invoke(b *testing.B, path string, env []string, stdin string) runCost {
	cmd := exec.Command(path, "get-credentials")
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var resp credentialProviderResponse
	if err != nil || json.Unmarshal(stdout.Bytes(), &resp) != nil || resp.Auth["123456789012.dkr.ecr.us-west-2.amazonaws.com"].Password != testPassword {
		b.Fatalf("run failed: %v, stderr %q", err, stderr.String()) // stdout holds the password
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return runCost{wall: wall, cpu: cpu, maxRSSKiB: ru.Maxrss} // Linux counts Maxrss in KiB
}

// reportInvocations reports the minimum, 10th, 50th and 90th percentiles
// and maximum of wall and CPU time in milliseconds, and the median and
// maximum peak RSS in KiB.
func reportInvocations(b *testing.B, runs []runCost) {
	var wall, cpu, rss []float64
	for _, r := range runs {
		wall = append(wall, float64(r.wall)/float64(time.Millisecond))
		cpu = append(cpu, float64(r.cpu)/float64(time.Millisecond))
		rss = append(rss, float64(r.maxRSSKiB))
	}
	for _, q := range []struct {
		name string
		p    float64
	}{{"min", 0}, {"p10", 10}, {"p50", 50}, {"p90", 90}, {"max", 100}} {
		b.ReportMetric(percentile(wall, q.p), "wall-ms-"+q.name)
		b.ReportMetric(percentile(cpu, q.p), "cpu-ms-"+q.name)
	}
	b.ReportMetric(percentile(rss, 50), "rss-KiB-p50")
	b.ReportMetric(percentile(rss, 100), "rss-KiB-max")
}

// percentile is the nearest-rank p-th percentile of xs (p from 0 to 100).
func percentile(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank-1, 0)]
}

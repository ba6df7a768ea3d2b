#!/usr/bin/env bash
# `make bench`: the size of the binary as `make` builds it, the cost of a
# whole invocation (against local TLS fakes on loopback, with the system
# CA bundle as on a node) per credential source, through a proxy as on a
# node, paired with a reference binary when REF names one (REF=path make
# bench), and 50 at once; then the Go micro-benchmarks, with the machine
# they ran on.
set -euo pipefail
cd "$(dirname "$0")"

RUNS=${RUNS:-200}   # invocations per credential source
PAIRS=${PAIRS:-60}  # node-case runs (pairs when REF names a reference binary)
BURSTS=${BURSTS:-5} # rounds of 50 concurrent runs
REF=${REF:-}        # e.g. upstream's ecr-credential-provider, for A/B
if [ -n "$REF" ]; then REF=$(realpath "$REF"); fi
# Peak RSS is read from GNU time: see bench_test.go for why.
[ -x /usr/bin/time ] || { echo "make bench needs GNU time as /usr/bin/time (Debian: apt-get install time)"; exit 1; }

echo "== machine"
echo "cpus: $(nproc); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//;s/ *$//')"
echo "$(go version); kernel: $(uname -sr); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== size"
# The size is reported, not judged here: `make build` and `make test`
# enforce the Makefile's MAX_SIZE.
limit=$(sed -n 's/^MAX_SIZE *:= *//p' Makefile)
make --no-print-directory build MAX_SIZE=999999999
size=$(stat -c %s ecr-credential-provider)
awk -v s="$size" -v l="$limit" 'BEGIN {
	printf "stripped binary: %d bytes = %.2f MB = %.2f MiB (limit %d bytes: %s)\n", s, s / 1e6, s / 1048576, l, s <= l ? "within" : "OVER"
}'

# bench runs the Go benchmark $1, $2 times, and prints its figures (runs
# below); a failed run prints go test's output.
bench() {
	local out
	out=$(ECR_CREDENTIAL_PROVIDER="$PWD/ecr-credential-provider" ECR_CREDENTIAL_PROVIDER_REF="$REF" \
		go test -run '^$' -bench "^$1\$" -benchtime "$2x" -count=1 . 2>&1) || { echo "$out"; return 1; }
	echo "$out" | runs
}

# runs prints go test's benchmark lines as figures: wall and CPU time per
# run (median, p10, p90) and peak RSS (median) of ours and of the
# reference, the medians of the pairs' ratios, and the 50-run totals.
runs() {
	awk '/^Benchmark/ {
		name = $1; sub(/^Benchmark[A-Za-z]*\/?/, "", name); sub(/-[0-9]+$/, "", name)
		delete m; for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
		for (p = 0; p < 2; p++) {
			pre = p ? "ref-" : ""; label = name
			if ("ref-cpu-ms-p50" in m) label = label (label != "" ? " " : "") (p ? "reference" : "ours")
			if (label == "") label = "ours"
			if (!((pre "cpu-ms-p50") in m)) continue
			printf "%-20s wall ms %6.1f (p10 %5.1f, p90 %5.1f)   CPU ms %6.1f (p10 %5.1f, p90 %5.1f)   peak RSS %5.1f MiB\n",
				label, m[pre "wall-ms-p50"], m[pre "wall-ms-p10"], m[pre "wall-ms-p90"],
				m[pre "cpu-ms-p50"], m[pre "cpu-ms-p10"], m[pre "cpu-ms-p90"], m[pre "rss-KiB-p50"] / 1024
		}
		if ("cpu-ratio-p50" in m)
			printf "ours / reference, median of the pairs: wall %.2f, CPU %.2f, peak RSS %.2f\n", m["wall-ratio-p50"], m["cpu-ratio-p50"], m["rss-ratio-p50"]
		if ("cpu-ms-total" in m) {
			printf "%-9s 50 runs: CPU %7.1f ms in all, %5.2f ms each; wall %6.1f ms until the last ended\n", name, m["cpu-ms-total"], m["cpu-ms-total"] / 50, m["wall-ms"]
			cpu[name] = m["cpu-ms-total"]; wall[name] = m["wall-ms"]
		}
	}
	END { if (("ours" in cpu) && ("ref" in cpu)) printf "ours / reference: CPU %.2f, wall %.2f\n", cpu["ours"] / cpu["ref"], wall["ours"] / wall["ref"] }'
}

echo
echo "== one invocation per credential source, system bundle plus the fakes' CA ($RUNS runs each)"
bench BenchmarkInvocation "$RUNS"

echo
echo "== the node case: environment credentials, one call through HTTPS_PROXY to ECR's host name ($PAIRS runs${REF:+, each paired with a run of $REF})"
bench BenchmarkNode "$PAIRS"

echo
echo "== 50 runs at once, as kubelet on a booting node (median of $BURSTS rounds)"
bench BenchmarkConcurrent "$BURSTS"

echo
echo "== micro-benchmarks"
go test -run '^$' -bench '^Benchmark(ParseRequest|ParseRegistry|SignRequest|WriteResponse)$' -benchmem -count=1 .

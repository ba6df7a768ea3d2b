#!/usr/bin/env bash
# `make bench`: the size of the binary as `make` builds it, the cost of a
# whole invocation per credential source (against local TLS fakes on
# loopback), and the Go micro-benchmarks, with the machine they ran on.
set -euo pipefail
cd "$(dirname "$0")"

RUNS=${RUNS:-200} # invocations per credential source

echo "== machine"
echo "cpus: $(nproc); cpu: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//;s/ *$//')"
echo "$(go version); kernel: $(uname -sr)"

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

echo
echo "== one invocation, as kubelet runs it ($RUNS runs per source)"
out=$(ECR_CREDENTIAL_PROVIDER="$PWD/ecr-credential-provider" \
	go test -run '^$' -bench '^BenchmarkInvocation$' -benchtime "${RUNS}x" -count=1 .)
echo "$out"
echo
echo "$out" | awk '
	/^BenchmarkInvocation\// {
		name = $1; sub(/^BenchmarkInvocation\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
		printf "%-13s wall ms %6.1f (p10 %5.1f, p90 %5.1f, min %5.1f, max %6.1f)   cpu ms %6.1f (p10 %5.1f, p90 %5.1f)   peak RSS %5.1f MiB (max %5.1f)\n",
			name, m["wall-ms-p50"], m["wall-ms-p10"], m["wall-ms-p90"], m["wall-ms-min"], m["wall-ms-max"],
			m["cpu-ms-p50"], m["cpu-ms-p10"], m["cpu-ms-p90"], m["rss-KiB-p50"] / 1024, m["rss-KiB-max"] / 1024
	}'

echo
echo "== micro-benchmarks"
go test -run '^$' -bench '^Benchmark(ParseRequest|ParseRegistry|SignRequest|WriteResponse)$' -benchmem -count=1 .

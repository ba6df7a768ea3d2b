# The front door: `make` builds the static binary, `make test` runs what CI runs.
BINARY  := ecr-credential-provider
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -buildid= -X main.version=$(VERSION)
# HTTP/1.1 is all that ECR, STS and IMDS need: leaving out net/http's
# bundled HTTP/2 (the nethttpomithttp2 tag) saves 0.4 MB.
TAGS    := nethttpomithttp2
BUILD   := CGO_ENABLED=0 go build -tags $(TAGS) -trimpath -buildvcs=false -ldflags '$(LDFLAGS)'
# The stripped binary must stay at or under 6.5 MB (upstream: 14.3 MB).
MAX_SIZE := 6500000
FUZZTIME ?= 10s

# Release artifacts. The FIPS builds link Go's own FIPS 140-3 module
# (SPEC §10): v1.0.0 holds CMVP certificate #5247 (v1.26.0, the other
# module Go 1.26 ships, is still in process); a GOFIPS140 build runs in
# FIPS mode by default. Release metadata is dated by the commit, never by
# the clock, so that two builds of one commit are identical.
PLATFORMS      ?= linux/amd64 linux/arm64 windows/amd64
FIPS_PLATFORMS ?= linux/amd64 linux/arm64
FIPS140        ?= v1.0.0
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
PREFIX ?= /usr/local

# The end-to-end tests that `make fips-test` runs against the FIPS build.
FIPS_E2E := TestEndToEnd|TestDemo|TestCommandLine|TestSecretsNeverPrinted

.PHONY: build test vet man fuzz bench reproducible release fips-test install demo interop clean

build:
	$(BUILD) -o $(BINARY) .
	@size=$$(stat -c %s $(BINARY)); echo "$(BINARY) $(VERSION): $$size bytes"; \
	  test $$size -le $(MAX_SIZE) || { echo "binary over $(MAX_SIZE) bytes"; exit 1; }

test: vet man build
	go test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=2000x
	$(MAKE) fips-test

vet:
	go vet ./...
	GOOS=windows GOARCH=amd64 go vet .
	GOOS=windows GOARCH=amd64 go test -c -o /dev/null .
	GOOS=linux GOARCH=arm64 go vet .
	@test -z "$$(gofmt -l *.go)" || { gofmt -l *.go; echo "gofmt needed"; exit 1; }
	@! grep -q '^[[:space:]]*require' go.mod || { echo "go.mod must have no require line"; exit 1; }
	@deps=$$(go list -tags $(TAGS) -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . | grep -vx ecr-credential-provider); \
	  test -z "$$deps" || { echo "the binary links non-standard packages: $$deps"; exit 1; }

# The man page documents every mode and every variable of the README's
# environment table (checks that need nothing installed), and passes
# mandoc's lint where mandoc is installed (.ci/run installs it).
man:
	@page=man/$(BINARY).8; \
	for w in '^\.SH SYNOPSIS' '^\.SH ENVIRONMENT' '^\.SH EXIT STATUS' '^\.SH FILES' '^\.SH EXAMPLES' \
	  'get\\-credentials' '^\.B check$$' 'docker-credential-ecr-login$$' 'docker\\-credential\\-helper$$' 'get\\-login\\-password$$'; do \
	  grep -q -- "$$w" $$page || { echo "$$page: nothing matches $$w"; exit 1; }; \
	done; \
	for v in $$(sed -n '/^## Environment variables/,/^## Exit/p' README.md | grep -o '`[A-Z][A-Z0-9_]*`' | tr -d '`'); do \
	  grep -qw -- "$$v" $$page || { echo "$$page does not document $$v"; exit 1; }; \
	done; \
	if command -v mandoc >/dev/null; then mandoc -T lint -W warning $$page; else echo "mandoc not installed: $$page not linted"; fi

# Each fuzz target in turn, FUZZTIME each. make test gives a count, not a
# time: a very short -fuzztime can end while the fuzzer is still gathering
# its baseline, which go test reports as "context deadline exceeded".
fuzz:
	@for t in $$(go test -list 'Fuzz.*' . | grep ^Fuzz); do \
	  echo "fuzz $$t"; go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done

bench:
	./bench.sh

# Everything a packager takes, in dist/: each binary static, stripped,
# -trimpath and version stamped, the Linux ones also as FIPS 140-3 builds;
# an SPDX SBOM per binary; the man page, LICENSE and NOTICE; and
# SHA256SUMS over all of them.
release:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*} arch=$${p#*/} exe=; test $$os != windows || exe=.exe; \
	  echo "build dist/$(BINARY)-$$os-$$arch$$exe"; \
	  GOOS=$$os GOARCH=$$arch GOFIPS140=off $(BUILD) -o dist/$(BINARY)-$$os-$$arch$$exe .; \
	done; \
	for p in $(FIPS_PLATFORMS); do \
	  os=$${p%/*} arch=$${p#*/}; echo "build dist/$(BINARY)-$$os-$$arch-fips (GOFIPS140=$(FIPS140))"; \
	  GOOS=$$os GOARCH=$$arch GOFIPS140=$(FIPS140) $(BUILD) -o dist/$(BINARY)-$$os-$$arch-fips .; \
	done; \
	for b in dist/$(BINARY)-*; do sh sbom.sh $$b '$(VERSION)' $(SOURCE_DATE_EPOCH) > $$b.spdx.json; done
	cp LICENSE NOTICE man/$(BINARY).8 dist/
	cd dist && ls | grep -vx SHA256SUMS | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	@cd dist && stat -c '%10s bytes  %n' $$(ls $(BINARY)-* | grep -v '\.spdx\.json$$')

# The whole release built twice, from two clean copies of HEAD in two
# directories, the second with an empty build cache: both must give the
# same SHA256SUMS, which covers every binary and SBOM.
reproducible:
	@set -e; d1=$$(mktemp -d); d2=$$(mktemp -d); trap 'rm -rf $$d1 $$d2' EXIT; \
	for d in $$d1 $$d2; do git archive --prefix=src/ HEAD | tar -x -C $$d; done; \
	$(MAKE) -s -C $$d1/src release VERSION='$(VERSION)' SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) >/dev/null; \
	GOCACHE=$$d2/gocache $(MAKE) -s -C $$d2/src release VERSION='$(VERSION)' SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) >/dev/null; \
	cat $$d1/src/dist/SHA256SUMS; \
	cmp $$d1/src/dist/SHA256SUMS $$d2/src/dist/SHA256SUMS || { diff $$d1/src/dist/SHA256SUMS $$d2/src/dist/SHA256SUMS; exit 1; }; \
	echo "reproducible: two builds of $(VERSION) from two clean copies gave identical SHA256SUMS"

# The FIPS build end to end with GODEBUG=fips140=only (SPEC §10): any
# non-approved algorithm, in TLS or anywhere else, fails the run. A
# wrapper sets GODEBUG as a kubelet config's env would; --version must
# report the module the binary links and the mode, or no test counts.
fips-test:
	@set -e; d=$$(mktemp -d); trap 'rm -rf $$d' EXIT; mkdir $$d/fips; \
	GOFIPS140=$(FIPS140) $(BUILD) -o $$d/fips/$(BINARY) .; \
	printf '#!/usr/bin/env bash\nGODEBUG=fips140=only exec -a "$$0" %s "$$@"\n' $$d/fips/$(BINARY) > $$d/$(BINARY); \
	chmod +x $$d/$(BINARY); \
	module=$$(go version -m $$d/fips/$(BINARY) | awk '$$2 ~ /^GOFIPS140=/ { print substr($$2, 11) }'); \
	test -n "$$module" || { echo "fips-test: the FIPS build records no GOFIPS140"; exit 1; }; \
	$$d/fips/$(BINARY) --version | grep -F "FIPS 140-3 module $$module, fips140=on)"; \
	$$d/$(BINARY) --version | grep -F "FIPS 140-3 module $$module, fips140=only)"; \
	ECR_CREDENTIAL_PROVIDER=$$d/$(BINARY) go test -count=1 -run '$(FIPS_E2E)' .

# `make` installs nothing; this installs the binary, its docker credential
# helper name (a symlink) and the man page under PREFIX (and DESTDIR, for
# packagers).
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/$(BINARY)
	ln -sf $(BINARY) $(DESTDIR)$(PREFIX)/bin/docker-credential-ecr-login
	install -m 0644 man/$(BINARY).8 $(DESTDIR)$(PREFIX)/share/man/man8/$(BINARY).8

demo: build
	ECR_CREDENTIAL_PROVIDER=$(abspath $(BINARY)) go test -count=1 -run '^TestDemo$$' -v . | sed -n '/^=== DEMO/,/^=== END/p'

interop: build
	cd interop && ECR_CREDENTIAL_PROVIDER=$(abspath $(BINARY)) go test -count=1 ./...

clean:
	rm -rf $(BINARY) dist

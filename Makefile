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

.PHONY: build test unit e2e vet fuzz bench reproducible release demo interop clean

build:
	$(BUILD) -o $(BINARY) .
	@size=$$(stat -c %s $(BINARY)); echo "$(BINARY) $(VERSION): $$size bytes"; \
	  test $$size -le $(MAX_SIZE) || { echo "binary over $(MAX_SIZE) bytes"; exit 1; }

test: vet build
	go test -race -count=1 ./...
	$(MAKE) fuzz FUZZTIME=2000x

vet:
	go vet ./...
	GOOS=windows GOARCH=amd64 go vet .
	GOOS=linux GOARCH=arm64 go vet .
	@test -z "$$(gofmt -l *.go)" || { gofmt -l *.go; echo "gofmt needed"; exit 1; }
	@! grep -q '^[[:space:]]*require' go.mod || { echo "go.mod must have no require line"; exit 1; }
	@deps=$$(go list -tags $(TAGS) -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' . | grep -vx ecr-credential-provider); \
	  test -z "$$deps" || { echo "the binary links non-standard packages: $$deps"; exit 1; }

# Each fuzz target in turn, FUZZTIME each. make test gives a count, not a
# time: a very short -fuzztime can end while the fuzzer is still gathering
# its baseline, which go test reports as "context deadline exceeded".
fuzz:
	@for t in $$(go test -list 'Fuzz.*' . | grep ^Fuzz); do \
	  echo "fuzz $$t"; go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done

bench:
	./bench.sh

reproducible:
	@d1=$$(mktemp -d) && d2=$$(mktemp -d) && \
	git archive HEAD | tar -x -C $$d1 && git archive HEAD | tar -x -C $$d2 && \
	(cd $$d1 && $(BUILD) -o out .) && (cd $$d2 && $(BUILD) -o out .) && \
	sha256sum $$d1/out $$d2/out && cmp $$d1/out $$d2/out && echo "reproducible: identical" && \
	rm -rf $$d1 $$d2

release:
	rm -rf dist && mkdir -p dist
	GOOS=linux GOARCH=amd64 $(BUILD) -o dist/$(BINARY)-linux-amd64 .
	GOOS=linux GOARCH=arm64 $(BUILD) -o dist/$(BINARY)-linux-arm64 .
	cd dist && sha256sum $(BINARY)-* > SHA256SUMS && cat SHA256SUMS

demo: build
	ECR_CREDENTIAL_PROVIDER=$(abspath $(BINARY)) go test -count=1 -run '^TestDemo$$' -v . | sed -n '/^=== DEMO/,/^=== END/p'

interop: build
	cd interop && ECR_CREDENTIAL_PROVIDER=$(abspath $(BINARY)) go test -count=1 ./...

clean:
	rm -rf $(BINARY) dist

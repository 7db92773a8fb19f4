# tokenctl — make demo (a realistic run on the emulators) and make test.
# Both install what they need on a fresh Debian machine.

GO        ?= go
BIN       := bin/tokenctl
APT_PKGS  := pcscd vsmartcard-vpcd libpcsclite-dev yubikey-manager python3-pskc pskc-utils oathtool pskctool
# staticcheck 2026.2.2: the module proxy serves it by its module version only.
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 6s
export GOFLAGS ?= -mod=mod

.PHONY: all build test test-go fuzz demo bench lint deps pcscd clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tokenctl

# deps installs the Debian packages the tests and the demo use, when missing.
deps:
	@scripts/deps.sh $(APT_PKGS)

# pcscd starts the PC/SC daemon (with the vpcd virtual readers) if it is not running.
pcscd: deps
	@scripts/pcscd.sh

test: deps pcscd lint test-go fuzz

test-go:
	$(GO) test -count=1 -timeout 12m ./...

# fuzz runs every fuzz target for FUZZTIME each (bounded; CI uses the default).
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

bench: deps pcscd build
	@scripts/bench.sh

demo: deps pcscd build
	@scripts/demo.sh

clean:
	rm -rf bin

# tokenctl — make demo (a realistic run on the emulators) and make test.
# Both install what they need on a fresh Debian machine.

GO        ?= go
BIN       := bin/tokenctl
APT_PKGS  := pcscd vsmartcard-vpcd libpcsclite-dev yubikey-manager python3-pskc pskc-utils oathtool pskctool postgresql \
             gcc-mingw-w64-x86-64 wine64
# The version stamped into builds (tokenctl --version): the git tag or
# commit, "dev" outside a git checkout; the commit date keeps builds
# reproducible.
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    := $(shell git rev-parse HEAD 2>/dev/null)
DATE      := $(shell TZ=UTC git log -1 --date=format-local:%Y-%m-%d --format=%cd 2>/dev/null)
BUILDINFO := github.com/tokenctl/tokenctl/internal/buildinfo
LDFLAGS   := -buildid= -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)
# staticcheck 2026.2.2: the module proxy serves it by its module version only.
STATICCHECK_VERSION := v0.8.2
# make fuzz runs each target at length; make test runs each briefly.
FUZZTIME  ?= 60s
FUZZTIME_BRIEF ?= 1s
export GOFLAGS ?= -mod=mod

.PHONY: all build dist test test-short test-go test-cross test-windows fuzz fuzz-brief demo bench lint deps pcscd clean

all: build

# build makes tokenctl and tokenctl-sim, the emulators that make demo and
# the tests use (not shipped: make dist packs tokenctl alone).
build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tokenctl
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)-sim ./cmd/tokenctl-sim

# dist builds the release archives into dist/ (Windows zip, Linux tarball,
# SHA256SUMS), reproducibly: see scripts/dist.sh.
dist:
	@scripts/deps.sh gcc-mingw-w64-x86-64 libpcsclite-dev
	@scripts/dist.sh

# deps installs the Debian packages the tests and the demo use, when missing.
deps:
	@scripts/deps.sh $(APT_PKGS)

# pcscd starts the PC/SC daemon (with the vpcd virtual readers) if it is not running.
pcscd: deps
	@scripts/pcscd.sh

# test: lint and cross-compilation first, then the Go tests side by side
# with the Wine part and brief fuzzing (scripts/test.sh).
test: deps pcscd lint test-cross
	@scripts/test.sh

# test-short is the quick loop: lint and the tests that need no device,
# Wine or peer (-short skips the pcscd tests).
test-short: lint
	cfg=$$(mktemp -d) && TOKENCTL_CONFIG_DIR=$$cfg $(GO) test -short -count=1 ./...; rc=$$?; rm -rf "$$cfg"; exit $$rc

# Ledgers the tests make are remembered in a folder of the run's, not in
# the user's configuration (TOKENCTL_CONFIG_DIR).
test-go:
	cfg=$$(mktemp -d) && TOKENCTL_CONFIG_DIR=$$cfg $(GO) test -count=1 -timeout 12m ./...; rc=$$?; rm -rf "$$cfg"; exit $$rc

# test-cross checks that every package compiles where it cannot be run
# here: macOS and any CGO_ENABLED=0 build (PC/SC and USB HID left out, and
# saying so), Windows without cgo (the release build has it).
test-cross:
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...

# test-windows runs tokenctl.exe and the Windows-only unit tests under Wine
# (skipped without wine64 and mingw-w64, a failure under CI=true).
test-windows:
	@scripts/wine-test.sh

# fuzz runs every fuzz target for FUZZTIME each (at length); fuzz-brief,
# part of make test, for FUZZTIME_BRIEF each. Committed corpora
# (testdata/fuzz) run in every go test.
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

fuzz-brief:
	@scripts/fuzz.sh $(FUZZTIME_BRIEF)

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
	rm -rf bin dist build

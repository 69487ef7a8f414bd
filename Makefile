# lawpoint: `make run` starts the system on embedded defaults, `make test`
# runs every test. Both install missing Debian packages first (scripts/deps.sh).

GO      ?= go
DATA    ?= $(CURDIR)/.run
BIN     := $(CURDIR)/bin
PUREGO  := ./cmd/lawpoint-fleet ./cmd/lawpointctl ./cmd/lawpoint-led
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all deps build kiosk run test vet fmt-check imports cross bench fuzz clean

all: build

deps:
	@./scripts/deps.sh

# The fleet, the CLI and the LED controller are pure Go (CGO_ENABLED=0), so
# they cross-compile for the Pi; only the kiosk links ebiten and needs cgo.
build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ $(wildcard $(PUREGO))

kiosk:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/lawpoint-kiosk

cross:
	@for p in $(wildcard $(PUREGO)); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o /dev/null ./$$p || exit 1; \
	done

run: deps build
	./scripts/run.sh "$(DATA)" "$(BIN)"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

imports:
	@./scripts/check-imports.sh

# The kiosk's window tests run alone, after the rest: they measure whether
# every tap arrives, and a CPU shared with another package's tests starves
# the window's loop (docs/KIOSK.md, "Lost taps under Xvfb").
test: deps fmt-check vet imports cross
	$(GO) test -count=1 $$($(GO) list ./... | grep -v '/kiosk/xvfbtest$$')
	$(GO) test -count=1 ./kiosk/xvfbtest/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Short fuzz runs of every fuzz target (FUZZTIME per target).
FUZZTIME ?= 20s
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf $(BIN) $(DATA)

# Longshore's two commands: `make test` passes the tests, `make run` runs the main job.
# `make deps` installs the system packages the end-to-end tests use (Debian, as root).

GO        ?= go
TESTFLAGS ?= -race -timeout 25m
PKGS      ?= ./...

# Debian packages the end-to-end tests start as real components.
DEBS := containerd runc containernetworking-plugins nftables etcd-server etcd-client \
        busybox-static docker-registry skopeo iproute2

.PHONY: test run deps vet fmt bench

test: deps vet
	$(GO) test $(TESTFLAGS) $(PKGS)

# Installs what is missing when we are root on a Debian machine; otherwise says
# what the end-to-end tests will skip (or fail on, under LONGSHORE_E2E=require).
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all system packages present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: missing$$missing (not root or no apt-get): end-to-end tests needing them will skip"; fi

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)

run:
	$(GO) run ./examples/cluster

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Image URL to use all building/pushing image targets
IMG ?= controller:latest
# YEAR defines the year value used for substituting the YEAR placeholder in the boilerplate header.
YEAR ?= 2026

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set)
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

# ARGOCD_HEALTH_KINDS are the kinds config/argocd/argocd-cm-patch.yaml registers config/argocd/health.lua for, one
# argocd-cm key each (resource.customizations.health.hookstream.io_<Kind>). The chart's templates/argocd-health.yaml
# lists the same kinds.
ARGOCD_HEALTH_KINDS = Destination Source Connection

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and ClusterRole, refresh the copies the Helm chart and argocd-cm patch carry, and the API reference docs/reference/api.md.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="{./api/...,./internal/...,./cmd/...}" output:crd:artifacts:config=config/crd/bases
	cp config/crd/bases/*.yaml charts/hookstream-operator/crds/
	cp config/rbac/role.yaml charts/hookstream-operator/files/manager-role.yaml
	cp config/rbac/aggregate_to_edit_role.yaml charts/hookstream-operator/files/aggregate-to-edit-role.yaml
	cp config/rbac/aggregate_to_view_role.yaml charts/hookstream-operator/files/aggregate-to-view-role.yaml
	cp config/rbac/aggregate_to_admin_role.yaml charts/hookstream-operator/files/aggregate-to-admin-role.yaml
	cp config/argocd/health.lua charts/hookstream-operator/files/argocd-health.lua
	cp config/prometheus/alert-rules.yaml charts/hookstream-operator/files/prometheus-alert-rules.yaml
	cp config/grafana/hookstream-operator-dashboard.json charts/hookstream-operator/files/grafana-dashboard.json
	{ sed -n '1,/^data:$$/p' config/argocd/argocd-cm-patch.yaml; \
	  for kind in $(ARGOCD_HEALTH_KINDS); do \
	    echo "  resource.customizations.health.hookstream.io_$$kind: |"; \
	    sed -e 's/^\(.\)/    \1/' config/argocd/health.lua; \
	  done; } > config/argocd/argocd-cm-patch.yaml.tmp
	mv config/argocd/argocd-cm-patch.yaml.tmp config/argocd/argocd-cm-patch.yaml
	go run ./hack/apidocs -crds config/crd/bases -out docs/reference/api.md

.PHONY: generate
# The DeepCopy generator of controller-gen copies nothing for a map whose values are of an alias type (such as
# api/v1alpha1's HeaderValue, an alias of string that gives header values a maxLength in the CRD); with
# gotypesalias=0 the alias reads as string and the copy is right. Should a Go release drop that setting, the
# generated code no longer compiles (the copy loop declares unused variables), which shows at once.
generate: controller-gen ## Generate code containing DeepCopy, DeepCopyInto, and DeepCopyObject method implementations.
	GODEBUG=gotypesalias=0 "$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt",year=$(YEAR) paths="./..."

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: test
test: manifests generate fmt vet setup-envtest kustomize promtool ## Run all tests (unit, contract, integration on a real control plane, alert rule unit tests).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -coverprofile cover.out $(TEST_ARGS)

VERIFY_PATHS = api config cmd internal hack test charts Dockerfile docs/reference/api.md

.PHONY: verify
verify: manifests generate fmt ## Regenerate code and manifests and fail on any difference from what is committed.
	@if [ -n "$$(git status --porcelain -- $(VERIFY_PATHS))" ]; then \
		echo "Generated files or formatting differ from the committed tree; run 'make manifests generate fmt' and commit:"; \
		git status --porcelain -- $(VERIFY_PATHS); \
		git --no-pager diff --stat -- $(VERIFY_PATHS); \
		exit 1; \
	fi
	@echo "verify: generated code, manifests and formatting are up to date"

.PHONY: test-rules
test-rules: ## Check the alert rules and run their unit tests with the pinned promtool (built on first use).
	$(PROMTOOL) check rules config/prometheus/alert-rules.yaml
	cd config/prometheus && $(PROMTOOL) test rules alert-rules_test.yaml

.PHONY: helm-lint
helm-lint: ## Lint the Helm chart with the pinned helm (built from the Go module proxy on first use).
	hack/helm.sh lint --strict charts/hookstream-operator

.PHONY: docker-build-check
docker-build-check: ## Build the manager as the Dockerfile does and check that it is static (no container engine needed).
	hack/docker-build-check.sh

.PHONY: lint
lint: ## Run the pinned golangci-lint (built from the Go module proxy into a cache outside the repo on first use).
	$(GOLANGCI_LINT) run

.PHONY: lint-fix
lint-fix: ## Run golangci-lint linter and perform fixes
	$(GOLANGCI_LINT) run --fix

.PHONY: lint-config
lint-config: ## Verify golangci-lint linter configuration
	$(GOLANGCI_LINT) config verify

##@ Build

.PHONY: build
build: manifests generate fmt vet build-binaries ## Regenerate, format and vet, then build the manager, the emulator and the kubectl plugin.

.PHONY: build-binaries
build-binaries: ## Build bin/manager, bin/hookstream-emulator and bin/kubectl-hookstream only: no code generation, formatting or vet.
	go build -ldflags "$(LDFLAGS)" -o bin/manager ./cmd
	go build -ldflags "-X main.Version=$(VERSION)" -o bin/hookstream-emulator ./cmd/hookstream-emulator
	go build -ldflags "$(LDFLAGS)" -o bin/kubectl-hookstream ./cmd/kubectl-hookstream

.PHONY: run
run: manifests generate fmt vet ## Run a controller from your host against the cluster of your KUBECONFIG.
	go run ./cmd/main.go $(RUN_ARGS)

# If you wish to build the manager image targeting other platforms you can use the --platform flag.
# (i.e. docker build --platform linux/arm64). However, you must enable docker buildKit for it.
# More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# Override BASE_IMAGE to build from another registry, e.g.
# make docker-build IMG=<img> BASE_IMAGE=docker.io/library/golang:1.26
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

# PLATFORMS defines the target platforms for the manager image be built to provide support to multiple
# architectures. (i.e. make docker-buildx IMG=myregistry/mypoperator:0.0.1). To use this option you need to:
# - be able to use docker buildx. More info: https://docs.docker.com/build/buildx/
# - have enabled BuildKit. More info: https://docs.docker.com/develop/develop-images/build_enhancements/
# - be able to push the image to your registry (i.e. if you do not set a valid value via IMG=<myregistry/image:<tag>> then the export will fail)
# To adequately provide solutions that are compatible with multiple platforms, you should consider using this option.
PLATFORMS ?= linux/arm64,linux/amd64,linux/s390x,linux/ppc64le
.PHONY: docker-buildx
docker-buildx: ## Build and push docker image for the manager for cross-platform support
	# copy existing Dockerfile and insert --platform=${BUILDPLATFORM} into Dockerfile.cross, and preserve the original Dockerfile
	sed -e '1 s/\(^FROM\)/FROM --platform=\$$\{BUILDPLATFORM\}/; t' -e ' 1,// s//FROM --platform=\$$\{BUILDPLATFORM\}/' Dockerfile > Dockerfile.cross
	- $(CONTAINER_TOOL) buildx create --name hookstream-operator-builder
	$(CONTAINER_TOOL) buildx use hookstream-operator-builder
	- $(CONTAINER_TOOL) buildx build --push --platform=$(PLATFORMS) --build-arg VERSION=$(VERSION) $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) --tag ${IMG} -f Dockerfile.cross .
	- $(CONTAINER_TOOL) buildx rm hookstream-operator-builder
	rm Dockerfile.cross

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment, and the kubectl plugin dist/kubectl-hookstream (tracked files stay as they are).
	mkdir -p dist
	hack/install-yaml.sh "$(KUSTOMIZE)" "${IMG}" > dist/install.yaml
	CGO_ENABLED=0 go build -ldflags "$(LDFLAGS)" -o dist/kubectl-hookstream ./cmd/kubectl-hookstream

##@ Release

# RELEASE_URL is where the release's assets are downloaded from; the krew manifest's URIs point there.
RELEASE_URL ?= https://github.com/hookstream/hookstream-operator/releases/download/$(VERSION)

.PHONY: release
release: kustomize ## Write dist/ for VERSION=vX.Y.Z: install.yaml, the chart package, kubectl-hookstream archives, checksums, krew manifest, release notes.
	@[[ "$(origin VERSION)" == "command line" || "$(origin VERSION)" == "environment" ]] || { echo "make release needs VERSION=vX.Y.Z" >&2; exit 2; }
	VERSION="$(VERSION)" KUSTOMIZE="$(KUSTOMIZE)" RELEASE_URL="$(RELEASE_URL)" DIST="$(or $(DIST),dist)" hack/release.sh

.PHONY: test-release
test-release: kustomize ## Run make release in a copy of the repository and check every artifact (not in make test: four cross-compiles, about 25 CPU-minutes with a cold build cache).
	HOOKSTREAM_TEST_RELEASE=1 LOCALBIN="$(LOCALBIN)" go test ./test/release -count=1 -v -timeout 30m

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply -f -; else echo "No CRDs to install; skipping."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete; skipping."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy controller to the K8s cluster specified in ~/.kube/config.
	hack/install-yaml.sh "$(KUSTOMIZE)" "${IMG}" | "$(KUBECTL)" apply -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy controller from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= kubectl
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
# PROMTOOL runs Prometheus's promtool, pinned in hack/promtool.sh (PROMETHEUS_VERSION) and built once per machine
# into the tools cache; test/alerts runs it through the same script, so `go test` alone builds it too.
PROMTOOL = $(CURDIR)/hack/promtool.sh
# GOLANGCI_LINT runs the pinned golangci-lint, built once per machine into TOOLS_DIR (outside the repository).
GOLANGCI_LINT = GOLANGCI_LINT_VERSION="$(GOLANGCI_LINT_VERSION)" hack/golangci-lint.sh

## Tool Versions
KUSTOMIZE_VERSION ?= v5.8.1
CONTROLLER_TOOLS_VERSION ?= v0.23.0
# GOLANGCI_LINT_VERSION is built with the local Go toolchain (1.26); the plain binary, without module plugins.
GOLANGCI_LINT_VERSION ?= v2.13.1

# ENVTEST_K8S_VERSION is the Kubernetes release whose kube-apiserver the tests run: the k8s.io/api version of
# go.mod (v0.M.P) as v1.M.P.
ENVTEST_K8S_VERSION ?= $(shell v='$(call gomodver,k8s.io/api)'; \
  [ -n "$$v" ] || { echo "Set ENVTEST_K8S_VERSION manually (k8s.io/api replace has no tag)" >&2; exit 1; }; \
  printf '%s\n' "$$v" | sed -E 's/^v0\./v1./')
# ETCD_VERSION is the etcd server module built for envtest.
ETCD_VERSION ?= v3.6.16
# ENVTEST_CACHE holds the built control-plane binaries, keyed by version, outside the repository.
ENVTEST_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hookstream-operator/envtest
ENVTEST_ASSETS = $(shell K8S_VERSION="$(ENVTEST_K8S_VERSION)" ETCD_VERSION="$(ETCD_VERSION)" ENVTEST_CACHE="$(ENVTEST_CACHE)" hack/setup-envtest.sh --print-path)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS ?= -X github.com/hookstream/hookstream-operator/internal/hookstream.Version=$(VERSION)

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: setup-envtest
setup-envtest: ## Build kube-apiserver and etcd from the Go module proxy into a cache outside the repo (once per machine).
	@K8S_VERSION="$(ENVTEST_K8S_VERSION)" ETCD_VERSION="$(ETCD_VERSION)" ENVTEST_CACHE="$(ENVTEST_CACHE)" hack/setup-envtest.sh

.PHONY: envtest-assets
envtest-assets: ## Print the absolute path of the folder holding kube-apiserver and etcd (builds them if needed).
	@K8S_VERSION="$(ENVTEST_K8S_VERSION)" ETCD_VERSION="$(ETCD_VERSION)" ENVTEST_CACHE="$(ENVTEST_CACHE)" hack/setup-envtest.sh --print-path

.PHONY: promtool
promtool: ## Build the pinned promtool into the tools cache if necessary and print its path.
	@$(PROMTOOL) --print-path

.PHONY: golangci-lint
golangci-lint: ## Build the pinned golangci-lint into the tools cache if necessary and print its version.
	$(GOLANGCI_LINT) version

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef

define gomodver
$(shell go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' $(1) 2>/dev/null)
endef

##@ Local environment

# demo and dev build only what they run (the manager, the emulator and the tour itself), from the committed
# manifests: no controller-gen, no go vet over the test tree. `make build` and `make test` keep those checks.
.PHONY: demo
demo: build-binaries setup-envtest ## The main job: a local control plane, the emulator and the manager, and a scripted tour.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/localenv demo

.PHONY: dev
dev: build-binaries setup-envtest ## The same environment left running for hands-on use; Ctrl-C stops everything.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/localenv dev

##@ Reliability and scale

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 30s) and print how long each ran.
	FUZZTIME=$(or $(FUZZTIME),30s) hack/fuzz.sh

.PHONY: bench
bench: setup-envtest ## Scale benchmark: BENCH_N objects of each kind of BENCH_KINDS (destinations or all; default 1000 Destinations), BENCH_RUNS runs (3), medians and spreads, against the raw limit and the per-object GET mode.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" BENCH_N=$(or $(BENCH_N),1000) go test ./test/bench -run '^$$' -bench BenchmarkScale -benchtime 1x -timeout 6h

.PHONY: bench-targets
bench-targets: ## The configurations the scale targets of docs/scale.md are stated for, 3 runs each (list mode and raw limit, the manager with the chart's 256Mi memory limit; about an hour and a half on 2 cores): 5000 and 20000 Destinations, 2000 of every kind.
	$(MAKE) bench BENCH_N=5000 BENCH_MODES=raw,list BENCH_MEMORY_LIMIT=256Mi
	$(MAKE) bench BENCH_N=20000 BENCH_MODES=raw,list BENCH_MEMORY_LIMIT=256Mi
	$(MAKE) bench BENCH_N=2000 BENCH_KINDS=all BENCH_MODES=raw,list BENCH_MEMORY_LIMIT=256Mi

.PHONY: bench-refresh
bench-refresh: setup-envtest ## Status refresh cost: BENCH_N Destinations (default 5000), 1 % receiving deliveries, some failing; calls and writes per refresh.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" BENCH_N=$(or $(BENCH_N),5000) go test ./test/bench -run '^$$' -bench BenchmarkStatusRefresh -benchtime 1x -timeout 60m

.PHONY: test-variants
test-variants: setup-envtest ## The lifecycle of every kind under each variant of the contract the emulator serves (also part of make test).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/variants -count=1 -v -timeout 10m

.PHONY: conformance
conformance: ## Check hookstream and the client agree: an emulator of its own, or HOOKSTREAM_URL + HOOKSTREAM_API_KEY (+ HOOKSTREAM_CA_FILE); writes conformance-report.md/.json.
	go run ./cmd/hookstream-conformance $(CONFORMANCE_ARGS)

.PHONY: conformance-cleanup
conformance-cleanup: ## Delete what interrupted conformance runs left in HOOKSTREAM_URL's account (resources named conformance-..., nothing else).
	go run ./cmd/hookstream-conformance --cleanup

.PHONY: test-upgrade
test-upgrade: setup-envtest ## Upgrade from the manager and CRDs of hack/upgrade-from to the current ones and back under UPGRADE_N objects of each kind (default 500): remote writes, Ready flaps and hookstream calls each way (not in make test; docs/upgrading.md).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" HOOKSTREAM_TEST_UPGRADE=1 UPGRADE_N=$(or $(UPGRADE_N),500) go test ./test/upgrade -count=1 -v -timeout 60m

.PHONY: test-faults
test-faults: setup-envtest ## Fault-injection suite at full size; prints the results table (a CI-sized subset runs in make test).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" HOOKSTREAM_FAULTS_FULL=1 go test ./test/faults -count=1 -v -timeout 60m

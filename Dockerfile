# Build the manager binary
# Override BASE_IMAGE to build from another registry, e.g. docker.io/library/golang:1.26
ARG BASE_IMAGE=golang:1.26
FROM ${BASE_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH
# VERSION is stamped into the binary (make docker-build passes --build-arg VERSION=...).
ARG VERSION=dev

WORKDIR /workspace
# Modules first, so that a source change does not invalidate the downloaded layer.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

# Copy the Go source (relies on .dockerignore to filter)
COPY . .

# GOARCH stays empty unless buildx sets TARGETARCH, so a plain `docker build` targets the builder's platform.
# hack/build-manager.sh holds the one build command; hack/docker-build-check.sh runs the same script on a machine
# without a container engine and checks that the result is static.
RUN GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} VERSION=${VERSION} sh hack/build-manager.sh /workspace/manager

# distroless/static has no libc and no shell: the binary must be static, which build-manager.sh guarantees.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]

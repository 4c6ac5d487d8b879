# doraflow in a container; docker-compose.yaml builds and runs it.
#
#   docker build -t doraflow --build-arg VERSION=$(git describe --always) .

FROM golang:1.26.8 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static, and with its own time zone database (timetzdata), so that any
# config timezone works whatever the runtime image holds.
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
    -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/doraflow ./cmd/doraflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/doraflow /usr/local/bin/doraflow
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/doraflow"]
CMD ["help"]

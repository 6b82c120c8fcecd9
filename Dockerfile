# syntax=docker/dockerfile:1
# One image recipe for all four services:
#   docker build --build-arg PRODUCT=roster-users -t roster/users .
# (PRODUCT: roster-users, roster-audience, roster-verification, roster-notification)

ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
# Dependencies first: this layer is reused until Package.swift changes.
COPY Package.swift ./
RUN swift package resolve
COPY Shared ./Shared
COPY Services ./Services
COPY Tests ./Tests
ARG PRODUCT
RUN test -n "${PRODUCT}" || (echo "--build-arg PRODUCT=roster-<service> is required" && exit 1)
RUN swift build -c release --product "${PRODUCT}" --static-swift-stdlib \
    && mkdir -p /out \
    && cp ".build/release/${PRODUCT}" /out/ \
    && cp -R .build/release/*.resources /out/

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin roster
ARG PRODUCT
ENV ROSTER_PRODUCT=${PRODUCT} \
    ROSTER_HTTP_HOST=0.0.0.0 \
    ROSTER_HTTP_PORT=8080
WORKDIR /app
COPY --from=build /out/ /app/
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${ROSTER_HTTP_PORT}/health/live" || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c", "exec /app/${ROSTER_PRODUCT} \"$@\"", "--"]

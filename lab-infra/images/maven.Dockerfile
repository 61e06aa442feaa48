# Maven and a Java 17 runtime from Debian's packages: the offline stand-in for
# maven:3.9-eclipse-temurin-17, the build stage of the Kafka and Connect images.
#   docker build -f lab-infra/images/maven.Dockerfile -t boletia-maven:bookworm lab-infra/images
ARG BASE_IMAGE=boletia-base:bookworm
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends maven openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
CMD ["mvn", "--version"]

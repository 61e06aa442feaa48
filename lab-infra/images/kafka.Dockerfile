# Apache Kafka 4.1.1 without Docker Hub: the offline stand-in for apache/kafka:4.1.1, built
# from the repository root on boletia-base:bookworm (lab-infra/images/base.sh), Debian's
# OpenJDK 17 and the jars of lab-infra/pom.xml from Maven Central (the local runtime's jars).
# It is configured like the official image: KAFKA_* variables become server.properties
# (KAFKA_FOO_BAR -> foo.bar, by Kafka's own kafka.docker.KafkaDockerWrapper), CLUSTER_ID
# formats the storage, and /opt/kafka/bin has the scripts the lab calls.
#   docker build -f lab-infra/images/kafka.Dockerfile -t boletia-kafka:4.1.1-bookworm .
ARG BASE_IMAGE=boletia-base:bookworm
ARG MAVEN_IMAGE=boletia-maven:bookworm

FROM ${MAVEN_IMAGE} AS jars
WORKDIR /build
COPY lab-infra/pom.xml pom.xml
RUN mvn -B -q -f pom.xml -Dlab.jars=/opt/lab package

FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless wget \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home --shell /bin/bash appuser \
 && mkdir -p /opt/kafka/bin /opt/kafka/config /etc/kafka/docker /mnt/shared/config /var/lib/kafka/data \
 && chown -R appuser:appuser /opt/kafka/config /mnt/shared/config /var/lib/kafka
COPY --from=jars /opt/lab/kafka/libs /opt/kafka/libs
COPY lab-infra/templates/log4j2.properties /opt/kafka/config/log4j2.properties
COPY lab-infra/images/kafka/ /opt/kafka/bin/
WORKDIR /opt/kafka/bin
RUN for tool in kafka-server-start kafka-storage kafka-broker-api-versions kafka-topics \
                kafka-consumer-groups kafka-metadata-quorum kafka-console-consumer \
                kafka-console-producer connect-distributed; do \
      ln -s kafka-tool.sh "$tool.sh"; \
    done
ENV KAFKA_HOME=/opt/kafka
USER 1000
WORKDIR /opt/kafka
EXPOSE 9092
CMD ["/opt/kafka/bin/run"]

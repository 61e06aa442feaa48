#!/usr/bin/env bash
# A Connect worker of the image (compose, Kubernetes): the configuration from /etc/connect, with
# CONNECT_BOOTSTRAP_SERVERS overriding the brokers and CONNECT_ADVERTISED_HOST the name the other
# workers reach it by (unset: its IP address). With credentials (the docker lab, issue 28):
# CONNECT_KAFKA_PASSWORD, its own SCRAM user `connect` for the worker and every client it makes
# for the connectors; CONNECT_REST_PASSWORD, HTTP Basic authentication of `admin` on the REST
# API. Both are read from the environment into files only this user reads, never a command line.
set -euo pipefail
umask 077
props=/tmp/connect.properties
cp /etc/connect/connect-distributed.properties "$props"
if [ -n "${CONNECT_BOOTSTRAP_SERVERS:-}" ]; then
  sed -i "s|^bootstrap.servers=.*|bootstrap.servers=$CONNECT_BOOTSTRAP_SERVERS|" "$props"
fi
if [ -n "${CONNECT_ADVERTISED_HOST:-}" ]; then
  echo "rest.advertised.host.name=$CONNECT_ADVERTISED_HOST" >> "$props"
fi
if [ -n "${CONNECT_KAFKA_PASSWORD:-}" ]; then
  jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"connect\" password=\"$CONNECT_KAFKA_PASSWORD\";"
  for prefix in "" producer. consumer. admin.; do
    printf '%ssecurity.protocol=SASL_PLAINTEXT\n%ssasl.mechanism=SCRAM-SHA-512\n%ssasl.jaas.config=%s\n' \
      "$prefix" "$prefix" "$prefix" "$jaas" >> "$props"
  done
fi
if [ -n "${CONNECT_REST_PASSWORD:-}" ]; then
  printf 'admin: %s\n' "$CONNECT_REST_PASSWORD" > /tmp/rest-users.properties
  printf 'KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required file="/tmp/rest-users.properties";\n};\n' \
    > /tmp/rest-jaas.conf
  echo "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension" >> "$props"
  export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=/tmp/rest-jaas.conf"
fi
exec /opt/kafka/bin/connect-distributed.sh "$props"

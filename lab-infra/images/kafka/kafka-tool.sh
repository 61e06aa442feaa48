#!/usr/bin/env bash
# The scripts of Kafka's distribution that the lab calls, for the offline Kafka image (which
# has Kafka's jars from Maven Central, not the distribution): one script, called by the name
# of the link to it. Heap and options as in Kafka's own scripts: KAFKA_HEAP_OPTS, KAFKA_OPTS.
set -euo pipefail
name=$(basename "$0" .sh)
heap="-Xmx256m"
case "$name" in
  kafka-server-start)        main=kafka.Kafka; heap="-Xmx1G -Xms1G" ;;
  connect-distributed)       main=org.apache.kafka.connect.cli.ConnectDistributed; heap="-Xms256M -Xmx2G" ;;
  kafka-storage)             main=kafka.tools.StorageTool ;;
  kafka-broker-api-versions) main=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  kafka-topics)              main=org.apache.kafka.tools.TopicCommand ;;
  kafka-consumer-groups)     main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  kafka-metadata-quorum)     main=org.apache.kafka.tools.MetadataQuorumCommand ;;
  kafka-console-consumer)    main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  kafka-console-producer)    main=org.apache.kafka.tools.ConsoleProducer ;;
  *) echo "kafka-tool.sh: unknown tool $name" >&2; exit 2 ;;
esac
case "$name" in
  kafka-server-start|connect-distributed) heap=${KAFKA_HEAP_OPTS:-$heap} ;;
esac
# shellcheck disable=SC2086  # options are word lists, as in Kafka's scripts
exec java $heap -XX:+UseG1GC -Djava.awt.headless=true ${KAFKA_OPTS:-} \
  -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp '/opt/kafka/libs/*' "$main" "$@"

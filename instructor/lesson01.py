"""Lesson 01: the answers (show them after the lesson; boletia/lab/exercises/lesson01.py checks the first).

`command`: a topic as safe as the lab's own (3 partitions for three consumers of a group, a copy
on each of the 3 brokers, min.insync.replicas=2: one broker down loses no acknowledged write and
stops no write). Any --partitions >= 3 is right too."""

command = ("kafka-topics.sh --bootstrap-server 127.0.0.1:9092 --create --topic boletia.pagos "
           "--partitions 3 --replication-factor 3 --config min.insync.replicas=2")

QUESTIONS = {
    1: "The producer's send fails with NotEnoughReplicas (after retries): Kafka refuses a write it could "
       "not keep safely. Reads of already written messages still work from the surviving broker.",
    2: "Auto-created topics get the broker defaults at creation time; creating them explicitly makes RF 3, "
       "min.insync.replicas=2 and the partition count a visible, reviewed decision.",
    3: "Everything: connector configs, their offsets and statuses live in the connect-* topics.",
}

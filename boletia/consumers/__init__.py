"""The silent services: Kafka consumers that turn messages into writes or emails."""

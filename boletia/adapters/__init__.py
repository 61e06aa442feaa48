"""Adapters: the only modules that talk to MongoDB, Kafka, SES and HTTP."""

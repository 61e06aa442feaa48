"""Boletia: a ticket-selling backend on Kafka, MongoDB and Kafka Connect, built as a teaching lab."""

__version__ = "0.1.0"

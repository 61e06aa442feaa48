"""Connector definitions, installed with the package as `boletia.resources.connect` (see boletia/resources)."""

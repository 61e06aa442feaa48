"""Infrastructure files, installed with the package as `boletia.resources.infra` (see boletia/resources)."""

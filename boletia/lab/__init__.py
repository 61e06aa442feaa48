"""The lab around Boletia: runtimes, connectors, experiments and notebook helpers."""

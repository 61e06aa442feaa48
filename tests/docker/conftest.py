"""The docker runtime's tests (marker `docker`, registered in pyproject.toml): they need a Docker
engine with the compose v2 plugin (scripts/docker-engine.sh makes one on a Debian machine) and
skip, saying why, without one. `make test` runs them last (scripts/test-docker.sh, which first
makes the engine, and then a missing engine fails them); `make test-docker` runs them alone."""

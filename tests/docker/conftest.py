"""The docker runtime's tests (marker `docker`, registered in pyproject.toml): they need a Docker
engine with the compose v2 plugin (scripts/docker-engine.sh makes one on a Debian machine) and
skip, saying why, without one. `make test-docker` runs them; `make test` leaves them out."""

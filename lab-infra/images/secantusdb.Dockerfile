# SecantusDB (PyPI `secantusdb`: MongoDB's wire protocol on WiredTiger) as ONE single-node
# replica-set member: the offline image set's stand-in for the three mongo:7.0 members. It
# runs as the local runtime runs it (change streams, fail points, fsync on every commit).
# Given SECANTUS_USERS (the lab's compose.yaml passes them), the entrypoint provisions those
# users on first start and serves with --auth (SCRAM); see lab-infra/images/secantusdb/entrypoint.py.
# Built from the repository root (the version comes from requirements.lock):
#   docker build -f lab-infra/images/secantusdb.Dockerfile \
#     --build-arg PYTHON_IMAGE=boletia-python:3.11-bookworm -t boletia-secantusdb:lab .
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
COPY requirements.lock /tmp/requirements.lock
# hadolint ignore=DL3013
RUN pip install --no-cache-dir -c /tmp/requirements.lock secantusdb \
 && rm /tmp/requirements.lock \
 && useradd --uid 999 --create-home secantus \
 && mkdir -p /data/db \
 && chown secantus /data/db
COPY lab-infra/images/secantusdb/entrypoint.py /usr/local/bin/secantus-entrypoint
USER 999
EXPOSE 27017
HEALTHCHECK --interval=5s --timeout=5s --retries=30 CMD ["secantus-entrypoint", "--ping"]
ENTRYPOINT ["secantus-entrypoint"]

# Python 3.11 from Debian's packages, in a virtual environment first on PATH (so `python` and
# `pip` are what they are in python:3.11-slim): the offline stand-in for python:3.11-slim.
#   docker build -f lab-infra/images/python.Dockerfile -t boletia-python:3.11-bookworm lab-infra/images
ARG BASE_IMAGE=boletia-base:bookworm
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/python
# pip trusts the system's certificate store (with the base image's authorities), not certifi's
ENV PATH=/opt/python/bin:$PATH \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1
CMD ["python"]

# The boletia package: services, consumers, the SES endpoint (moto) and JupyterLab.
# Built from the repository root; the base image is a build argument:
#   docker build -f lab-infra/boletia.Dockerfile -t boletia:lab .                (python:3.11-slim)
#   docker build -f lab-infra/boletia.Dockerfile --build-arg PYTHON_IMAGE=boletia-python:3.11-bookworm \
#     --build-arg PIN_OVERRIDES=soupsieve==3.0.1 -t boletia:lab-offline .       (no Docker Hub)
# (`boletia lab images` builds whichever set applies.)
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --create-home boletia && mkdir -p /lab && chown 10001 /lab
WORKDIR /app
# The pinned environment first (requirements.lock, the lab's tested versions), then the package
# without resolving again. PIN_OVERRIDES ("name==version ...", empty for python:3.11-slim)
# replaces the pins that need a newer Python than the base image's: Debian bookworm's is 3.11.2.
COPY requirements.lock ./
ARG PIN_OVERRIDES=""
RUN for pin in $PIN_OVERRIDES; do sed -i "s/^${pin%%==*}==.*/$pin/" requirements.lock; done \
 && pip install --no-cache-dir -r requirements.lock
# What changes least first: a change to the code rebuilds only the last two layers.
COPY pyproject.toml README.md LICENSE ./
COPY notebooks notebooks
COPY connect connect
COPY lab-infra/__init__.py lab-infra/pom.xml lab-infra/compose.yaml lab-infra/
COPY lab-infra/templates lab-infra/templates
COPY boletia boletia
RUN pip install --no-cache-dir --no-deps . && rm -rf build boletia.egg-info
USER 10001
ENV BOLETIA_LAB_DIR=/lab PYTHONUNBUFFERED=1
EXPOSE 8070 8071 5005 8888
CMD ["boletia", "--help"]

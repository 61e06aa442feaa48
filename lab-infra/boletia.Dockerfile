# The boletia package, in two targets. Built from the repository root; the base image is a
# build argument:
#   docker build -f lab-infra/boletia.Dockerfile --target app -t boletia:lab .       (python:3.11-slim)
#   docker build -f lab-infra/boletia.Dockerfile --target jupyter -t boletia-jupyter:lab .
#   offline (no Docker Hub): add --build-arg PYTHON_IMAGE=boletia-python:3.11-bookworm
#     --build-arg PIN_OVERRIDES=soupsieve==3.0.1
# (`boletia lab images [--jupyter]` builds whichever set applies.)
#
# - app: the services and consumers (`boletia-service <name>`, the product's entry point), the
#   SES endpoint (moto) and `boletia lab bootstrap`, with
#   pyproject.toml's core dependencies only (requirements-core.lock). Every lab container runs it.
# - jupyter: app plus the lab's notebook environment (requirements.lock: JupyterLab, papermill,
#   matplotlib, otter-grader), for the compose profile `jupyter`. It is a separate target so that
#   the image every container runs stays small: with the vfs storage driver the engine copies
#   an image's whole tree for each layer and each container.
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS app
RUN useradd --uid 10001 --create-home boletia && mkdir -p /lab && chown 10001 /lab
WORKDIR /app
# The pinned environment first (the lab's tested versions), then the package without resolving
# again. PIN_OVERRIDES ("name==version ...", empty for python:3.11-slim) replaces the pins that
# need a newer Python than the base image's: Debian bookworm's is 3.11.2.
COPY requirements-core.lock ./
ARG PIN_OVERRIDES=""
RUN for pin in $PIN_OVERRIDES; do sed -i "s/^${pin%%==*}==.*/$pin/" requirements-core.lock; done \
 && pip install --no-cache-dir -r requirements-core.lock
# What changes least first: a change to the code rebuilds only the last two layers.
COPY pyproject.toml README.md LICENSE ./
COPY connect connect
COPY lab-infra/__init__.py lab-infra/pom.xml lab-infra/compose.yaml lab-infra/
COPY lab-infra/templates lab-infra/templates
COPY boletia boletia
RUN pip install --no-cache-dir --no-deps . && rm -rf build boletia.egg-info
USER 10001
ENV BOLETIA_LAB_DIR=/lab PYTHONUNBUFFERED=1
EXPOSE 8070 8071 5005
CMD ["boletia-service", "--help"]

FROM app AS jupyter
USER 0
COPY requirements.lock ./
ARG PIN_OVERRIDES=""
RUN for pin in $PIN_OVERRIDES; do sed -i "s/^${pin%%==*}==.*/$pin/" requirements.lock; done \
 && pip install --no-cache-dir -r requirements.lock
# the lessons only here: editing one rebuilds no image the lab's containers run
COPY notebooks notebooks
USER 10001
EXPOSE 8888
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--no-browser", "--notebook-dir=/app/notebooks"]

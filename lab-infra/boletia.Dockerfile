# The boletia package: services, consumers, the SES endpoint (moto) and JupyterLab.
# Built from the repository root: docker build -f lab-infra/boletia.Dockerfile -t boletia:lab .
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY boletia boletia
# hadolint ignore=DL3013
RUN pip install --no-cache-dir '.[lab]'  # the versions are pyproject.toml's
COPY notebooks notebooks
COPY connect connect
RUN useradd --uid 10001 --create-home boletia && mkdir -p /lab && chown 10001 /lab
USER 10001
ENV BOLETIA_LAB_DIR=/lab PYTHONUNBUFFERED=1
EXPOSE 8070 8071 5005 8888
CMD ["boletia", "--help"]

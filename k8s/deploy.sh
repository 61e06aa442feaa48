#!/usr/bin/env bash
# What the seed's comandos.bat did, on kind: create the cluster, build and load the two images,
# apply the manifests, wait for everything. Needs docker, kind and kubectl.
# An ingress controller is needed for http://localhost/eventos and /reservas: install the
# ingress-nginx manifest for kind (INGRESS_NGINX_MANIFEST=<its path or address>), or use
# `kubectl port-forward -n boletia svc/reservas 8071`.
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=${CLUSTER:-boletia}

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed for the kind runtime" >&2; exit 1; }
done
kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --config k8s/kind-config.yaml
docker build -f connect/Dockerfile -t boletia-connect:lab .
docker build -f lab-infra/boletia.Dockerfile --target app -t boletia:lab .
kind load docker-image --name "$CLUSTER" boletia-connect:lab boletia:lab
if [ -n "${INGRESS_NGINX_MANIFEST:-}" ]; then
  kubectl apply -f "$INGRESS_NGINX_MANIFEST"
fi
kubectl apply -f k8s/namespaces.yaml
# the admin token: generated here once, kept in the cluster, never written to a file or printed
kubectl -n boletia get secret boletia-admin >/dev/null 2>&1 || \
  kubectl -n boletia create secret generic boletia-admin \
    --from-literal=token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
# the key each booking's secret is derived from (reservas and notificaciones only): the same way
kubectl -n boletia get secret boletia-booking >/dev/null 2>&1 || \
  kubectl -n boletia create secret generic boletia-booking \
    --from-literal=key="$(head -c 32 /dev/urandom | base64 | tr -d '/+=' )"
kubectl apply -k k8s/
kubectl -n kafka rollout status statefulset/kafka --timeout=600s
kubectl -n mongo rollout status statefulset/mongo --timeout=600s
kubectl -n mongo wait --for=condition=complete job/mongo-init --timeout=600s
kubectl -n kafka rollout status deployment/connect --timeout=600s
kubectl -n boletia wait --for=condition=complete job/bootstrap --timeout=900s
# every Deployment of boletia/lab/components.py (tests/unit/test_deploy_script.py keeps this list in step)
for d in ses eventos reservas inventario reembolsos notificaciones watchdog; do
  kubectl -n boletia rollout status "deployment/$d" --timeout=300s
done
echo "Boletia is up on kind. Admin token: boletia lab token --runtime kind (Secret boletia-admin)."

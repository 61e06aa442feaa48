"""The product's one entry point: `boletia-service <name>` runs one of Boletia's services or
consumers in the foreground. Every runtime starts them through it (the local runtime as
`python -m boletia.product <name>`, the image, compose and Kubernetes as `boletia-service`).

It imports no lab module, and only what the one component it runs needs (plain argparse; the
lab's CLI, `boletia`, is the lab's). A consumer's hooks (the lab's readiness mark and armed
faults) are plugged in by name: the setting BOLETIA_CONSUMER_HOOKS ("module:function") names a
factory called as `function(consumer, log=...)`; unset, the consumer runs with none and
nothing of the lab is imported.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# The product's runnable components; the lab's component list (boletia/lab/components.py)
# must agree (tests/unit/test_product.py).
SERVICES = ("eventos", "reservas")
CONSUMERS = ("inventario", "reembolsos", "notificaciones")


def parser() -> argparse.ArgumentParser:
    from boletia import __version__

    p = argparse.ArgumentParser(
        prog="boletia-service",
        description="Run one of Boletia's HTTP services or Kafka consumers in the foreground; "
                    "its settings come from the environment (BOLETIA_*).")
    p.add_argument("component", choices=(*SERVICES, *CONSUMERS),
                   help="the service (" + ", ".join(SERVICES) + ") or consumer ("
                        + ", ".join(CONSUMERS) + ") to run")
    p.add_argument("--host", default="127.0.0.1", help="a service's address (0.0.0.0 in a container)")
    p.add_argument("--port", type=int, help="a service's port (default 8070 / 8071)")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def load_hooks(spec: str, consumer: str, log):
    """The hooks named by `spec` ("module:function"), or None when `spec` is empty."""
    if not spec:
        return None
    module, sep, function = spec.partition(":")
    if not sep or not module or not function:
        raise SystemExit(f"BOLETIA_CONSUMER_HOOKS={spec!r}: expected module:function")
    return getattr(importlib.import_module(module), function)(consumer, log=log)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    from boletia import config

    try:
        s = config.settings()
    except config.SettingsError as exc:
        raise SystemExit(f"boletia-service: {exc}") from None
    if args.component in SERVICES:
        importlib.import_module(f"boletia.services.{args.component}").main(args.port, args.host)
        return
    if args.port is not None:
        parser().error(f"{args.component} is a consumer: it listens on no port")
    from boletia.consumers.runner import log

    hooks = load_hooks(s.consumer_hooks, args.component, log)
    importlib.import_module(f"boletia.consumers.{args.component}").main(hooks=hooks)


if __name__ == "__main__":
    sys.exit(main())

"""How the local runtime knows a component is up, by its `health` in the component list."""

from __future__ import annotations

import time

import requests

from boletia import config
from boletia.adapters import mongo
from boletia.lab import hooks
from boletia.lab.components import Component
from boletia.lab.runtimes.local.processes import ProcessHandle, listening_pids, port_open
from boletia.lab.runtimes.local.storage import LabFiles
from boletia.lab.setup import connectors


def healthy(comp: Component, s: config.Settings, files: LabFiles, handle: ProcessHandle) -> bool:
    if not all(port_open(p, s.host) for p in comp.ports(s.ports)):
        return False
    try:
        if comp.health == "ping":
            return mongo.ping(s)
        if comp.health == "http":
            url = (f"{s.ses_url}/moto-api/" if comp.kind == "ses"
                   else f"{getattr(s, f'{comp.name}_url')}/health")
            if comp.kind == "service" and handle.pid not in listening_pids(comp.ports(s.ports)[0]):
                return False  # the port answers, but by another replica of a scaled API
            return requests.get(url, timeout=2).ok
        if comp.health == "ready":
            return hooks.is_ready(files.root, comp.name, handle.pid)
        if comp.health == "alive":  # no port: alive and settled for a moment
            proc = handle.process()
            return proc is not None and time.time() - proc.create_time() > 1.0
        if comp.health == "plugins":
            r = connectors.rest().get(f"{s.connect_url}/connector-plugins", timeout=3)
            return r.ok and any("MongoSourceConnector" in p["class"] for p in r.json())
        return True
    except Exception:  # noqa: BLE001 - not healthy yet, whatever the reason
        return False


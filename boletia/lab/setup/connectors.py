"""Register the connectors in connect/<design>/*.json through Connect's REST API.

The same JSON files serve the docker and Kubernetes runtimes; only `${MONGO_URI}` differs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from string import Template
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from boletia import config, designs, resources
from boletia.lab.errors import LabError
from boletia.lab.setup import credentials

# SecantusDB answers a streamed heartbeat (awaitable `hello`) after the first with the
# `responseTo` of the request, not of its previous reply. The Java driver in the connector
# (4.7) takes that for a broken connection: it empties its pool, and the operation in flight,
# the source's getMore, is resumed once a new monitor has connected, about 0.5 s later. With
# the default 10 s heartbeat that was every 20 s per connector (the low-rate stalls of
# README "Measured here"). That driver cannot be told to poll instead (serverMonitoringMode
# came in 5.1); a heartbeat of an hour puts the second streamed reply two hours away. A
# server that is down or back is still seen at once: a failed operation asks for a check.
CONNECTOR_HEARTBEAT_MS = 3_600_000


def rest() -> requests.Session:
    """Every call to Connect's REST API goes through this: HTTP Basic as the lab's admin when
    the lab runs with credentials (Connect answers 401 to anyone else), nothing otherwise."""
    session = requests.Session()
    session.auth = config.connect_login(config.settings())
    return session


def connector_uri(mongo_uri: str, login: bool = False) -> str:
    """The lab's MongoDB URI for the connectors' Java driver (see CONNECTOR_HEARTBEAT_MS);
    a heartbeat the URI already sets is kept. `login`: as Connect's own MongoDB user, its
    password named, not written (`${env:...}`: the worker reads it from its environment)."""
    if not mongo_uri:
        return mongo_uri
    parts = urlsplit(mongo_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() == "heartbeatfrequencyms" for k, _ in query):
        query.append(("heartbeatFrequencyMS", str(CONNECTOR_HEARTBEAT_MS)))
    if login:
        parts = parts._replace(netloc=f"connect:{credentials.MONGO_PASSWORD_REF}@"
                               + parts.netloc.rsplit("@", 1)[-1])
        query = [(k, v) for k, v in query if k.lower() != "authsource"] + [("authSource", "admin")]
    return urlunsplit(parts._replace(path=parts.path or "/", query=urlencode(query, safe=",:")))


def settings_uri(settings: config.Settings) -> str:
    """The connectors' URI in a lab: with a MongoDB login when this process has one (a lab
    with credentials), Connect's own."""
    return connector_uri(settings.mongo_uri, login=config.mongo_login(settings) is not None)


def definitions(design: str, mongo_uri: str, login: bool = False) -> list[dict]:
    folder = resources.connect_dir() / designs.get(design).connectors
    files = sorted(folder.glob("*.json"))
    if not files:
        raise LabError(f"no connector files in {folder} for design {design!r}")
    uri = connector_uri(mongo_uri, login)
    return [json.loads(Template(Path(f).read_text()).safe_substitute(MONGO_URI=uri))
            for f in files]


def register(settings: config.Settings, design: str | None = None,
             timeout: float = 90.0) -> list[str]:
    """PUT each connector's config (idempotent), remove connectors the design does not have
    (switching designs), and wait until each connector and its tasks run."""
    url = settings.connect_url
    specs = definitions(design or settings.design, settings.mongo_uri,
                        login=config.mongo_login(settings) is not None)
    wanted_names = {spec["name"] for spec in specs}
    for name in rest().get(f"{url}/connectors", timeout=10).json():
        if name not in wanted_names:
            rest().delete(f"{url}/connectors/{name}", timeout=30).raise_for_status()
    names = []
    for spec in specs:
        name = spec["name"]
        current = rest().get(f"{url}/connectors/{name}/config", timeout=10)
        wanted = {**spec["config"], "name": name}
        if not (current.ok and current.json() == wanted):
            r = rest().put(f"{url}/connectors/{name}/config", json=spec["config"], timeout=30)
            if not r.ok:
                raise LabError(f"Connect refused connector {name}: {r.status_code} {r.text}")
        status = state(url, name)
        if _failed(status):
            # a failed task stays failed until asked: restart it (and only what failed)
            rest().post(f"{url}/connectors/{name}/restart",
                          params={"includeTasks": "true", "onlyFailed": "true"}, timeout=30)
        if status.get("connector", {}).get("state") in ("STOPPED", "PAUSED"):
            resume(url, name)  # left stopped by an experiment that did not finish
        wait_running(url, name, timeout)
        names.append(name)
    return names


def state(url: str, name: str) -> dict:
    r = rest().get(f"{url}/connectors/{name}/status", timeout=10)
    return r.json() if r.ok else {}


def _failed(status: dict) -> list[dict]:
    parts = [status.get("connector", {}), *status.get("tasks", [])]
    return [p for p in parts if p.get("state") == "FAILED"]


def wait_running(url: str, name: str, timeout: float = 90.0, grace: float = 10.0,
                 unseen: float = 15.0) -> None:
    """Wait for RUNNING; a FAILED state that lasts past `grace` seconds (a restart reports
    the old state for a moment) is an error with the task's stack trace. A connector that
    exists but whose status has been missing, or UNASSIGNED, for `unseen` seconds in a row
    is restarted once: its status records were lost, and a restart writes them again. Seen
    twice: its task running and `/status` a 404 for a minute, after the worker's status
    producer was refused by a broker that had just lost the partition's leadership; and (a CI
    run) the connector UNASSIGNED beside its RUNNING task for the whole 90 s, three lessons
    in a row."""
    begun = time.monotonic()
    deadline = begun + timeout
    last: dict = {}
    restarted = False
    stuck_since: float | None = None
    asked_at: float | None = None   # the last restart Connect could not act on (asked again later)
    while time.monotonic() < deadline:
        last = state(url, name)
        now = time.monotonic()
        failed = _failed(last)
        if failed and now - begun > grace:
            raise LabError(f"connector {name} FAILED:\n{failed[0].get('trace', '')[:2000]}")
        if _all_in(last, "RUNNING"):
            return
        if _unassigned(last):
            stuck_since = now if stuck_since is None else stuck_since
        else:
            stuck_since = None
        if (stuck_since is not None and not restarted and now - stuck_since >= unseen
                and (asked_at is None or now - asked_at >= min(unseen, 5.0)) and exists(url, name)):
            restarted, asked_at = restart(url, name), now
        time.sleep(0.5)
    raise LabError(f"connector {name} not RUNNING after {timeout:.0f}s: "
                   f"{last or 'Connect has no status for it'}"
                   + (" (restarted once when its status stayed missing or UNASSIGNED)"
                      if restarted else ""))


def _unassigned(status: dict) -> bool:
    """No status at all, or a part no worker has reported starting."""
    parts = [status.get("connector", {}), *status.get("tasks", [])] if status else []
    return not status or any(p.get("state") == "UNASSIGNED" for p in parts)


def exists(url: str, name: str) -> bool:
    return rest().get(f"{url}/connectors/{name}", timeout=10).ok


def restart(url: str, name: str) -> bool:
    """The connector and its tasks restarted (each writes its status again). Connect builds a
    restart of the tasks from the connector's status: with none recorded it answers 404 (seen in
    a CI run, on a check connector just created), and then the connector alone is restarted, which
    writes its status. False when Connect could not act on it now (409: the workers are
    rebalancing; 404 again): it should be asked again."""
    r = rest().post(f"{url}/connectors/{name}/restart", params={"includeTasks": "true"}, timeout=30)
    if r.status_code == 404:
        r = rest().post(f"{url}/connectors/{name}/restart", params={}, timeout=30)
    if r.status_code in (404, 409):
        return False
    r.raise_for_status()
    return True


def stop(url: str, name: str, timeout: float = 30.0) -> None:
    """Stop a connector (its tasks shut down, its config and offsets stay)."""
    rest().put(f"{url}/connectors/{name}/stop", timeout=30).raise_for_status()
    deadline = time.monotonic() + timeout
    while state(url, name).get("connector", {}).get("state") != "STOPPED":
        if time.monotonic() > deadline:
            raise LabError(f"connector {name} did not stop in {timeout:.0f}s")
        time.sleep(0.3)


def forget_offsets(url: str, name: str, timeout: float = 90.0) -> None:
    """Delete a STOPPED connector's offsets (KIP-875): a source starts again from the
    change stream's current position, a sink re-reads its topics from the beginning.

    A sink's offsets live in its consumer group, which Kafka refuses to reset while it has
    members. After a killed worker its dead consumer stays a member until its session times
    out (10 s in this lab's workers, 45 s by Kafka's default): Connect answers 500 "can be
    safely retried", so we retry."""
    deadline = time.monotonic() + timeout
    while True:
        r = rest().delete(f"{url}/connectors/{name}/offsets", timeout=30)
        if r.ok:
            return
        message = _message(r)
        if "safely retried" not in message or time.monotonic() > deadline:
            raise LabError(f"Connect refused to reset the offsets of {name} "
                           f"({r.status_code}): {message}")
        time.sleep(2)


def _message(r: requests.Response) -> str:
    try:
        return str(r.json().get("message", r.text))
    except ValueError:
        return r.text


def resume(url: str, name: str) -> None:
    rest().put(f"{url}/connectors/{name}/resume", timeout=30).raise_for_status()


def pause(url: str, name: str, timeout: float = 30.0) -> None:
    """Pause a connector: its tasks stop polling (a source falls behind its change stream)
    until `resume`; nothing is lost or re-read."""
    rest().put(f"{url}/connectors/{name}/pause", timeout=30).raise_for_status()
    deadline = time.monotonic() + timeout
    while not _all_in(state(url, name), "PAUSED"):
        if time.monotonic() > deadline:
            raise LabError(f"connector {name} did not pause in {timeout:.0f}s: {state(url, name)}")
        time.sleep(0.2)


def statuses(url: str) -> dict[str, dict]:
    """Every connector's status, with the worker that runs it and each of its tasks
    (`groups.worker_holdings` reads who holds what)."""
    r = rest().get(f"{url}/connectors", params={"expand": "status"}, timeout=10)
    r.raise_for_status()
    return r.json()


def holdings(url: str) -> tuple[dict[str, list[str]], bool]:
    """Which worker runs each connector and task (worker id -> names), and whether every one
    is RUNNING; ({}, False) while Connect cannot say (a worker between rebalances, or starting)."""
    from boletia.lab import groups

    try:
        found = statuses(url)
    except Exception:  # noqa: BLE001 - not answering for now: not settled
        return {}, False
    return groups.worker_holdings(found), all(all_running(v["status"]) for v in found.values())


def all_running(status: dict) -> bool:
    return _all_in(status, "RUNNING")


def _all_in(status: dict, wanted: str) -> bool:
    tasks = status.get("tasks", [])
    return (status.get("connector", {}).get("state") == wanted and bool(tasks)
            and all(t.get("state") == wanted for t in tasks))


def publisher(design: str, collection: str) -> str:
    """The source connector that publishes `collection`'s changes in `design`."""
    for spec in definitions(design, ""):
        cfg = spec["config"]
        if "Source" in cfg["connector.class"] and f'"{collection}"' in cfg.get("pipeline", ""):
            return spec["name"]
    raise LabError(f"no source connector publishes {collection} in connect/{design}/")


def replay(url: str, name: str) -> None:
    """Stop, forget offsets, resume: a sink replays its topics (as after a restart that
    lost its commits). Returns once the connector and its tasks run again."""
    stop(url, name)
    try:
        forget_offsets(url, name)
    finally:
        resume(url, name)
    wait_running(url, name)


def names(url: str, kind: str | None = None) -> list[str]:
    """Registered connectors, optionally only `source` or `sink` ones."""
    r = rest().get(f"{url}/connectors", params={"expand": "info"}, timeout=10)
    r.raise_for_status()
    return [n for n, v in r.json().items() if kind is None or v["info"]["type"] == kind]

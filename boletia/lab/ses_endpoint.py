"""The lab's SES endpoint: a moto server, plus a read-back whose cost follows the question.

moto's own read-back (`/moto-api/data.json`) returns every email it ever accepted, so a check
that used it grew slower with every email the lab had sent (issue 30). This process is moto
itself (same app, same port, same SES API) with a few lab-only routes under `/boletia-api/`:

- `GET  /boletia-api/sent?evento=A&evento=B`: only the emails that name those events (the
  checker's scope), from an index by event kept as emails arrive (each email is parsed once);
- `DELETE /boletia-api/sent/<MessageId>`: forget one email, as if it had been lost behind the
  checker's back (the checker's own tests use it: the verdict must then be violated);
- `POST /boletia-api/seed {"count": n, "evento": name}`: append n notification-shaped emails
  of an old event in one request (the cost benchmark's "lab that has lived").

A real SES has no read-back at all: all of this is the lab's, never the product's.

Closed as the lab's other HTTP components are (issue 28): no CORS (moto answers `*` by default,
so any page a student opened could read every email, wipe the endpoint or forge sends), and a
request naming a host other than the endpoint's own names (a DNS-rebinding page) is refused.
"""

from __future__ import annotations

import argparse
import json
import threading
import uuid
from collections import defaultdict
from typing import Any

from boletia.domain import decisions

PREFIX = "/boletia-api/"


class Index:
    """Emails by the event they name, over every SES backend moto created. Incremental: each
    query indexes only the emails accepted since the previous one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, tuple[Any, int]] = {}   # id(backend) -> (backend, emails indexed)
        self._by_event: dict[str, list[Any]] = defaultdict(list)

    @staticmethod
    def _backends() -> list[Any]:
        from moto.ses import ses_backends

        # dict.values: only the backends that exist (BackendDict would create every region)
        return [b for account in dict.values(ses_backends) for b in dict.values(account)]

    def _refresh(self) -> None:
        backends = self._backends()
        known = {id(b) for b in backends}
        if any(key not in known for key in self._seen) or any(
                len(b.sent_messages) < self._seen.get(id(b), (b, 0))[1] for b in backends):
            self._seen.clear()              # a moto reset: index again from nothing
            self._by_event.clear()
        for b in backends:
            start = self._seen.get(id(b), (b, 0))[1]
            messages = b.sent_messages
            for m in messages[start:]:
                info = decisions.read_notification(getattr(m, "subject", ""), getattr(m, "body", ""))
                if info is not None:
                    self._by_event[info["evento"]].append(m)
            self._seen[id(b)] = (b, len(messages))

    def about(self, events: list[str]) -> dict:
        with self._lock:
            self._refresh()
            found = [m for e in dict.fromkeys(events) for m in self._by_event.get(e, ())]
            total = sum(n for _, n in self._seen.values())
        return {"messages": [as_dict(m) for m in found], "total": total}

    def delete(self, message_id: str) -> bool:
        with self._lock:
            self._refresh()
            for b in self._backends():
                for i, m in enumerate(b.sent_messages):
                    if getattr(m, "id", None) == message_id:
                        del b.sent_messages[i]
                        backend, n = self._seen[id(b)]
                        self._seen[id(b)] = (backend, n - 1)
                        for listed in self._by_event.values():
                            if m in listed:
                                listed.remove(m)
                        return True
        return False

    def seed(self, count: int, evento: str, region: str) -> int:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses import ses_backends
        from moto.ses.models import Message

        with self._lock:
            used = [b for b in self._backends() if b.sent_messages]
            backend = used[0] if used else ses_backends[DEFAULT_ACCOUNT_ID][region]
            for _ in range(count):
                rid = uuid.uuid4().hex[:24]
                mail = decisions.notification({"_id": rid, "evento": evento, "cantidad": 1,
                                               "estado": "A", "email": f"{rid}@historia.example"})
                backend.sent_messages.append(Message(
                    f"seed-{rid}", "boletia@boletia.example", mail.subject, mail.body,
                    {"ToAddresses": [mail.to]}))
            return len(backend.sent_messages)


def as_dict(m: Any) -> dict:
    """One email as `ses.sent_messages` returns it."""
    return {"id": m.id, "to": (m.destinations or {}).get("ToAddresses", []),
            "subject": m.subject, "body": m.body, "source": m.source}


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def host_names(ses_url: str, bind: str) -> set[str]:
    """The names this endpoint answers to: loopback, the host it is bound to, and the name the
    lab's components reach it by (`ses` in compose, `ses.boletia.svc...` on Kubernetes)."""
    from urllib.parse import urlsplit

    names = set(LOOPBACK_NAMES)
    for name in (urlsplit(ses_url).hostname, bind):
        if name and name not in ("0.0.0.0", "::"):
            names |= {name.lower(), name.lower().split(".")[0]}
    return names


def named_host(environ) -> str:
    """The host name a request names (`Host:` without its port; an IPv6 literal unbracketed)."""
    host = (environ.get("HTTP_HOST") or "").lower()
    if host.startswith("["):
        return host[1:host.find("]")]
    return host.split(":", 1)[0]


def answers_to(hosts: set[str], name: str) -> bool:
    """A known name, or a shorter form of one (`ses.boletia` for `ses.boletia.svc.cluster.local`)."""
    return name in hosts or any(h.startswith(name + ".") for h in hosts if name)


class Middleware:
    """Answers `/boletia-api/...`; hands everything else to moto; refuses foreign hosts."""

    def __init__(self, app, region: str, hosts: set[str] | None = None) -> None:
        self.app, self.region, self.index, self.hosts = app, region, Index(), hosts

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if self.hosts is not None and not answers_to(self.hosts, named_host(environ)):
            from werkzeug.wrappers import Response

            said = {"error": f"this SES endpoint answers to {sorted(self.hosts)} only, not "
                             f"{named_host(environ)!r}: reach it by one of those names"}
            return Response(json.dumps(said), status=421,
                            mimetype="application/json")(environ, start_response)
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        from werkzeug.wrappers import Request, Response

        req = Request(environ)
        route = path[len(PREFIX):]
        if route == "sent" and req.method == "GET":
            answer, status = self.index.about(req.args.getlist("evento")), 200
        elif route.startswith("sent/") and req.method == "DELETE":
            gone = self.index.delete(route[len("sent/"):])
            answer, status = ({"deleted": True}, 200) if gone else (
                {"error": f"no email with MessageId {route[5:]!r}"}, 404)
        elif route == "seed" and req.method == "POST":
            body = req.get_json(silent=True) or {}
            count, evento = body.get("count"), body.get("evento")
            if not isinstance(count, int) or not 0 < count <= 100_000 or not evento:
                answer, status = {"error": "seed needs {count: 1..100000, evento: name}"}, 400
            else:
                answer = {"total": self.index.seed(count, str(evento), self.region)}
                status = 200
        else:
            answer, status = {"error": f"no route {req.method} {path}; see "
                                       "boletia/lab/ses_endpoint.py"}, 404
        return Response(json.dumps(answer), status=status,
                        mimetype="application/json")(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    """`python -m boletia.lab.ses_endpoint -H host -p port`: moto's server, same options."""
    import os

    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"  # read by moto.settings when first imported
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    region = os.environ.get("BOLETIA_AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    hosts = host_names(os.environ.get("BOLETIA_SES_URL", ""), args.host)
    app = Middleware(DomainDispatcherApplication(create_backend_app), region, hosts)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

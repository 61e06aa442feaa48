"""SES through boto3, against the lab's SES-protocol endpoint (a moto server locally).

Failures are classified here, at the boundary, by what boto3 raised:

- `Refused`: SES answered that this message can never be sent (a bad address, a rejected
  message). Permanent: the consumer dead-letters it and moves on. Not sent.
- `Unreachable`: the request never reached SES (connection refused or timed out), or SES
  answered an error of its own (5xx, throttling). Transient: retried. Not sent.
- `Uncertain`: the request went out and no answer came back (read timeout, connection cut).
  Transient: retried, and SES may have sent it: the one case a duplicate email is possible.
"""

from __future__ import annotations

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from boletia import config
from boletia.adapters.errors import PermanentFailure

# The codes that name something wrong with this one message; any other error (throttling,
# credentials, a server fault) is not the message's fault and is retried.
REFUSED_CODES = {"InvalidParameterValue", "MessageRejected"}


class Refused(PermanentFailure):
    """SES will never send this message."""


class Unreachable(Exception):
    """SES did not take the request; retry later. Nothing was sent."""


class Uncertain(Exception):
    """The request went out and no answer came back: SES may or may not have sent it."""


class Mailer:
    def __init__(self, settings: config.Settings | None = None):
        self.settings = settings or config.settings()
        self.client = boto3.client(
            "ses", endpoint_url=self.settings.ses_url, region_name=self.settings.aws_region,
            # one attempt per call: the consumer retries, and counts each attempt in its ledger
            # (a retry hidden inside boto3 would be a duplicate nobody could explain)
            config=Config(connect_timeout=2, read_timeout=5,
                          retries={"mode": "standard", "total_max_attempts": 1}))
        self._verified = False

    def _verify_sender(self) -> None:
        # SES only sends from verified identities; the lab verifies its own sender (again
        # after an SES restart, which forgets identities).
        self.client.verify_email_identity(EmailAddress=self.settings.sender)
        self._verified = True

    def send(self, to: str, subject: str, body: str) -> str:
        """Send one email; returns SES's MessageId, or raises Refused/Unreachable/Uncertain."""
        try:
            if not self._verified:
                self._verify_sender()
            try:
                return self._send(to, subject, body)
            except ClientError as exc:
                if "not verified" in str(exc) and self.settings.sender in str(exc):
                    self._verify_sender()
                    return self._send(to, subject, body)
                raise
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in REFUSED_CODES and status < 500:
                raise Refused(f"SES refused the email to {to!r}: {code}: "
                              f"{exc.response['Error'].get('Message', '')}") from None
            raise Unreachable(f"SES answered {status} {code}: {exc}") from None
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise Unreachable(f"SES at {self.settings.ses_url} did not answer: {exc}") from None
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise Uncertain(f"SES took the request and gave no answer: {exc}") from None
        except BotoCoreError as exc:  # no credentials, a bad endpoint: not the message's fault
            raise Unreachable(f"SES could not be called: {exc}") from None

    def _send(self, to: str, subject: str, body: str) -> str:
        answer = self.client.send_email(
            Source=self.settings.sender, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}})
        message_id = answer.get("MessageId")
        if not message_id:
            raise Uncertain(f"SES answered without a MessageId: {answer}")
        return message_id


def sent_messages(settings: config.Settings | None = None) -> list[dict]:
    """Every email the endpoint accepted, read back through moto's inspection API
    (`/moto-api/data.json`; a real SES has no such read-back, so this is lab-only)."""
    s = settings or config.settings()
    r = requests.get(f"{s.ses_url}/moto-api/data.json", timeout=10)
    r.raise_for_status()
    out = []
    for m in r.json().get("ses", {}).get("Message", []):
        out.append({"id": m.get("id"), "to": (m.get("destinations") or {}).get("ToAddresses", []),
                    "subject": m.get("subject"), "body": m.get("body"), "source": m.get("source")})
    return out


def sent_about(events: list[str], settings: config.Settings | None = None) -> list[dict]:
    """The emails that name one of `events`, in the order SES took them: what a check of a run
    reads (the lab's endpoint keeps them indexed by event, boletia/lab/ses_endpoint.py), so
    its cost follows the run and not every email the lab ever sent."""
    s = settings or config.settings()
    names, out = list(dict.fromkeys(events)), []
    for i in range(0, len(names), 100):  # a bounded URL per request, however many events
        r = requests.get(f"{s.ses_url}/boletia-api/sent", params={"evento": names[i:i + 100]},
                         timeout=30)
        r.raise_for_status()
        out.extend(r.json()["messages"])
    return out


def forget(message_id: str, settings: config.Settings | None = None) -> None:
    """Delete one accepted email from the lab's endpoint: a loss behind the checker's back,
    for the checker's own tests (lab-only)."""
    s = settings or config.settings()
    r = requests.delete(f"{s.ses_url}/boletia-api/sent/{message_id}", timeout=10)
    r.raise_for_status()


def seed_history(count: int, evento: str, settings: config.Settings | None = None) -> int:
    """Append `count` emails of an old event straight into the lab's endpoint (a lab that has
    lived, for benchmarks/check_cost.py); returns how many it holds."""
    s = settings or config.settings()
    r = requests.post(f"{s.ses_url}/boletia-api/seed", json={"count": count, "evento": evento},
                      timeout=120)
    r.raise_for_status()
    return r.json()["total"]

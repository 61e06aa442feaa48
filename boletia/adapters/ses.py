"""SES through boto3, against the lab's SES-protocol endpoint (a moto server locally)."""

from __future__ import annotations

import boto3
import requests

from boletia import config


class Mailer:
    def __init__(self, settings: config.Settings | None = None):
        self.settings = settings or config.settings()
        self.client = boto3.client("ses", endpoint_url=self.settings.ses_url,
                                   region_name=self.settings.aws_region)
        self._verified = False

    def send(self, to: str, subject: str, body: str) -> str:
        """Send one email; returns SES's MessageId."""
        if not self._verified:
            # SES only sends from verified identities; the lab verifies its own sender.
            self.client.verify_email_identity(EmailAddress=self.settings.sender)
            self._verified = True
        answer = self.client.send_email(
            Source=self.settings.sender, Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}})
        return answer["MessageId"]


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

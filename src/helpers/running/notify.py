"""Tell someone: a webhook or an e-mail when a parameter set fails, and when it recovers after a failure.

Targets are given as ``--notify URL`` (repeatable) or ``notify = [...]`` in the project's ``itvalue.toml``:

- ``https://…`` (or ``http://…``): a POST of one JSON object per event. Its ``text`` field is the sentence
  (what Slack, Mattermost, Microsoft Teams and Google Chat incoming webhooks show; ``content`` carries the same
  for Discord); the other fields are for machines: ``set``, ``status`` (``failed`` or ``recovered``), ``cause``,
  ``sentence``, ``report``, ``rerun``, ``finished``.
- ``mailto:ops@example.com`` (several addresses separated by commas): one message per event through the SMTP
  server named by ``ITVALUE_SMTP_HOST`` (``ITVALUE_SMTP_PORT`` 25 by default; ``ITVALUE_SMTP_STARTTLS=1``;
  ``ITVALUE_SMTP_USER`` and ``ITVALUE_SMTP_PASSWORD`` to log in; ``ITVALUE_SMTP_FROM``, by default
  ``itvalue@`` this host's name).

A notification never makes a run fail: a target that cannot be reached is one line on stderr, and the run's
exit status is the run's own.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import unquote, urlsplit

from helpers.exceptions import ParameterError

__all__ = ["Event", "check_targets", "send"]

#: Seconds to wait for a webhook or mail server: a scheduled job must not hang on a notification.
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Event:
    """A set that failed, or recovered after a failure."""

    set: str
    status: str
    cause: str
    sentence: str
    report: str
    rerun: str
    finished: str

    @property
    def text(self) -> str:
        """The one-line message a person reads."""
        if self.status == "recovered":
            return f"itvalue: {self.set} ran again without error; its report: {self.report}"
        return f"itvalue: {self.set} failed. {self.sentence}"


def check_targets(targets: Sequence[str]) -> list[str]:
    """The targets, checked before any run: an unusable one is a ParameterError (one sentence, exit 2)."""
    for target in targets:
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and parts.netloc:
            continue
        if parts.scheme == "mailto" and parts.path:
            if not os.environ.get("ITVALUE_SMTP_HOST"):
                raise ParameterError(
                    f"--notify {target} sends e-mail, but ITVALUE_SMTP_HOST names no mail server; set it (and "
                    "ITVALUE_SMTP_PORT, ITVALUE_SMTP_USER, ITVALUE_SMTP_PASSWORD as the server needs)."
                )
            continue
        raise ParameterError(
            f"--notify takes a webhook address (https://...) or mailto:address; got {target[:100]!r}."
        )
    return list(targets)


def send(
    targets: Iterable[str], events: Iterable[Event], *, warn: Callable[[str], None] | None = None
) -> int:
    """Send each event to each target; returns how many deliveries failed (each said once through ``warn``)."""
    warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
    failures = 0
    events = list(events)
    for target in targets:
        for event in events:
            try:
                if target.startswith("mailto:"):
                    _mail(target, event)
                else:
                    _post(target, event)
            except Exception as exc:  # noqa: BLE001 - a notification never makes a run fail
                failures += 1
                warn(f"itvalue: could not notify {_shown(target)} of {event.set} ({type(exc).__name__}: {exc}).")
    return failures


def _shown(target: str) -> str:
    """A target as a log may show it: a webhook's path often is its secret, so only scheme and host."""
    parts = urlsplit(target)
    return target if parts.scheme == "mailto" else f"{parts.scheme}://{parts.hostname}/…"


def _post(url: str, event: Event) -> None:
    import urllib.request

    body = {"text": event.text, "content": event.text, **asdict(event)}
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the user's own URL
        response.read()


def _mail(target: str, event: Event) -> None:
    import smtplib
    from email.message import EmailMessage

    recipients = [unquote(address).strip() for address in urlsplit(target).path.split(",") if address.strip()]
    message = EmailMessage()
    message["Subject"] = f"itvalue: {event.set} {event.status}"
    message["From"] = os.environ.get("ITVALUE_SMTP_FROM") or f"itvalue@{socket.getfqdn()}"
    message["To"] = ", ".join(recipients)
    lines = [event.text, "", f"Report: {event.report}"]
    if event.status == "failed":
        lines.append(f"Run it again: {event.rerun}")
    message.set_content("\n".join(lines) + "\n")
    host, port = os.environ["ITVALUE_SMTP_HOST"], int(os.environ.get("ITVALUE_SMTP_PORT", "25"))
    with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as server:
        if os.environ.get("ITVALUE_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
            server.starttls()
        user = os.environ.get("ITVALUE_SMTP_USER")
        if user:
            server.login(user, os.environ.get("ITVALUE_SMTP_PASSWORD", ""))
        server.send_message(message)

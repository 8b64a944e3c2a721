"""Outgoing mail. The service only ever talks to a Mailer, which tests replace."""
import logging
from dataclasses import dataclass, field

log = logging.getLogger("forge.mail")


@dataclass
class Message:
    to: str
    subject: str
    body: str


@dataclass
class Outbox:
    """The mailer the service uses when no real one is configured: it keeps what it sends."""

    sent: list[Message] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append(Message(to, subject, body))
        log.info("mail to %s: %s", to, subject)

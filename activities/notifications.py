"""Reminders and escalations delivered as e-mail messages into a Maildir outbox (the embedded default).

Each message is addressed to a role's mailbox and says only the case reference, the deadline and what is owed:
no personal data leaves the encrypted case state this way. Delivery is idempotent: the message file is named by
the alert's key, so a retried or replayed activity never puts a second copy in the outbox.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import structlog
from temporalio import activity

from domain.deadlines import Alert, AlertKind
from domain.roles import Role

log = structlog.get_logger(__name__)

_SUBJECTS = {
    AlertKind.REMINDER: "Reminder: {what} for case {ref} is due {due}",
    AlertKind.ESCALATION: "ESCALATION: {what} for case {ref} was due {due} and is overdue",
}


def role_address(role: Role, mail_domain: str) -> str:
    return f"{role.value.replace('_', '-')}@{mail_domain}"


def _message(alert: Alert, mail_domain: str) -> EmailMessage:
    what = alert.obligation_kind.value.replace("_", " ")
    due = alert.due_at.strftime("%Y-%m-%d %H:%M UTC")
    msg = EmailMessage()
    msg["From"] = f"nrmflow@{mail_domain}"
    msg["To"] = ", ".join(role_address(r, mail_domain) for r in alert.recipients)
    msg["Subject"] = _SUBJECTS[alert.kind].format(what=what, ref=alert.reference, due=due)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=alert.key.replace("/", "."), domain=mail_domain)
    msg["X-NRM-Case"] = alert.reference
    msg["X-NRM-Alert"] = alert.key
    msg["X-NRM-Kind"] = alert.kind.value
    msg.set_content(
        f"Case {alert.reference}: the {what} is due {due}.\n"
        + ("It has not been recorded yet.\n" if alert.kind is AlertKind.REMINDER
           else "The deadline has passed. This breach is recorded in the case history.\n")
        + "Open the case with: nrm case show " + alert.reference + "\n"
    )
    return msg


class MaildirOutbox:
    """Writes each alert once into `<root>/new/` following the Maildir tmp-then-rename protocol."""

    def __init__(self, root: Path, mail_domain: str) -> None:
        self.root = root
        self.mail_domain = mail_domain

    def deliver(self, alert: Alert) -> Path:
        name = alert.key.replace("/", "_") + f".{socket.gethostname()}"
        for folder in ("new", "cur", "tmp"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        target = self.root / "new" / name
        if target.exists() or any((self.root / "cur").glob(name + "*")):
            return target
        tmp = self.root / "tmp" / f"{name}.{os.getpid()}"
        tmp.write_bytes(bytes(_message(alert, self.mail_domain)))
        os.replace(tmp, target)
        return target


class NotificationActivities:
    def __init__(self, outbox: MaildirOutbox) -> None:
        self.outbox = outbox

    @activity.defn(name="send_alert")
    async def send_alert(self, alert: Alert) -> str:
        info = activity.info()
        path = self.outbox.deliver(alert)
        log.info("alert delivered", case=alert.reference, alert=alert.key, kind=alert.kind.value,
                 activity_id=info.activity_id, workflow_id=info.workflow_id, attempt=info.attempt)
        return path.name

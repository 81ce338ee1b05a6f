"""Notification activities: render a reminder, escalation, letter, assessment request or digest from its
template and deliver it through the configured channel (activities.channels).

Never twice: each message has a key stable across retries and replays. Channels carry it (Maildir file name,
Message-ID, Idempotency-Key), so a receiver can drop a copy. The moment the receiver accepts a message (SMTP 250
after DATA; HTTP 2xx; the Maildir rename) the activity records the key as its heartbeat detail and completes at
once (no SMTP QUIT): the completion is the record that the message went out. While it waits for the receiver it
heartbeats, so that a worker killed mid-delivery is noticed within the heartbeat timeout and another worker
retries within seconds. What no engine can close is the time between the receiver's acceptance and the
completion reaching the server (a round trip), and a receiver that stores a message but answers late: a worker
killed then sends once more, with the same key (README "Reliability" states the measured window).

A permanent refusal (SMTP 5xx, webhook 4xx) raises a non-retryable ApplicationError of type PERMANENT_FAILURE,
which the case records and escalates. Logs name the case, the key and the kind, never an address or content.

Metrics (through the activity metric meter, plumbing.telemetry): `nrm_messages_sent{channel,kind}` per message
accepted by its receiver, `nrm_messages_failed{channel,kind,failure}` per failed attempt (`permanent` or
`transient`: the latter is retried). Labels are the channel's name and the message's kind, never an address.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import structlog
from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError

from activities.channels import Channel, OutgoingMessage, PermanentDeliveryError
from activities.templates import render
from domain.deadlines import Alert
from domain.notices import AssessmentNeeded, Notice, Recipients
from domain.roles import Role

log = structlog.get_logger(__name__)

PERMANENT_FAILURE = "PermanentDeliveryFailure"


def role_address(role: Role, mail_domain: str, overrides: Mapping[str, str] | None = None) -> str:
    """A role's mailbox: NRM_ROLE_ADDRESSES if it names one, else e.g. `support-provider@<mail domain>`."""
    return (overrides or {}).get(role.value) or f"{role.value.replace('_', '-')}@{mail_domain}"


class NotificationActivities:
    def __init__(
        self,
        channel: Channel,
        *,
        mail_domain: str,
        role_addresses: Mapping[str, str] | None = None,
        staff_language: str = "en",
        assessment_channel: Channel | None = None,
    ) -> None:
        self.channel = channel
        self.assessment_channel = assessment_channel or channel
        self.mail_domain = mail_domain
        self.role_addresses = dict(role_addresses or {})
        self.staff_language = staff_language

    def _addresses(self, roles: Sequence[Role], addresses: Sequence[str] = ()) -> list[str]:
        return list(
            dict.fromkeys([*(role_address(r, self.mail_domain, self.role_addresses) for r in roles), *addresses])
        )

    @activity.defn(name="send_alert")
    async def send_alert(self, alert: Alert) -> str:
        """A reminder before a deadline or an escalation after it, to the roles concerned."""
        rendered = render(alert.kind.value, self.staff_language, alert.model_dump(mode="json"))
        return await self._deliver(
            self.channel,
            OutgoingMessage(
                key=alert.key,
                kind=alert.kind.value,
                reference=alert.reference,
                to=self._addresses(alert.recipients),
                subject=rendered.subject,
                body=rendered.body,
                language=rendered.language,
                data=alert.model_dump(mode="json"),
            ),
        )

    @activity.defn(name="send_notice")
    async def send_notice(self, notice: Notice) -> str:
        """A decision letter (in the person's or guardian's language), a delivery failure or the digest."""
        language = getattr(notice, "language", self.staff_language)
        return await self._deliver(self.channel, self._message(notice, language, notice.recipients))

    @activity.defn(name="request_assessment")
    async def request_assessment(self, needed: AssessmentNeeded) -> str:
        """Ask the assessor for an assessment, through the assessment channel (e.g. a case-management
        system's webhook); the result comes back by the case's `assess` update."""
        return await self._deliver(
            self.assessment_channel, self._message(needed, self.staff_language, needed.recipients)
        )

    def _message(self, notice: Notice, language: str, recipients: Recipients) -> OutgoingMessage:
        data = notice.model_dump(mode="json")
        rendered = render(notice.template, language, data)
        return OutgoingMessage(
            key=notice.key,
            kind=notice.template,
            reference=notice.reference,
            to=self._addresses(recipients.roles, recipients.addresses),
            subject=rendered.subject,
            body=rendered.body,
            language=rendered.language,
            data=data,
        )

    async def _deliver(self, channel: Channel, message: OutgoingMessage) -> str:
        info = activity.info()
        fields = {
            "case": message.reference,
            "key": message.key,
            "kind": message.kind,
            "channel": channel.name,
            "attempt": info.attempt,
            "workflow_id": info.workflow_id,
            "activity_id": info.activity_id,
        }
        if message.key in info.heartbeat_details:
            log.info("already delivered by an earlier attempt", **fields)
            return "already delivered"
        alive = asyncio.create_task(_heartbeat_while_delivering())

        def accepted() -> None:
            alive.cancel()  # before the key: a later beat without it would erase the record
            activity.heartbeat(message.key)

        labels = {"channel": channel.name, "kind": message.kind}
        meter = activity.metric_meter()
        try:
            receipt = await channel.deliver(message, accepted)
        except PermanentDeliveryError as exc:
            log.warning("delivery refused for good", reason=str(exc), **fields)
            _failed(meter, labels, "permanent")
            raise ApplicationError(str(exc), type=PERMANENT_FAILURE, non_retryable=True) from None
        except Exception:
            _failed(meter, labels, "transient")
            raise
        finally:
            alive.cancel()
        meter.create_counter("nrm_messages_sent", "messages accepted by their receiver").add(1, labels)
        log.info("delivered", **fields)
        return receipt


def _failed(meter: MetricMeter, labels: dict[str, str], failure: str) -> None:
    counter = meter.create_counter("nrm_messages_failed", "delivery attempts that failed (transient ones are retried)")
    counter.add(1, {**labels, "failure": failure})


HEARTBEAT_EVERY = 2.0  # seconds; well inside the delivery activities' heartbeat timeout (workflows.delivery)


async def _heartbeat_while_delivering() -> None:
    """Beats only once a delivery is slow: the SDK sends a first heartbeat at once and throttles the next ones, so
    in a delivery that is quick the key recorded at acceptance is that first, unthrottled heartbeat."""
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY)
        activity.heartbeat()

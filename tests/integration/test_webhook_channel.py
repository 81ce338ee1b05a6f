"""The webhook channel against a real HTTP receiver on loopback: a signed JSON POST with the idempotency key;
a 4xx answer is permanent, a 5xx answer or no receiver is transient (the activity retries); and a worker on it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from activities.channels import SIGNATURE_HEADER, OutgoingMessage, PermanentDeliveryError, WebhookChannel, WebhookConfig
from plumbing.settings import Settings
from starter.client import NrmClient
from tests.integration.helpers import FIRST_RESPONDER, adult_referral, decision, history_events, settled
from worker import build_worker

SECRET = "test-webhook-secret"


class Receiver(BaseHTTPRequestHandler):
    status = 200
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received, Receiver.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/nrm"
    server.shutdown()
    server.server_close()


MESSAGE = OutgoingMessage(
    key="NRM-0000-0001/needs_risks_assessment/v0/assessment-request",
    kind="assessment_request",
    reference="NRM-0000-0001",
    to=["support-provider@nrm.invalid"],
    subject="s",
    body="b",
    language="en",
    data={"kind": "needs_risks_assessment", "due_at": "2026-03-04T09:00:00Z"},
)


async def test_a_signed_post_carries_the_key_and_the_structured_notice(receiver: str) -> None:
    accepted = []
    receipt = await WebhookChannel(WebhookConfig(receiver, SECRET, 5)).deliver(MESSAGE, lambda: accepted.append(1))
    assert receipt == "HTTP 200" and accepted == [1]
    [(headers, body)] = Receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected and headers["Idempotency-Key"] == MESSAGE.key
    sent = json.loads(body)
    assert (sent["key"], sent["kind"], sent["data"]["kind"]) == (
        MESSAGE.key,
        "assessment_request",
        "needs_risks_assessment",
    )


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (404, PermanentDeliveryError, "webhook receiver refused the message for good (HTTP 404)"),
        (503, RuntimeError, "webhook receiver failed (HTTP 503)"),
        (429, RuntimeError, "webhook receiver failed (HTTP 429)"),
    ],
)
async def test_a_refusal_is_permanent_or_transient_by_status(
    receiver: str, status: int, error: type, text: str
) -> None:
    Receiver.status = status
    accepted = []
    with pytest.raises(error) as caught:
        await WebhookChannel(WebhookConfig(receiver, SECRET, 5)).deliver(MESSAGE, lambda: accepted.append(1))
    assert str(caught.value) == text and accepted == []


async def test_a_worker_on_the_webhook_channel_posts_the_cases_letters_and_requests(
    receiver: str, temporal_env: WorkflowEnvironment, settings: Settings
) -> None:
    """End to end: a case on a worker whose channel is the webhook; Stage 1's letter and the assessment requests
    arrive signed, each once, with the case's reference and their idempotency keys."""
    hooked = settings.model_copy(
        update={
            "task_queue": f"{settings.task_queue}-webhook",
            "notify_channel": "webhook",
            "webhook_url": receiver,
            "webhook_secret": SecretStr(SECRET),
        }
    )
    async with build_worker(temporal_env.client, hooked):
        nrm = NrmClient(temporal_env.client, hooked)
        ref = await nrm.open_case(adult_referral(), FIRST_RESPONDER)
        await nrm.decide_stage1(ref, decision())
        await settled(nrm.client, ref)
    kinds = sorted(json.loads(body)["kind"] for _, body in Receiver.received)
    assert kinds == ["assessment_request", "assessment_request", "decision_letter"], kinds
    for headers, body in Receiver.received:
        sent = json.loads(body)
        assert sent["reference"] == ref and headers["Idempotency-Key"] == sent["key"]
        assert headers[SIGNATURE_HEADER] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    completed = [
        e for e in await history_events(nrm.client, ref) if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    ]
    assert len(completed) == 3

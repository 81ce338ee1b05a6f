"""The webhook channel against a real HTTP receiver on loopback: a signed JSON POST with the idempotency key;
a 4xx answer is permanent, a 5xx answer or no receiver is transient (the activity retries)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from activities.channels import SIGNATURE_HEADER, OutgoingMessage, PermanentDeliveryError, WebhookChannel, WebhookConfig

SECRET = "test-webhook-secret"


class Receiver(BaseHTTPRequestHandler):
    status = 200
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server hook)
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


MESSAGE = OutgoingMessage(key="NRM-0000-0001/needs_risks_assessment/v0/assessment-request", kind="assessment_request",
                          reference="NRM-0000-0001", to=["support-provider@nrm.invalid"], subject="s", body="b",
                          language="en", data={"kind": "needs_risks_assessment", "due_at": "2026-03-04T09:00:00Z"})


async def test_a_signed_post_carries_the_key_and_the_structured_notice(receiver: str) -> None:
    accepted = []
    receipt = await WebhookChannel(WebhookConfig(receiver, SECRET, 5)).deliver(MESSAGE, lambda: accepted.append(1))
    assert receipt == "HTTP 200" and accepted == [1]
    [(headers, body)] = Receiver.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected and headers["Idempotency-Key"] == MESSAGE.key
    sent = json.loads(body)
    assert (sent["key"], sent["kind"], sent["data"]["kind"]) == (MESSAGE.key, "assessment_request",
                                                                 "needs_risks_assessment")


@pytest.mark.parametrize(("status", "error", "text"), [
    (404, PermanentDeliveryError, "webhook receiver refused the message for good (HTTP 404)"),
    (503, RuntimeError, "webhook receiver failed (HTTP 503)"),
    (429, RuntimeError, "webhook receiver failed (HTTP 429)"),
])
async def test_a_refusal_is_permanent_or_transient_by_status(receiver: str, status: int, error: type, text: str) -> None:
    Receiver.status = status
    accepted = []
    with pytest.raises(error) as caught:
        await WebhookChannel(WebhookConfig(receiver, SECRET, 5)).deliver(MESSAGE, lambda: accepted.append(1))
    assert str(caught.value) == text and accepted == []

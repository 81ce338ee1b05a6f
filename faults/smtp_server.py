"""A real SMTP server on loopback (aiosmtpd, in its own thread) that the notification tests and the fault
scenarios (faults/) send to.

It keeps every accepted message with the time it was accepted, counts RCPT attempts per address, refuses chosen
addresses for good (550), can be stopped and started again on the same port (an outage), counts the QUIT commands
it gets, and can hold its answer to DATA for a chosen kind of message after storing it (a slow receiver).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """The aiosmtpd handler."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.accepted_at: list[float] = []  # time.time() of each message's acceptance, beside `messages`
        self.rcpt_attempts: Counter[str] = Counter()
        self.refuse: set[str] = set()
        self.hold_data_kind: str | None = None
        self.holding = threading.Event()  # set once an answer to DATA is held
        self.release = threading.Event()
        self.quits = 0
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)
            self.accepted_at.append(time.time())
        if self.hold_data_kind and msg["X-NRM-Kind"] == self.hold_data_kind:
            self.holding.set()
            for _ in range(600):
                if self.release.is_set():
                    break
                await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        with self._lock:
            self.quits += 1
        return "221 Bye"

    def hold_data(self, kind: str) -> None:
        self.holding.clear()
        self.release.clear()
        self.hold_data_kind = kind

    def release_data(self) -> None:
        self.hold_data_kind = None
        self.release.set()

    def for_case(self, reference: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["X-NRM-Case"] == reference]

    def arrivals(self) -> list[tuple[float, EmailMessage]]:
        """Every message accepted so far with its time of acceptance, in order."""
        with self._lock:
            return list(zip(self.accepted_at, self.messages, strict=True))

    def with_key(self, key: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["X-NRM-Alert"] == key]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

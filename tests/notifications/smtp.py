"""A real SMTP server on the loopback interface (aiosmtpd), recording what it accepts.

It can be stopped and started again on the same port (an outage), refuse given recipients
(550) and hold a message until the test lets it through (to overlap two deliveries).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.body)


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.server.lock:
            self.server.sessions += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        gate = self.server.gate
        if gate is not None:
            self.server.waiting.set()
            await asyncio.to_thread(gate.wait, 30)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self.host = HOST
        self.port = free_port()
        self.messages: list[Received] = []
        self.sessions = 0
        self.refuse: set[str] = set()
        self.gate: threading.Event | None = None
        self.waiting = threading.Event()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    # -- life cycle -----------------------------------------------------------------------
    def up(self) -> SmtpServer:
        if self._controller is None:
            self._controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, ready_timeout=10
            )
            self._controller.start()
        return self

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.sessions = 0
        self.refuse.clear()
        self.gate = None
        self.waiting.clear()

    # -- what arrived ---------------------------------------------------------------------
    def received(self, to: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if to is None or to in m.to]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Wait (bounded) until ``count`` messages arrived; returns them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received()) >= count:
                return self.received()
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} message(s) within {timeout:.0f} s, got {len(self.received())}"
        )

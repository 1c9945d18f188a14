"""The outside mail server, faked at its boundary for tests and benchmarks: a small threaded
SMTP server speaking just what smtplib (and so Django's SMTP backend) says: EHLO/HELO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT. It records each message it accepted and when.

`hang_on=n` makes it swallow the n-th message: once its DATA has arrived it sets `hanging` and
never answers, so the sender is caught in the middle of a send and the message is not accepted.
"""

import email
import email.policy
import socketserver
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    at: float  # time.time() when the server answered "250", i.e. accepted it

    @property
    def subject(self) -> str:
        return str(email.message_from_bytes(self.data, policy=email.policy.default)["Subject"])


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, hang_on: int | None = None):
        super().__init__(("127.0.0.1", 0), _Session)
        self.hang_on = hang_on
        self.hanging = threading.Event()
        self.accepted: list[Accepted] = []
        self._received = 0
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> "FakeSMTPServer":
        threading.Thread(target=self.serve_forever, name="fake-smtp", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    def recipients(self) -> list[str]:
        """Everyone a message was accepted for, once per message."""
        with self._lock:
            return [r for message in self.accepted for r in message.recipients]

    def _arrived(self) -> bool:
        """Count a message whose DATA arrived; whether it is the one to swallow."""
        with self._lock:
            self._received += 1
            return self._received == self.hang_on

    def _accept(self, message: Accepted) -> None:
        with self._lock:
            self.accepted.append(message)


def _address(command: str) -> str:
    return command.split(":", 1)[1].strip().split()[0].strip("<>")


class _Session(socketserver.StreamRequestHandler):
    server: FakeSMTPServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 fake.smtp ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake.smtp")
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(_address(command))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:  # the client went away mid-message
                    return
                if self.server._arrived():
                    self.server.hanging.set()
                    self.rfile.read()  # never answer; returns once the client is gone
                    return
                self.server._accept(Accepted(sender, tuple(recipients), data, time.time()))
                self.reply("250 OK queued")
                sender, recipients = "", []
            elif verb in ("RSET", "NOOP"):
                sender, recipients = ("", []) if verb == "RSET" else (sender, recipients)
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _read_data(self) -> bytes | None:
        lines = []
        while line := self.rfile.readline():
            if line.rstrip(b"\r\n") == b".":
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)
        return None

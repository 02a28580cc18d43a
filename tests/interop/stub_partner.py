"""A partner ILL system on a loopback port, for tests: it speaks ISO 18626 over real HTTP.

It can be told to fail its first N requests (HTTP 503), records every message it
accepts, and answers each with an OK confirmation made by our own codec.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from requests_app.iso18626 import xml
from requests_app.iso18626.confirmations import confirmation_for


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler for a test peer: it answers with ``answer_xml`` and logs nothing."""

    def answer_xml(self, answer: bytes) -> None:
        """HTTP 200 with an ISO 18626 document as its body."""
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


class StubPartner:
    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts = 0
        self.received: list = []
        self.authorizations: list[str] = []
        stub = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.attempts += 1
                stub.authorizations.append(self.headers.get("Authorization", ""))
                if stub.attempts <= stub.fail_first:
                    self.send_response(503)
                    self.end_headers()
                    return
                message = xml.decode(body)
                stub.received.append(message)
                self.answer_xml(stub.dress(xml.encode(confirmation_for(message,
                                                                      timestamp_received=datetime.now(UTC)))))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def dress(self, answer: bytes) -> bytes:
        """The confirmation as this partner writes it (a subclass gives it its system's shape)."""
        return answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"

    def __enter__(self) -> StubPartner:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

"""Outside services replayed on loopback: a stub HTTP server answering from recorded responses.

``RecordedService`` serves ``tests/recorded/<service>/<quoted path>.json`` for ``GET /v2/<doi>`` the way
Unpaywall answers: 422 without ``email``, the file's JSON with 200, 404 with Unpaywall's error body for
a DOI it has no file for. It counts what it was asked, so tests can tell a cached answer from a call.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

RECORDED = Path(__file__).parent / "recorded"


class RecordedService:
    def __init__(self, service: str) -> None:
        self.folder = RECORDED / service
        self.asked: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                parts = urlsplit(self.path)
                stub.asked.append(self.path)
                if not parse_qs(parts.query).get("email"):
                    return self._send(422, {"HTTP_status_code": 422, "error": True,
                                            "message": "please add an email parameter"})
                doi = unquote(parts.path.removeprefix("/v2/"))
                recorded = stub.folder / f"{quote(doi, safe='')}.json"
                if not recorded.is_file():
                    return self._send(404, {"HTTP_status_code": 404, "error": True,
                                            "message": f"'{doi}' is an invalid doi. See https://doi.org/{doi}"})
                return self._send(200, json.loads(recorded.read_text()))

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

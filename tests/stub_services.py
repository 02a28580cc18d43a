"""Outside services replayed on loopback: a stub HTTP server answering from recorded responses.

``RecordedService`` serves ``tests/recorded/<service>/<quoted key>.json`` the way each service answers:
Unpaywall (``GET /v2/<doi>``: 422 without ``email``, 404 with its error body for an unknown DOI),
Crossref (``GET /works/<doi>``: 404 for an unknown DOI) and PubMed's E-utilities (``GET /esummary.fcgi?
db=pubmed&id=<pmid>&retmode=json``: an ``error`` entry for an unknown PMID) and Open Library's Books API
(``GET /api/books?bibkeys=ISBN:<isbn>&format=json&jscmd=data``: ``{}`` for an unknown ISBN). It counts what
it was asked, so tests can tell a cached answer from a call.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

RECORDED = Path(__file__).parent / "recorded"


class RecordedService:
    """One outside service replayed from ``tests/recorded/<service>/``; ``answer`` says how it routes a path."""

    def __init__(self, service: str) -> None:
        self.folder = RECORDED / service
        self.service = service
        self.asked: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                stub.asked.append(self.path)
                status, body = stub.answer(urlsplit(self.path))
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

    def recorded(self, name: str) -> dict | None:
        path = self.folder / f"{quote(name, safe='')}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def answer(self, parts) -> tuple[int, dict]:
        query = parse_qs(parts.query)
        if self.service == "unpaywall":
            if not query.get("email"):
                return 422, {"HTTP_status_code": 422, "error": True, "message": "please add an email parameter"}
            doi = unquote(parts.path.removeprefix("/v2/"))
            found = self.recorded(doi)
            return (200, found) if found is not None else (
                404, {"HTTP_status_code": 404, "error": True, "message": f"'{doi}' is an invalid doi."})
        if self.service == "crossref":
            doi = unquote(parts.path.removeprefix("/works/"))
            found = self.recorded(doi)
            return (200, found) if found is not None else (404, {"status": "error", "message": "Resource not found."})
        if self.service == "pubmed":
            pmid = (query.get("id") or [""])[0]
            if parts.path != "/esummary.fcgi" or query.get("db") != ["pubmed"]:
                return 400, {"error": "bad request"}
            found = self.recorded(pmid)
            return 200, found if found is not None else {
                "header": {"type": "esummary", "version": "0.3"},
                "result": {"uids": [pmid], pmid: {"uid": pmid, "error": "cannot get document summary"}}}
        if self.service == "openlibrary":
            key = (query.get("bibkeys") or [""])[0]
            if parts.path != "/api/books" or query.get("format") != ["json"] or not key.startswith("ISBN:"):
                return 400, {"error": "bad request"}
            return 200, self.recorded(key.removeprefix("ISBN:")) or {}
        return 404, {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""A commercial document supplier's ordering API on loopback (``borrowing.services.supplier_api.JsonOrderApi``'s
protocol): takes orders, says how they stand, serves the delivered PDF; ``mode`` makes it refuse or fail."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pypdf import PdfWriter

#: What an order's ``status`` says in the API's answers.
PROCESSING, DELIVERED, FAILED = "processing", "delivered", "failed"


def small_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class SupplierApiStub:
    """``mode``: ``deliver`` (orders are delivered when asked), ``processing`` (never ready), ``refuse`` (a new
    order answers 422), ``fail`` (the order fails), ``down`` (every call answers 503)."""

    def __init__(self, mode: str = "deliver") -> None:
        self.mode = mode
        self.orders: list[dict] = []
        self.headers: list[dict] = []
        self.asked: list[str] = []
        self.pdf = small_pdf()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, body: dict) -> None:
                self._send(status, json.dumps(body).encode())

            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                stub.asked.append(f"POST {self.path}")
                stub.headers.append(dict(self.headers))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if stub.mode == "down":
                    return self._json(503, {"error": "maintenance"})
                if stub.mode == "refuse":
                    return self._json(422, {"error": "Title not in our collection"})
                stub.orders.append(body)
                return self._json(201, {"id": f"RD-{len(stub.orders)}", "status": "accepted"})

            def do_GET(self) -> None:  # noqa: N802
                stub.asked.append(f"GET {self.path}")
                if stub.mode == "down":
                    return self._json(503, {"error": "maintenance"})
                if self.path.startswith("/api/orders/"):
                    reference = self.path.rsplit("/", 1)[1]
                    if stub.mode == "fail":
                        return self._json(200, {"id": reference, "status": FAILED, "reason": "Publisher refused"})
                    if stub.mode == "processing":
                        return self._json(200, {"id": reference, "status": PROCESSING})
                    return self._json(200, {"id": reference, "status": DELIVERED,
                                            "document_url": f"/api/files/{reference}.pdf"})
                if self.path.startswith("/api/files/"):
                    return self._send(200, stub.pdf, "application/pdf")
                return self._json(404, {"error": "not found"})

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

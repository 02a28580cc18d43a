"""The responder's HTTP server and its in-memory ILS.

State (JSON-friendly dicts, reset by ``POST /_control/reset``):

* ``users``: user id → ``{"name", "email", "category", "blocked": reason or "", "expires": "YYYY-MM-DD" or
  null, "blocked_as": "block" (a BlockOrTrap in LookupUser) or "problem" (a Problem "User Blocked")}``;
* ``items``: barcode → ``{"title", "status", "user", "due", "date_for_return", "pickup", "call_number",
  "location", "temporary"}``;
* ``holds``: request id → ``{"user", "barcode", "pickup", "status"}``;
* ``settings``: ``services`` (null: all), ``slow`` (seconds before answering), ``down`` (HTTP 503),
  ``drop`` (close the connection without a word), ``apikey`` / ``bearer`` / ``basic`` ("user:password") /
  ``from_agency_auth`` (credentials required when set), ``loan_days`` (the ILS's own loan rule, used when
  no due date is sent), ``honours_due_date`` (false: DesiredDateDue and DateForReturn are ignored).

Every NCIP message received is logged: ``{"service", "valid", "errors", "body"}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

NS = "http://www.niso.org/2008/ncip"
VERSION = "http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"
N = {"n": NS}


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def fresh_state() -> dict:
    return {"users": {}, "items": {}, "holds": {}, "log": [],
            "settings": {"services": None, "slow": 0, "down": False, "drop": False, "apikey": None,
                         "bearer": None, "basic": None, "from_agency_auth": None, "loan_days": 28,
                         "honours_due_date": True}}


class Ils:
    """The in-memory ILS and the NCIP services it answers."""

    def __init__(self, schema_dir: str) -> None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        self.schema = etree.XMLSchema(etree.parse(str(Path(schema_dir) / "ncip_v2_02.xsd"), parser))
        self.lock = threading.Lock()
        self.state = fresh_state()
        # Counts resets: a message still waiting out a slow answer when the state is reset belongs to the test
        # before, and is dropped instead of being logged in the next test's state.
        self.generation = 0

    # ---- writing answers --------------------------------------------------------------

    def _response(self, service: str, request_body: etree._Element | None) -> tuple[etree._Element, etree._Element]:
        root = etree.Element(q("NCIPMessage"), nsmap={"ns1": NS})
        root.set(q("version"), VERSION)
        body = etree.SubElement(root, q(f"{service}Response"))
        if request_body is not None:
            header = etree.SubElement(body, q("ResponseHeader"))
            sent_from = request_body.findtext("n:InitiationHeader/n:FromAgencyId/n:AgencyId", "", N)
            sent_to = request_body.findtext("n:InitiationHeader/n:ToAgencyId/n:AgencyId", "", N)
            sub(sub(header, "FromAgencyId"), "AgencyId", sent_to or "ILS")
            sub(sub(header, "ToAgencyId"), "AgencyId", sent_from or "ILLMS")
        return root, body

    def problem(self, service: str, request_body, problem_type: str, detail: str = "", element: str = "",
                value: str = "") -> bytes:
        root, body = self._response(service, request_body)
        add_problem(body, problem_type, detail, element, value)
        return tostring(root)

    # ---- dispatch --------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        entry = {"service": "", "valid": False, "errors": [], "body": data.decode("utf-8", "replace")}
        self.state["log"].append(entry)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            entry["errors"] = ["DTD"]
            return message_problem("Invalid Message Syntax Error", "DTDs are not accepted")
        try:
            root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        except etree.XMLSyntaxError as exc:
            entry["errors"] = [str(exc)]
            return message_problem("Invalid Message Syntax Error", str(exc))
        children = [child for child in root if isinstance(child.tag, str)]
        service = etree.QName(children[0]).localname if children else ""
        entry["service"] = service
        if not self.schema.validate(root):
            entry["errors"] = [f"line {e.line}: {e.message}" for e in self.schema.error_log]
            return message_problem("Invalid Message Syntax Error", entry["errors"][0])
        entry["valid"] = True
        body = children[0]
        entry["from_agency"] = body.findtext("n:InitiationHeader/n:FromAgencyId/n:AgencyId", "", N)
        settings = self.state["settings"]
        wanted = settings["from_agency_auth"]
        if wanted and body.findtext("n:InitiationHeader/n:FromAgencyAuthentication", "", N) != wanted:
            return self.problem(service, body, "Agency Authentication Failed", "FromAgencyAuthentication is wrong")
        services = settings["services"]
        if services is not None and service not in services:
            return message_problem("Unsupported Service", f"{service} is not supported by this ILS")
        handler = getattr(self, f"do_{service}", None)
        if handler is None:
            return message_problem("Unsupported Service", f"{service} is not supported by this ILS")
        return handler(body)

    # ---- helpers ---------------------------------------------------------------------

    def _user(self, body, service: str):
        user_id = body.findtext("n:UserId/n:UserIdentifierValue", "", N)
        user = self.state["users"].get(user_id)
        if user is None:
            return user_id, None, self.problem(service, body, "Unknown User", f"No user with id {user_id}",
                                               "UserIdentifierValue", user_id)
        return user_id, user, None

    def _item(self, body, service: str):
        barcode = body.findtext("n:ItemId/n:ItemIdentifierValue", "", N)
        item = self.state["items"].get(barcode)
        if item is None:
            return barcode, None, self.problem(service, body, "Unknown Item", f"No item with barcode {barcode}",
                                               "ItemIdentifierValue", barcode)
        return barcode, item, None

    def _due(self, text: str, fallback: str | None = None) -> str:
        if text and self.state["settings"]["honours_due_date"]:
            return text
        if fallback and self.state["settings"]["honours_due_date"]:
            return fallback
        due = dt.datetime.now(dt.UTC).replace(hour=23, minute=59, second=59, microsecond=0)
        return (due + dt.timedelta(days=self.state["settings"]["loan_days"])).strftime("%Y-%m-%dT%H:%M:%SZ")

    # ---- services --------------------------------------------------------------------

    def do_LookupUser(self, body) -> bytes:
        user_id, user, problem = self._user(body, "LookupUser")
        if problem:
            return problem
        if user.get("blocked") and user.get("blocked_as") == "problem":
            return self.problem("LookupUser", body, "User Blocked", user["blocked"], "UserIdentifierValue", user_id)
        root, response = self._response("LookupUser", body)
        identifier(response, "User", user_id)
        optional = sub(response, "UserOptionalFields")
        if user.get("name"):
            given, _, surname = user["name"].rpartition(" ")
            name = sub(sub(sub(optional, "NameInformation"), "PersonalNameInformation"), "StructuredPersonalUserName")
            if given:
                sub(name, "GivenName", given)
            sub(name, "Surname", surname)
        if user.get("email"):
            address = sub(optional, "UserAddressInformation")
            sub(address, "UserAddressRoleType", "Home")
            electronic = sub(address, "ElectronicAddress")
            sub(electronic, "ElectronicAddressType", "mailto")
            sub(electronic, "ElectronicAddressData", user["email"])
        privilege = sub(optional, "UserPrivilege")
        sub(privilege, "AgencyId", "ILS")
        sub(privilege, "AgencyUserPrivilegeType", user.get("category") or "patron")
        if user.get("expires"):
            sub(privilege, "ValidToDate", f"{user['expires']}T23:59:59Z")
        status = sub(privilege, "UserPrivilegeStatus")
        sub(status, "UserPrivilegeStatusType", "BLOCKED" if user.get("blocked") else "ACTIVE")
        if user.get("blocked"):
            block = sub(optional, "BlockOrTrap")
            sub(block, "AgencyId", "ILS")
            sub(block, "BlockOrTrapType", user["blocked"])
        return tostring(root)

    def do_AcceptItem(self, body) -> bytes:
        barcode = body.findtext("n:ItemId/n:ItemIdentifierValue", "", N)
        request_id = body.findtext("n:RequestId/n:RequestIdentifierValue", "", N)
        if body.find("n:UserId", N) is not None:
            user_id, _, problem = self._user(body, "AcceptItem")
            if problem:
                return problem
        else:
            user_id = ""
        if barcode in self.state["items"]:
            return self.problem("AcceptItem", body, "Duplicate Item", f"An item with barcode {barcode} exists",
                                "ItemIdentifierValue", barcode)
        self.state["items"][barcode] = {
            "title": body.findtext("n:ItemOptionalFields/n:BibliographicDescription/n:Title", "", N),
            "status": "On Hold", "user": user_id, "due": None, "temporary": True,
            "date_for_return": body.findtext("n:DateForReturn", None, N),
            "pickup": body.findtext("n:PickupLocation", "", N), "request": request_id,
            "call_number": "", "location": "ILL"}
        root, response = self._response("AcceptItem", body)
        identifier(response, "Request", request_id)
        identifier(response, "Item", barcode)
        return tostring(root)

    def do_CheckOutItem(self, body) -> bytes:
        user_id, user, problem = self._user(body, "CheckOutItem")
        if problem:
            return problem
        if user.get("blocked"):
            return self.problem("CheckOutItem", body, "User Blocked", user["blocked"], "UserIdentifierValue", user_id)
        barcode, item, problem = self._item(body, "CheckOutItem")
        if problem:
            return problem
        item.update(status="On Loan", user=user_id,
                    due=self._due(body.findtext("n:DesiredDateDue", "", N), item.get("date_for_return")))
        root, response = self._response("CheckOutItem", body)
        identifier(response, "Item", barcode)
        identifier(response, "User", user_id)
        sub(response, "DateDue", item["due"])
        return tostring(root)

    def do_CheckInItem(self, body) -> bytes:
        barcode, item, problem = self._item(body, "CheckInItem")
        if problem:
            return problem
        user_id = item.get("user") or ""
        item.update(status="Available" if not item.get("temporary") else "Returned", user="", due=None)
        root, response = self._response("CheckInItem", body)
        identifier(response, "Item", barcode)
        if user_id:
            identifier(response, "User", user_id)
        return tostring(root)

    def do_RenewItem(self, body) -> bytes:
        barcode, item, problem = self._item(body, "RenewItem")
        if problem:
            return problem
        if item.get("status") != "On Loan":
            return self.problem("RenewItem", body, "Item Not Checked Out", f"{barcode} is not on loan",
                                "ItemIdentifierValue", barcode)
        item["due"] = self._due(body.findtext("n:DesiredDateDue", "", N))
        item["renewals"] = item.get("renewals", 0) + 1
        root, response = self._response("RenewItem", body)
        identifier(response, "Item", barcode)
        sub(response, "DateDue", item["due"])
        sub(response, "RenewalCount", str(item["renewals"]))
        return tostring(root)

    def do_DeleteItem(self, body) -> bytes:
        barcode, _, problem = self._item(body, "DeleteItem")
        if problem:
            return problem
        del self.state["items"][barcode]
        root, response = self._response("DeleteItem", body)
        identifier(response, "Item", barcode)
        return tostring(root)

    def do_LookupItem(self, body) -> bytes:
        barcode, item, problem = self._item(body, "LookupItem")
        if problem:
            return problem
        root, response = self._response("LookupItem", body)
        identifier(response, "Item", barcode)
        lent = item.get("user") and item.get("status") == "On Loan"
        if body.find("n:CurrentBorrowerDesired", N) is not None and lent:
            identifier(sub(sub(response, "ItemTransaction"), "CurrentBorrower"), "User", item["user"])
        self._item_fields(response, item)
        return tostring(root)

    def _item_fields(self, parent, item: dict) -> None:
        optional = sub(parent, "ItemOptionalFields")
        sub(sub(optional, "BibliographicDescription"), "Title", item.get("title") or "Untitled")
        sub(optional, "CirculationStatus", item.get("status") or "Available")
        if item.get("call_number"):
            sub(sub(optional, "ItemDescription"), "CallNumber", item["call_number"])
        if item.get("location"):
            location = sub(optional, "Location")
            sub(location, "LocationType", "Permanent")
            instance = sub(sub(location, "LocationName"), "LocationNameInstance")
            sub(instance, "LocationNameLevel", "1")
            sub(instance, "LocationNameValue", item["location"])
        if item.get("due"):
            sub(optional, "DateDue", item["due"])

    def do_LookupItemSet(self, body) -> bytes:
        """Every item asked for, one BibInformation per title (as an ILS groups its holdings), an unknown item
        answered with its own Problem inside the set."""
        root, response = self._response("LookupItemSet", body)
        borrower_wanted = body.find("n:CurrentBorrowerDesired", N) is not None
        by_title: dict[str, list[tuple[str, dict | None]]] = {}
        for element in body.findall("n:ItemId", N):
            barcode = element.findtext("n:ItemIdentifierValue", "", N)
            item = self.state["items"].get(barcode)
            by_title.setdefault((item or {}).get("title") or "", []).append((barcode, item))
        for title, items in by_title.items():
            bib = sub(response, "BibInformation")
            if title:
                sub(sub(bib, "BibliographicDescription"), "Title", title)
            holdings = sub(bib, "HoldingsSet")
            for barcode, item in items:
                information = sub(holdings, "ItemInformation")
                identifier(information, "Item", barcode)
                if item is None:
                    add_problem(information, "Unknown Item", f"No item with barcode {barcode}", "ItemIdentifierValue",
                                barcode)
                    continue
                if borrower_wanted and item.get("user") and item.get("status") == "On Loan":
                    identifier(sub(information, "CurrentBorrower"), "User", item["user"])
                self._item_fields(information, item)
        self.state.setdefault("set_sizes", []).append(sum(len(items) for items in by_title.values()))
        return tostring(root)

    def do_RecallItem(self, body) -> bytes:
        barcode, item, problem = self._item(body, "RecallItem")
        if problem:
            return problem
        if item.get("status") != "On Loan":
            return self.problem("RecallItem", body, "Item Not Checked Out", f"{barcode} is not on loan",
                                "ItemIdentifierValue", barcode)
        item["due"] = self._due(body.findtext("n:DesiredDateDue", "", N))
        item["recalled"] = True
        root, response = self._response("RecallItem", body)
        identifier(response, "Item", barcode)
        if item.get("user"):
            identifier(response, "User", item["user"])
        sub(response, "DateDue", item["due"])
        return tostring(root)

    def do_RequestItem(self, body) -> bytes:
        user_id, _, problem = self._user(body, "RequestItem")
        if problem:
            return problem
        barcode = body.findtext("n:ItemId/n:ItemIdentifierValue", "", N)
        if barcode and barcode not in self.state["items"]:
            return self.problem("RequestItem", body, "Unknown Item", f"No item with barcode {barcode}",
                                "ItemIdentifierValue", barcode)
        request_id = body.findtext("n:RequestId/n:RequestIdentifierValue", "", N)
        self.state["holds"][request_id] = {"user": user_id, "barcode": barcode, "status": "Placed",
                                           "pickup": body.findtext("n:PickupLocation", "", N)}
        if barcode:
            self.state["items"][barcode]["status"] = "On Hold"
        root, response = self._response("RequestItem", body)
        identifier(response, "Request", request_id)
        if barcode:
            identifier(response, "Item", barcode)
        identifier(response, "User", user_id)
        sub(response, "RequestType", body.findtext("n:RequestType", "Hold", N))
        sub(response, "RequestScopeType", body.findtext("n:RequestScopeType", "Item", N))
        return tostring(root)

    def do_CancelRequestItem(self, body) -> bytes:
        user_id = body.findtext("n:UserId/n:UserIdentifierValue", "", N)
        request_id = body.findtext("n:RequestId/n:RequestIdentifierValue", "", N)
        hold = self.state["holds"].get(request_id)
        if hold is None:
            return self.problem("CancelRequestItem", body, "Unknown Request", f"No request {request_id}",
                                "RequestIdentifierValue", request_id)
        hold["status"] = "Cancelled"
        item = self.state["items"].get(hold.get("barcode") or "")
        if item is not None and item.get("status") == "On Hold":
            item["status"] = "Available"
        root, response = self._response("CancelRequestItem", body)
        identifier(response, "Request", request_id)
        identifier(response, "User", user_id or hold["user"])
        return tostring(root)


def sub(parent, name: str, text: str | None = None):
    element = etree.SubElement(parent, q(name))
    if text is not None:
        element.text = text
    return element


def identifier(parent, kind: str, value: str) -> None:
    sub(sub(parent, f"{kind}Id"), f"{kind}IdentifierValue", value)


def add_problem(parent, problem_type: str, detail: str = "", element: str = "", value: str = "") -> None:
    problem = sub(parent, "Problem")
    sub(problem, "ProblemType", problem_type)
    if detail:
        sub(problem, "ProblemDetail", detail[:500])
    if element:
        sub(problem, "ProblemElement", element)
    if value:
        sub(problem, "ProblemValue", value)


def message_problem(problem_type: str, detail: str) -> bytes:
    root = etree.Element(q("NCIPMessage"), nsmap={"ns1": NS})
    root.set(q("version"), VERSION)
    add_problem(root, problem_type, detail)
    return tostring(root)


def tostring(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def make_handler(ils: Ils):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, value, status: int = 200) -> None:
            self._send(status, json.dumps(value, default=str).encode(), "application/json")

        def do_GET(self) -> None:
            if self.path.startswith("/_control/log"):
                with ils.lock:
                    return self._json(ils.state["log"])
            if self.path.startswith("/_control/state"):
                with ils.lock:
                    return self._json({k: v for k, v in ils.state.items() if k != "log"})
            self._send(404, b"not found", "text/plain")

        def _authorised(self) -> bool:
            settings = ils.state["settings"]
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if settings["apikey"] and query.get("apikey", [""])[0] != settings["apikey"]:
                return False
            header = self.headers.get("Authorization", "")
            if settings["bearer"] and header != f"Bearer {settings['bearer']}":
                return False
            if settings["basic"]:
                expected = "Basic " + base64.b64encode(settings["basic"].encode()).decode()
                if header != expected:
                    return False
            return True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            if self.path.startswith("/_control/"):
                return self._control(data)
            settings, generation = ils.state["settings"], ils.generation
            if settings["drop"]:
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if settings["slow"]:
                time.sleep(float(settings["slow"]))
                if ils.generation != generation:  # reset meanwhile: its sender gave up long ago
                    self.close_connection = True
                    return None
            if settings["down"]:
                return self._send(503, b"down for maintenance", "text/plain")
            if not self._authorised():
                return self._send(401, b"unauthorised", "text/plain")
            with ils.lock:
                answer = ils.handle(data)
            self._send(200, answer, "application/xml; charset=utf-8")
            return None

        def _control(self, data: bytes) -> None:
            command = self.path.removeprefix("/_control/").split("?")[0]
            values = json.loads(data or b"{}")
            with ils.lock:
                if command == "reset":
                    ils.state = fresh_state()
                    ils.generation += 1
                elif command == "settings":
                    ils.state["settings"].update(values)
                elif command in ("users", "items", "holds"):
                    for key, record in values.items():
                        ils.state[command].setdefault(key, {}).update(record)
                else:
                    return self._json({"error": f"unknown command {command}"}, 404)
            return self._json({"ok": True})

    return Handler


def serve(*, schema_dir: str, port: int = 0) -> ThreadingHTTPServer:
    ils = Ils(schema_dir)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(ils))
    server.daemon_threads = True
    return server

"""Catalogues for the sourcing tests: a real Zebra SRU server loaded with partners' records, and one that never answers.

``zebra_catalogue`` (session) writes a few hundred MARC records with pymarc, indexes them with
``zebraidx`` into three databases of one Zebra server on a free loopback port:

* ``union``: a union catalogue whose 852 fields name holders by ISIL or OCLC symbol (``US-AAA``, ``BBB``,
  ``US-CCC``, ``DE-1A`` for a German library mapped by a line, ``XX-NOBODY`` known to no one);
* ``aaa``: library AAA's own catalogue, items in 949 fields with a status;
* ``ccc``: library CCC's own catalogue, items in Koha's 952.

``silent_catalogue`` is a socket that accepts connections and never answers. Both are stopped by their
fixture. Without Zebra the tests skip, saying why; under CI (``CI=true`` or ``ILLMS_REQUIRE_SERVICES``)
they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pymarc
import pytest
from stdnum import ean

from tests.conftest import REQUIRE_SERVICES
from tests.processes import free_loopback_port

FILES = Path(__file__).parent / "zebra"
MODULE_DIRS = ("/usr/lib/x86_64-linux-gnu/idzebra-2.0/modules", "/usr/lib/aarch64-linux-gnu/idzebra-2.0/modules",
               "/usr/lib/idzebra-2.0/modules")
PQF_PROPERTIES = Path("/usr/share/yaz/etc/pqf.properties")

#: The items the tests ask about, by ISBN / ISSN.
KUHN = "9780226458083"  # The Structure of Scientific Revolutions: AAA (own, available), BBB (union, on loan), CCC
NATURE_ISSN = "0028-0836"  # Nature: CCC and DE-1A in the union catalogue
ONLY_NOBODY = "9780262033848"  # held only by XX-NOBODY, a code no directory entry has
QUOTED_TITLE = 'The "quoted" * title'
LEVELLED = "9780306406157"  # held alike by US-AAA, BBB, US-CCC and DDD in the union catalogue
FILLER_COUNT = 300


def _isbn(n: int) -> str:
    stem = f"978199{n:06d}"
    return stem + ean.calc_check_digit(stem)


def _record(number: str, *, title: str, author: str = "", isbn: str = "", issn: str = "", oclc: str = "",
            fields: list[pymarc.Field] = ()) -> pymarc.Record:
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(pymarc.Field(tag="001", data=number))
    if oclc:
        record.add_field(pymarc.Field(tag="035", indicators=[" ", " "], subfields=[pymarc.Subfield("a", oclc)]))
    if isbn:
        record.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)]))
    if issn:
        record.add_field(pymarc.Field(tag="022", indicators=[" ", " "], subfields=[pymarc.Subfield("a", issn)]))
    if author:
        record.add_field(pymarc.Field(tag="100", indicators=["1", " "], subfields=[pymarc.Subfield("a", author)]))
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", title)]))
    for f in fields:
        record.add_field(f)
    return record


def _field(tag: str, **subfields: str) -> pymarc.Field:
    return pymarc.Field(tag=tag, indicators=[" ", " "],
                        subfields=[pymarc.Subfield(code.lstrip("_"), value) for code, value in subfields.items()])


def catalogue_records() -> dict[str, list[pymarc.Record]]:
    """The records of each Zebra database."""
    holders = ["US-AAA", "BBB", "US-CCC", "DE-1A"]
    union = [
        _record("u-kuhn", title="The structure of scientific revolutions", author="Kuhn, Thomas S.", isbn=KUHN,
                oclc="(OCoLC)00000001", fields=[_field("852", a="BBB", b="Main stacks", h="Q175", i=".K95 1970",
                                                       z="On loan"),
                                                _field("852", a="US-CCC", b="Science", h="Q175 .K95")]),
        _record("u-nature", title="Nature", issn=NATURE_ISSN,
                fields=[_field("852", a="US-CCC", b="Periodicals", h="Q1 .N2"),
                        _field("852", a="DE-1a", b="Zeitschriften", h="Zs 100")]),
        _record("u-nobody", title="Introduction to algorithms", author="Cormen, Thomas H.", isbn=ONLY_NOBODY,
                fields=[_field("852", a="XX-NOBODY", h="QA76.6 .C662")]),
        _record("u-level", title="Signals and systems", author="Oppenheim, Alan V.", isbn=LEVELLED,
                fields=[_field("852", a=code, b="Stacks", h="TK5102.5 .O6") for code in ("US-AAA", "BBB", "US-CCC",
                                                                                        "DDD")]),
        _record("u-quoted", title=QUOTED_TITLE, author="Writer, Quinn", fields=[_field("852", a="BBB", h="PN1")]),
    ]
    union += [_record(f"u-{n}", title=f"Filler volume {n} on library science", author=f"Author{n % 17}, A.",
                      isbn=_isbn(n), fields=[_field("852", a=holders[n % 4], h=f"Z{n}")])
              for n in range(FILLER_COUNT)]
    aaa = [_record("a-kuhn", title="The structure of scientific revolutions", author="Kuhn, Thomas S.", isbn=KUHN,
                   fields=[_field("949", a="Q175 .K95 1970", l="Stacks", s="Available")])]
    aaa += [_record(f"a-{n}", title=f"Filler volume {n} on library science", isbn=_isbn(n),
                    fields=[_field("949", a=f"Z{n} .A", l="Stacks", s="Checked out")]) for n in range(0, 60, 3)]
    ccc = [_record("c-kuhn", title="The structure of scientific revolutions", author="Kuhn, Thomas S.",
                   isbn="0226458083", fields=[_field("952", a="CCC", c="Science", o="Q175 .K95 1996")])]
    return {"union": union, "aaa": aaa, "ccc": ccc}


def _zebra_missing() -> str:
    for program in ("zebraidx", "zebrasrv"):
        if shutil.which(program) is None:
            return f"{program} is not installed (Debian package idzebra-2.0)"
    if not any(Path(d, "mod-dom.so").exists() for d in MODULE_DIRS):
        return "Zebra's DOM filter (mod-dom.so, Debian package idzebra-2.0) is not installed"
    if not PQF_PROPERTIES.exists():
        return f"{PQF_PROPERTIES} is missing (Debian package yaz)"
    return ""


def skip_or_fail_without(reason: str) -> None:
    if REQUIRE_SERVICES or os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI requires it")
    pytest.skip(reason)


@dataclass(frozen=True)
class ZebraCatalogue:
    base: str  # http://127.0.0.1:PORT

    def url(self, database: str) -> str:
        return f"{self.base}/{database}"


def start_zebra(root: Path) -> tuple[subprocess.Popen, ZebraCatalogue]:
    missing = _zebra_missing()
    if missing:
        skip_or_fail_without(missing)
    for name in ("index.xsl", "dc.xsl", "identity.xsl", "dom-config.xml"):
        shutil.copy(FILES / name, root / name)
    module_dir = next(d for d in MODULE_DIRS if Path(d, "mod-dom.so").exists())
    for directory in ("reg", "shadow", "lock", "tmp"):
        (root / directory).mkdir()
    (root / "zebra.cfg").write_text(
        f"profilePath: .:/usr/share/idzebra-2.0/tab\nmodulePath: {module_dir}\nrecordtype: dom.dom-config.xml\n"
        "attset: bib1.att\nattset: explain.att\nencoding: utf-8\nregister: reg:100M\nshadow: shadow:100M\n"
        "lockDir: lock\nsetTmpDir: tmp\nkeyTmpDir: tmp\n")
    (root / "cql2pqf.properties").write_text(
        PQF_PROPERTIES.read_text() + "\nindex.bath.standardIdentifier = 1=1007\n")
    port = free_loopback_port()
    (root / "yazgfs.xml").write_text(f"""<?xml version="1.0"?>
<yazgfs>
  <listen id="l">tcp:127.0.0.1:{port}</listen>
  <server id="main" listenref="l">
    <config>zebra.cfg</config>
    <cql2rpn>cql2pqf.properties</cql2rpn>
    <retrievalinfo>
      <retrieval syntax="xml" name="marcxml" identifier="info:srw/schema/1/marcxml-v1.1"/>
      <retrieval syntax="xml" name="dc" identifier="info:srw/schema/1/dc-v1.1"/>
    </retrievalinfo>
  </server>
</yazgfs>
""")

    def run(*args: str) -> None:
        subprocess.run(["zebraidx", "-c", "zebra.cfg", *args], cwd=root, check=True, capture_output=True,
                       timeout=120)

    run("init")
    for database, records in catalogue_records().items():
        path = root / f"{database}.xml"
        with path.open("wb") as out:
            out.write(b'<collection xmlns="http://www.loc.gov/MARC21/slim">')
            for record in records:
                out.write(pymarc.record_to_xml(record, namespace=False))
            out.write(b"</collection>")
        run("-d", database, "update", path.name)
    run("commit")
    process = subprocess.Popen(["zebrasrv", "-T", "-f", "yazgfs.xml", "-l", "zebrasrv.log"], cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log = (root / "zebrasrv.log").read_text() if (root / "zebrasrv.log").exists() else ""
                pytest.fail(f"zebrasrv did not start: {log[-2000:]}")
            time.sleep(0.05)
    return process, ZebraCatalogue(base=f"http://127.0.0.1:{port}")


class SilentServer:
    """Accepts connections on a loopback port and never sends a byte back."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sru"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections.append(connection)  # held open, never read, never answered

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        for connection in self.connections:
            connection.close()
        self.socket.close()

"""A real OpenLDAP ``slapd`` on loopback for the LDAP door's tests: its own slapd.conf, an mdb database in a
temporary folder loaded with a small directory (people, groups, a disabled account, a service account), plain
LDAP and LDAPS (a certificate from a CA made here) on free ports; stopped when the test session ends."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.processes import free_loopback_port, stop

SUFFIX = "dc=uni,dc=example"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=illms,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"  # noqa: S105 - the test directory's service account
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"
PASSWORD = "correct horse battery"  # noqa: S105 - every test person's password

#: The people of the test directory: their entries' attributes (the password is PASSWORD).
PERSONS: dict[str, dict[str, list[str]]] = {
    "ada": {"cn": ["Ada Lovelace"], "givenName": ["Ada"], "sn": ["Lovelace"], "mail": ["ada.lovelace@uni.example"],
            "employeeType": ["student"], "ou": ["Mathematics"], "libraryBarcode": ["21000000111"],
            "employeeNumber": ["E-1815"], "libraryExpiry": ["20270630000000Z"]},
    "grace": {"cn": ["Grace Hopper"], "givenName": ["Grace"], "sn": ["Hopper"], "mail": ["grace@uni.example"],
              "employeeType": ["member"]},
    "sam": {"cn": ["Sam Clerk"], "givenName": ["Sam"], "sn": ["Clerk"], "mail": ["sam.clerk@uni.example"]},
    "dora": {"cn": ["Dora Gone"], "givenName": ["Dora"], "sn": ["Gone"], "mail": ["dora@uni.example"],
             "employeeType": ["student"], "userAccountControl": ["514"]},  # 512 + ACCOUNTDISABLE (2)
}
#: Groups (groupOfNames) and their members' uids.
GROUP_MEMBERS = {"ill-faculty": ["grace"], "ill-staff": ["sam"], "ill-admins": ["sam"], "choir": ["ada"]}

# A schema extension as a campus directory has one: the library's own attributes, and Active Directory's
# userAccountControl (integer, so the bitwise match rule of ILLMS_LDAP_DISABLED_FILTER's default applies).
SCHEMA = """
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'libraryBarcode' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{64} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'libraryExpiry' EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{32} SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'campusPerson' SUP top AUXILIARY
    MAY ( libraryBarcode $ libraryExpiry $ userAccountControl ) )
"""


@dataclass
class Slapd:
    uri: str  # ldap://127.0.0.1:PORT
    ldaps_uri: str  # ldaps://127.0.0.1:PORT
    ca_file: Path

    def _root(self):
        from ldap3 import Connection, Server

        return Connection(Server(self.uri, get_info="NO_INFO"), ROOT_DN, ROOT_PASSWORD, auto_bind=True)

    def set_attributes(self, uid: str, attributes: dict[str, list[str]]) -> None:
        """Replace ``uid``'s attributes as the directory's administrator would (an empty list removes one)."""
        from ldap3 import MODIFY_REPLACE

        connection = self._root()
        try:
            changes = {name: [(MODIFY_REPLACE, values)] for name, values in attributes.items()}
            assert connection.modify(f"uid={uid},{PEOPLE}", changes), connection.result
        finally:
            connection.unbind()

    def add_groups(self) -> None:
        """GROUP_MEMBERS as groupOfNames entries, added online so that the memberof overlay sets memberOf."""
        connection = self._root()
        try:
            for cn, members in GROUP_MEMBERS.items():
                assert connection.add(f"cn={cn},{GROUPS}", ["groupOfNames"],
                                      {"cn": cn, "member": [f"uid={m},{PEOPLE}" for m in members]}), connection.result
        finally:
            connection.unbind()

    def reset(self) -> None:
        """Every person back to PERSONS (what a test changed is undone)."""
        wanted = {name for attributes in PERSONS.values() for name in attributes}
        for uid, attributes in PERSONS.items():
            self.set_attributes(uid, {name: attributes.get(name, []) for name in wanted if name != "cn"})


def _ldif() -> str:
    blocks = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Uni\ndc: uni"]
    for ou in ("people", "groups", "services"):
        blocks.append(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}")
    blocks.append(f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
                  f"cn: illms\nuserPassword: {SERVICE_PASSWORD}")
    for uid, attributes in PERSONS.items():
        lines = [f"dn: uid={uid},{PEOPLE}", "objectClass: inetOrgPerson", "objectClass: campusPerson", f"uid: {uid}",
                 f"userPassword: {PASSWORD}"]
        lines += [f"{name}: {value}" for name, values in attributes.items() for value in values]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _slapd_conf(folder: Path) -> str:
    return "\n".join([
        *(f"include /etc/ldap/schema/{name}.schema" for name in ("core", "cosine", "inetorgperson")),
        f"include {folder / 'campus.schema'}",
        f"pidfile {folder / 'slapd.pid'}",
        "modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload memberof",
        f"TLSCACertificateFile {folder / 'ca.pem'}",
        f"TLSCertificateFile {folder / 'server.pem'}",
        f"TLSCertificateKeyFile {folder / 'server.key'}",
        "database mdb", f'suffix "{SUFFIX}"', f'rootdn "{ROOT_DN}"', f"rootpw {ROOT_PASSWORD}",
        f"directory {folder / 'db'}", "maxsize 10485760",
        "overlay memberof",  # people's memberOf, as Active Directory keeps it, for groups added online
        "access to attrs=userPassword by self write by anonymous auth by * none",
        "access to * by self read by users read by * none",
        "",
    ])


def _certificates(folder: Path) -> None:
    """A CA and, signed by it, the server's certificate for 127.0.0.1 and localhost (PEM files in ``folder``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test campus CA")).issuer_name(name("Test campus CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (folder / "server.key").chmod(0o600)


free_port = free_loopback_port


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES or os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (under CI this is a failure, not a skip: .ci/run installs slapd and ldap-utils)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    binary = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
    slapadd = shutil.which("slapadd") or ("/usr/sbin/slapadd" if Path("/usr/sbin/slapadd").exists() else None)
    if not binary or not slapadd or not Path("/etc/ldap/schema/inetorgperson.schema").exists():
        _missing("needs OpenLDAP's slapd (Debian: apt-get install slapd ldap-utils) for the LDAP door's tests")
    try:
        import ldap3  # noqa: F401
    except ImportError:
        _missing("needs ldap3 (pip install -e .) for the LDAP door")
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "db").mkdir()
    (folder / "campus.schema").write_text(SCHEMA)
    _certificates(folder)
    (folder / "slapd.conf").write_text(_slapd_conf(folder))
    (folder / "directory.ldif").write_text(_ldif())
    loaded = subprocess.run([slapadd, "-f", str(folder / "slapd.conf"), "-l", str(folder / "directory.ldif")],
                            capture_output=True, text=True, timeout=60)
    if loaded.returncode != 0:
        pytest.fail(f"slapadd could not load the test directory: {loaded.stderr[-2000:]}")
    port, tls_port = free_port(), free_port()
    uri, ldaps_uri = f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{tls_port}"
    log = (folder / "slapd.log").open("w")
    # -d 0: stay in the foreground (so the fixture owns the process) without debug output.
    process = subprocess.Popen([binary, "-f", str(folder / "slapd.conf"), "-h", f"{uri}/ {ldaps_uri}/", "-d", "0"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"slapd did not start: {(folder / 'slapd.log').read_text()[-2000:]}")
                time.sleep(0.1)
        directory = Slapd(uri=uri, ldaps_uri=ldaps_uri, ca_file=folder / "ca.pem")
        directory.add_groups()
        yield directory
    finally:
        stop(process)
        log.close()


def switch_on_ldap(settings, directory: Slapd) -> None:
    """The LDAP door switched on against the test directory: search-then-bind with the service account."""
    settings.ILLMS_SIGNIN_DOORS = ["ldap"]
    settings.ILLMS_LDAP_SERVER_URI = directory.uri
    settings.ILLMS_LDAP_START_TLS = False
    settings.ILLMS_LDAP_CA_FILE = ""
    settings.ILLMS_LDAP_BIND_DN = SERVICE_DN
    settings.ILLMS_LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.ILLMS_LDAP_USER_SEARCH_BASE = PEOPLE
    settings.ILLMS_LDAP_USER_SEARCH_FILTER = "(uid=%(user)s)"
    settings.ILLMS_LDAP_USER_DN_TEMPLATE = ""
    settings.ILLMS_LDAP_DISABLED_FILTER = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
    settings.ILLMS_LDAP_GROUP_SEARCH_BASE = GROUPS
    settings.ILLMS_LDAP_GROUP_SEARCH_FILTER = "(member=%(dn)s)"
    settings.ILLMS_LDAP_GROUP_CATEGORIES = {}
    settings.ILLMS_LDAP_STAFF_GROUPS = {}
    settings.ILLMS_LDAP_TIMEOUT = 3.0
    settings.ILLMS_SIGNIN_LIBRARIES = {**settings.ILLMS_SIGNIN_LIBRARIES, "ldap": "UNI"}


@pytest.fixture
def ldap_door(settings, slapd):
    """The LDAP door on against the test directory (reset to PERSONS), signing patrons in to library UNI."""
    from tests.factories import MemberLibraryFactory

    slapd.reset()
    library = MemberLibraryFactory(symbol="UNI", email="ill@uni.example")
    switch_on_ldap(settings, slapd)
    return library


@pytest.fixture
def silent_server():
    """An address that accepts connections and never answers (a directory hung behind a firewall): its ldap:// URI."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def hold():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()

"""A STAND-IN for HashiCorp Vault, for tests only: NOT Vault, and not a fake to run against.

No Vault server can be installed on the test machines, so this small HTTP server answers
exactly the calls apps/secrets/backends/vault.py makes through hvac, the way Vault's HTTP
API documents them:

  POST   /v1/auth/<approle mount>/login    {"role_id", "secret_id"} -> auth.client_token
  GET    /v1/<kv mount>/data/<path>        latest version of a KV v2 secret
  POST   /v1/<kv mount>/data/<path>        {"data": {...}} -> a new version
  DELETE /v1/<kv mount>/metadata/<path>    the secret with all its versions

It checks X-Vault-Token and X-Vault-Namespace, can play sealed (503), permission denied
(403) or stalled, can expire the tokens it issued, and can serve HTTPS with a CA and
certificates it makes itself (optionally requiring a client certificate). It records each
request's method, path and headers so tests can see what hvac sent.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Recorded:
    method: str
    path: str
    token: str | None
    namespace: str | None


@dataclass
class TLSFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(subject, issuer, public_key, signing_key, *, ca: bool, usage, sans=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def make_tls_files(folder: Path) -> TLSFiles:
    """A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Vault stand-in test CA")
    ca = _cert(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, usage=None)
    files = TLSFiles(*(folder / n for n in ("ca.pem", "server.pem", "server.key", "client.pem",
                                            "client.key")))  # fmt: skip
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    sans = (x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"))
    for cert_path, key_path, usage, common in (
        (files.server_cert, files.server_key, ExtendedKeyUsageOID.SERVER_AUTH, "127.0.0.1"),
        (files.client_cert, files.client_key, ExtendedKeyUsageOID.CLIENT_AUTH, "nublox"),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(_name(common), ca_name, key.public_key(), ca_key, ca=False, usage=usage,
                     sans=sans)  # fmt: skip
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
    return files


@dataclass
class VaultStandIn:
    """A stand-in for Vault's HTTP API (see the module docstring). Use as a context manager."""

    root_token: str = "standin-root-token"
    namespace: str | None = None
    role_id: str = "standin-role-id"
    secret_id: str = "standin-secret-id"
    approle_mount: str = "approle"
    kv_mount: str = "secret"
    lease_seconds: int = 3600
    tls: TLSFiles | None = None
    require_client_cert: bool = False

    sealed: bool = False
    deny: bool = False  # answer 403 to everything but login
    stall: threading.Event | None = None  # when set to an Event, hold answers until it is set
    kv: dict[str, list[dict]] = field(default_factory=dict)  # path -> versions' data
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    requests: list[Recorded] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _counter: itertools.count = field(default_factory=itertools.count)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def expire_tokens(self) -> None:
        """Forget the tokens AppRole logins issued, as when their lease runs out."""
        self.tokens.clear()

    def __enter__(self) -> VaultStandIn:
        self.tokens.add(self.root_token)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls.server_cert, self.tls.server_key)
            if self.require_client_cert:
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(self.tls.ca)
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self.stall is not None:
            self.stall.set()
        self._server.shutdown()
        self._server.server_close()

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers, body: dict) -> tuple[int, dict | None]:
        self.requests.append(
            Recorded(method, path, headers.get("X-Vault-Token"), headers.get("X-Vault-Namespace"))
        )
        if self.stall is not None:
            self.stall.wait(30)
        if self.sealed:
            return 503, {"errors": ["Vault is sealed"]}
        if self.namespace and headers.get("X-Vault-Namespace") != self.namespace:
            return 403, {"errors": ["permission denied"]}  # the path is in another namespace
        login = f"/v1/auth/{self.approle_mount}/login"
        if path == login and method in ("POST", "PUT"):
            return self._login(body)
        if self.deny or headers.get("X-Vault-Token") not in self.tokens:
            return 403, {"errors": ["permission denied"]}
        for prefix, handler in (
            (f"/v1/{self.kv_mount}/data/", self._data),
            (f"/v1/{self.kv_mount}/metadata/", self._metadata),
        ):
            if path.startswith(prefix):
                return handler(method, path[len(prefix) :], body)
        return 404, {"errors": []}

    def _login(self, body: dict) -> tuple[int, dict]:
        if (body.get("role_id"), body.get("secret_id")) != (self.role_id, self.secret_id):
            return 400, {"errors": ["invalid role or secret ID"]}
        self.logins += 1
        token = f"standin-approle-token-{next(self._counter)}"
        self.tokens.add(token)
        auth = {"client_token": token, "lease_duration": self.lease_seconds, "renewable": True}
        return 200, {"auth": auth, "data": None}

    def _data(self, method: str, path: str, body: dict) -> tuple[int, dict | None]:
        if method == "GET":
            versions = self.kv.get(path)
            if not versions:
                return 404, {"errors": []}
            meta = {"version": len(versions), "deletion_time": "", "destroyed": False}
            return 200, {"data": {"data": versions[-1], "metadata": meta}}
        if method in ("POST", "PUT"):
            self.kv.setdefault(path, []).append(dict(body.get("data") or {}))
            meta = {"version": len(self.kv[path]), "deletion_time": "", "destroyed": False}
            return 200, {"data": meta}
        return 405, {"errors": ["unsupported operation"]}

    def _metadata(self, method: str, path: str, body: dict) -> tuple[int, dict | None]:
        if method == "DELETE":
            self.kv.pop(path, None)
            return 204, None
        return 405, {"errors": ["unsupported operation"]}


def _handler_for(standin: VaultStandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, payload = standin.answer(self.command, self.path, self.headers, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")  # so a stopped stand-in is really gone
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format, *args) -> None:
            pass  # tests read `standin.requests` instead

    return Handler

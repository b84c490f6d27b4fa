"""Throwaway PostgreSQL 15, MariaDB 10.11 and Redis servers for the test suite.

Why this exists: tests talk to real servers and fail (never skip) when one is missing, so the
suite must be able to bring its own. Each run gets private servers on free loopback ports with
data under one temp dir, a test CA for TLS, fixed test accounts for every auth method the
engine speaks, and URLs (the unit of exchange) exported as NUBLOX_TEST_* variables.

Stdlib only (plus the server binaries and `openssl`), so `python3 scripts/testservices.py start`
works before the project's venv exists. Run as root, each server drops to its Debian package's
system user (PostgreSQL refuses to run as root; the others follow for symmetry).

    python3 scripts/testservices.py start [--dir D]   # prints `export K=V`, writes D/env
    python3 scripts/testservices.py stop --dir D      # stops every server, removes D
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
READY_TIMEOUT = 60.0  # seconds a server may take to answer after it was spawned
STOP_TIMEOUT = 20.0  # seconds between the polite signal and SIGKILL
PORT_RANGE = (20000, 32000)  # below Linux's ephemeral range, so clients cannot take them
PORT_ATTEMPTS = 3  # another run may take "our" free port before the server binds it

# Fixed test passwords (>= 20 chars). They protect nothing: servers listen on loopback only.
PG_PASSWORDS = {
    "nublox_admin": "pg-admin-pass-0123456789abcdef",
    "md5_user": "md5-pass-0123456789abcdef",
    "scram_user": "scram-pass-0123456789abcdef",
    "tls_only": "tls-only-pass-0123456789abcdef",
}
MARIADB_PASSWORDS = {
    "root": "mariadb-root-pass-0123456789abcdef",
    "nublox_admin": "mariadb-admin-pass-0123456789abcdef",
    "native_user": "native-pass-0123456789abcdef",
    "ed25519_user": "ed25519-pass-0123456789abcdef",
    "tls_user": "tls-pass-0123456789abcdef",
}

# pg_hba.conf: first match wins, so tls_only's lines must precede the catch-all.
PG_HBA = """\
local all all trust
hostssl all tls_only 127.0.0.1/32 scram-sha-256
hostnossl all tls_only 127.0.0.1/32 reject
host all md5_user 127.0.0.1/32 md5
host all all 127.0.0.1/32 scram-sha-256
"""

# One config for the CA and the server certificate; the extensions satisfy strict verifiers
# (Python 3.13's VERIFY_X509_STRICT wants key identifiers and a critical basicConstraints).
OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


class ServiceError(RuntimeError):
    """A server could not be prepared, started or stopped; the message says which and why."""


# ---------------------------------------------------------------- processes and ports


_CHILDREN: dict[int, subprocess.Popen] = {}  # servers spawned by this process, for reaping


def _start_time(pid: int) -> int | None:
    """Kernel start time of `pid` (None if gone or a zombie): tells a recycled pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _alive(pid: int, started: int | None) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    return started is not None and _start_time(pid) == started


def _free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (distinct: all are held until every one is picked)."""
    held: list[socket.socket] = []
    try:
        while len(held) < count:
            sock = socket.socket()
            try:
                sock.bind((HOST, random.randrange(*PORT_RANGE)))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        return [s.getsockname()[1] for s in held]
    finally:
        for sock in held:
            sock.close()


def _user_kwargs(name: str) -> dict:
    """Popen arguments that drop root to the package's system user; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        missing = f"system user {name!r} is missing: run scripts/install-deps --test"
        raise ServiceError(missing) from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _own(path: Path, user: str, mode: int) -> None:
    path.chmod(mode)
    kwargs = _user_kwargs(user)
    if kwargs:
        os.chown(path, kwargs["user"], kwargs["group"])


def _run(argv: list[str], what: str, user: str | None = None, stdin: str = "", cwd=None) -> str:
    """Run a setup command to completion; a failure names `what` and shows its output."""
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=READY_TIMEOUT,
            cwd=cwd,
            **(_user_kwargs(user) if user else {}),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceError(f"{what}: {exc}") from None
    if done.returncode != 0:
        raise ServiceError(f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _tail(log: Path, lines: int = 25) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join("    " + line for line in text)


# ---------------------------------------------------------------- the run directory


class Run:
    """One run directory: its layout, its state file (what to stop) and its spawned servers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state_file = root / "state.json"
        self.env_file = root / "env"
        self.tls = root / "tls"
        self.services: list[dict] = []

    def subdir(self, name: str, user: str) -> Path:
        path = self.root / name
        path.mkdir()
        _own(path, user, 0o755)
        return path

    def private_key_for(self, directory: Path, user: str) -> Path:
        """Servers insist their key is theirs and private, so each gets its own copy."""
        key = directory / "server.key"
        shutil.copyfile(self.tls / "server.key", key)
        _own(key, user, 0o600)
        return key

    def spawn(self, name: str, argv: list[str], log: Path, user: str, stop_signal: int):
        """Start a server in its own session (it outlives the CLI) and record it at once."""
        with open(log, "wb") as out:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=log.parent,
                    start_new_session=True,
                    **_user_kwargs(user),
                )
            except OSError as exc:
                raise ServiceError(f"{name}: cannot run {argv[0]}: {exc}") from None
        _CHILDREN[proc.pid] = proc
        started, stop_with = _start_time(proc.pid), int(stop_signal)
        entry = dict(name=name, pid=proc.pid, started=started, signal=stop_with, log=str(log))
        self.services.append(entry)
        self.save_state()
        return proc

    def listen(
        self,
        name: str,
        argv_for: Callable[[int], list[str]],
        log: Path,
        user: str,
        stop_signal: int,
        probe_for: Callable[[int], Callable[[], bool]],
    ) -> int:
        """Spawn `argv_for(port)` on a free port, wait until `probe_for(port)()`; the port.

        Between our check and the server's bind another run may take the port: the server
        then dies with "Address already in use" and we try a fresh one.
        """
        for attempt in range(1, PORT_ATTEMPTS + 1):
            (port,) = _free_ports(1)
            self.spawn(name, argv_for(port), log, user, stop_signal)
            try:
                self.wait_ready(name, probe_for(port))
            except ServiceError as exc:
                if attempt == PORT_ATTEMPTS or "already in use" not in str(exc):
                    raise
            else:
                return port
        raise AssertionError("unreachable")

    def wait_ready(self, name: str, probe: Callable[[], bool]) -> None:
        """Poll `probe` until it answers; fail early if the server died, late on timeout."""
        entry = [s for s in self.services if s["name"] == name][-1]
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            with contextlib.suppress(OSError):
                if probe():
                    return
            if not _alive(entry["pid"], entry["started"]):
                why = "exited during start-up"
                break
            if time.monotonic() > deadline:
                why = f"did not answer within {READY_TIMEOUT:.0f}s"
                break
            time.sleep(0.1)
        raise ServiceError(f"{name} {why}; tail of {entry['log']}:\n{_tail(Path(entry['log']))}")

    def save_state(self) -> None:
        self.state_file.write_text(json.dumps({"services": self.services}, indent=1))


# ---------------------------------------------------------------- TLS


def make_tls(run: Run) -> Path:
    """A test CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    run.tls.mkdir(mode=0o755)
    cnf = run.tls / "openssl.cnf"
    cnf.write_text(OPENSSL_CNF)
    ca, ca_key = run.tls / "ca.pem", run.tls / "ca.key"
    csr, cert, key = run.tls / "server.csr", run.tls / "server.pem", run.tls / "server.key"
    common = ["-config", str(cnf), "-newkey", "rsa:2048", "-nodes"]
    _run(
        ["openssl", "req", "-x509", "-new", *common, "-extensions", "ca", "-days", "3650"]
        + ["-subj", "/CN=NuBlox Test CA", "-keyout", str(ca_key), "-out", str(ca)],
        "openssl (test CA)",
    )
    _run(
        ["openssl", "req", "-new", *common, "-subj", "/CN=localhost"]
        + ["-keyout", str(key), "-out", str(csr)],
        "openssl (server key)",
    )
    _run(
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key)]
        + ["-set_serial", str(random.getrandbits(63)), "-days", "825", "-out", str(cert)]
        + ["-extfile", str(cnf), "-extensions", "server"],
        "openssl (server certificate)",
    )
    for path in (ca, cert):
        path.chmod(0o644)
    return ca


# ---------------------------------------------------------------- the three servers


def _pg_ready(socket_dir: Path, port: int) -> Callable[[], bool]:
    argv = [str(PG_BIN / "pg_isready"), "-q", "-h", str(socket_dir), "-p", str(port)]
    argv += ["-U", "postgres", "-d", "postgres", "-t", "1"]
    return lambda: subprocess.run(argv, capture_output=True).returncode == 0


def start_postgres(run: Run) -> dict[str, str]:
    home = run.subdir("pg", "postgres")
    data = home / "data"
    _run(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        + ["--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
        "PostgreSQL initdb",
        user="postgres",
        cwd=home,
    )
    settings = {
        "listen_addresses": HOST,
        "unix_socket_directories": home,
        "ssl": "on",
        "ssl_cert_file": run.tls / "server.pem",
        "ssl_key_file": run.private_key_for(home, "postgres"),
        "ssl_ca_file": run.tls / "ca.pem",
        "password_encryption": "scram-sha-256",
        "max_connections": 200,
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "log_min_messages": "warning",
        "shared_preload_libraries": "",
    }
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\n# nublox test harness\n")
        conf.writelines(f"{k} = '{v}'\n" for k, v in settings.items())
    (data / "pg_hba.conf").write_text(PG_HBA)
    # SIGINT is PostgreSQL's "fast" shutdown; its SIGTERM waits for every client to leave.
    port = run.listen(
        "PostgreSQL",
        lambda port: [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port)],
        home / "postgres.log",
        "postgres",
        signal.SIGINT,
        lambda port: _pg_ready(home, port),
    )

    p = PG_PASSWORDS
    sql = f"""
        CREATE ROLE nublox_admin SUPERUSER LOGIN PASSWORD '{p["nublox_admin"]}';
        CREATE ROLE scram_user LOGIN PASSWORD '{p["scram_user"]}';
        CREATE ROLE tls_only LOGIN PASSWORD '{p["tls_only"]}';
        SET password_encryption = 'md5';
        CREATE ROLE md5_user LOGIN PASSWORD '{p["md5_user"]}';
    """
    psql = [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(home)]
    psql += ["-p", str(port), "-U", "postgres", "-d", "postgres"]
    _run(psql, "PostgreSQL setup", stdin=sql)

    def url(user: str) -> str:
        return f"postgresql://{user}:{p[user]}@{HOST}:{port}/postgres"

    return {
        "NUBLOX_TEST_PG_URL": url("nublox_admin"),
        "NUBLOX_TEST_PG_MD5_URL": url("md5_user"),
        "NUBLOX_TEST_PG_SCRAM_URL": url("scram_user"),
        "NUBLOX_TEST_PG_TLS_ONLY_URL": url("tls_only"),
        "NUBLOX_TEST_PG_SOCKET_DIR": str(home),
    }


def _greets(port: int) -> Callable[[], bool]:
    """A MySQL-family server speaks first: any bytes on connect mean it is accepting."""

    def probe() -> bool:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            return bool(sock.recv(1))

    return probe


def start_mariadb(run: Run) -> dict[str, str]:
    home = run.subdir("mariadb", "mysql")
    data, sock = home / "data", home / "mariadb.sock"
    # A private tmpdir: at start-up mariadbd deletes every `#sql*` file in its tmpdir, which
    # in a shared /tmp belong to the other servers running at the same time.
    tmpdir = run.subdir("mariadb/tmp", "mysql")
    _run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--skip-test-db"]
        + ["--auth-root-authentication-method=normal", "--skip-name-resolve"],
        "MariaDB install-db",
        user="mysql",
        cwd=home,
    )
    argv = [
        "mariadbd",
        "--no-defaults",
        f"--datadir={data}",
        f"--socket={sock}",
        f"--bind-address={HOST}",
        f"--pid-file={home / 'mariadb.pid'}",
        f"--tmpdir={tmpdir}",
        "--skip-name-resolve",
        f"--ssl-ca={run.tls / 'ca.pem'}",
        f"--ssl-cert={run.tls / 'server.pem'}",
        f"--ssl-key={run.private_key_for(home, 'mysql')}",
        "--max-allowed-packet=64M",
        "--max-connections=200",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_general_ci",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
    ]
    port = run.listen(
        "MariaDB",
        lambda port: [*argv, f"--port={port}"],
        home / "mariadb.err",
        "mysql",
        signal.SIGTERM,
        _greets,
    )

    p = MARIADB_PASSWORDS

    def native(user: str) -> str:
        return f"IDENTIFIED VIA mysql_native_password USING PASSWORD('{p[user]}')"

    sql = f"""
        INSTALL SONAME 'auth_ed25519';
        DELETE FROM mysql.global_priv
            WHERE User = '' OR (User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1'));
        DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1');
        FLUSH PRIVILEGES;
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        ALTER USER IF EXISTS 'root'@'::1' {native("root")};
        ALTER USER 'root'@'127.0.0.1' {native("root")};
        CREATE USER 'nublox_admin'@'%' {native("nublox_admin")};
        GRANT ALL PRIVILEGES ON *.* TO 'nublox_admin'@'%' WITH GRANT OPTION;
        CREATE USER 'native_user'@'%' {native("native_user")};
        CREATE USER 'ed25519_user'@'%'
            IDENTIFIED VIA ed25519 USING PASSWORD('{p["ed25519_user"]}');
        CREATE USER 'tls_user'@'%' {native("tls_user")} REQUIRE SSL;
        GRANT ALL PRIVILEGES ON *.* TO 'native_user'@'%', 'ed25519_user'@'%', 'tls_user'@'%';
        ALTER USER 'root'@'localhost' {native("root")};
    """
    client = ["mariadb", "--no-defaults", f"--socket={sock}", "--user=root", "--batch"]
    _run(client, "MariaDB setup", stdin=sql)

    def url(user: str) -> str:
        return f"mysql://{user}:{p[user]}@{HOST}:{port}/"

    return {
        "NUBLOX_TEST_MARIADB_URL": url("nublox_admin"),
        "NUBLOX_TEST_MARIADB_ROOT_URL": url("root"),
        "NUBLOX_TEST_MARIADB_NATIVE_URL": url("native_user"),
        "NUBLOX_TEST_MARIADB_ED25519_URL": url("ed25519_user"),
        "NUBLOX_TEST_MARIADB_TLS_URL": url("tls_user"),
        "NUBLOX_TEST_MARIADB_SOCKET": str(sock),
    }


def _pongs(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    return probe


def start_redis(run: Run) -> dict[str, str]:
    home = run.subdir("redis", "redis")
    argv = ["redis-server", "--bind", HOST, "--dir", str(home), "--save", ""]
    argv += ["--appendonly", "no", "--daemonize", "no"]
    port = run.listen(
        "Redis",
        lambda port: [*argv, "--port", str(port)],
        home / "redis.log",
        "redis",
        signal.SIGTERM,
        _pongs,
    )
    return {"NUBLOX_TEST_REDIS_URL": f"redis://{HOST}:{port}/0"}


# ---------------------------------------------------------------- start / stop


def _check_reachable(root: Path) -> None:
    """As root, servers run as other users: every parent of the run dir must let them in."""
    if os.geteuid() != 0:
        return
    for parent in root.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            raise ServiceError(f"{parent} is not searchable by other users; pick a dir in /tmp")


def start(root: Path | None = None) -> dict[str, str]:
    """Start every server under `root` (a fresh temp dir if None); returns the variables.

    On any failure whatever was started is stopped and the directory removed.
    """
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="nublox-test-"))
    else:
        root = root.resolve()
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            raise ServiceError(f"{root} is not empty; give a new or empty directory")
    root.chmod(0o755)
    run = Run(root)
    run.save_state()
    try:
        _check_reachable(root)
        ca = make_tls(run)
        env = {"NUBLOX_TEST_SERVICES_DIR": str(root), "NUBLOX_TEST_CA_FILE": str(ca)}
        env |= start_postgres(run)
        env |= start_mariadb(run)
        env |= start_redis(run)
    except BaseException:
        stop(root)
        raise
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    if chromium:
        env["NUBLOX_TEST_CHROMIUM"] = chromium
    run.env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    return env


def stop(root: Path) -> None:
    """Stop every server recorded under `root` (polite signal, then SIGKILL), remove `root`."""
    state_file = root / "state.json"
    try:
        services = json.loads(state_file.read_text())["services"]
    except (OSError, ValueError, KeyError):
        services = []
    for entry in reversed(services):
        pid, started = entry["pid"], entry["started"]
        if _alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, entry["signal"])
            deadline = time.monotonic() + STOP_TIMEOUT
            while _alive(pid, started) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid, started):  # the whole group: a killed postmaster leaves backends
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        child = _CHILDREN.pop(pid, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=STOP_TIMEOUT)
    if services or state_file.exists():  # never delete a directory that is not ours
        shutil.rmtree(root, ignore_errors=True)


def reap(root: Path, parent: int) -> None:
    """Watchdog: stop the servers in `root` once process `parent` is gone (e.g. SIGKILLed)."""
    started = _start_time(parent)
    while (root / "state.json").exists():
        if not _alive(parent, started):
            stop(root)
            return
        time.sleep(1.0)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse an env file written by `start` (lines `export K=V`, shell-quoted)."""
    env = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            env[key] = value
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start all servers; print `export K=V` lines")
    p_start.add_argument("--dir", type=Path, help="run directory (default: a new temp dir)")
    p_stop = sub.add_parser("stop", help="stop the servers of a run directory and remove it")
    p_stop.add_argument("--dir", type=Path, required=True)
    p_reap = sub.add_parser("reap", help="(internal) stop --dir once --pid has exited")
    p_reap.add_argument("--dir", type=Path, required=True)
    p_reap.add_argument("--pid", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            env = start(args.dir)
            sys.stdout.write(Path(env["NUBLOX_TEST_SERVICES_DIR"], "env").read_text())
            here = Path(__file__).resolve()
            print(f"# stop with: python3 {here} stop --dir {env['NUBLOX_TEST_SERVICES_DIR']}")
        elif args.command == "stop":
            stop(args.dir.resolve())
        else:
            reap(args.dir.resolve(), args.pid)
    except ServiceError as exc:
        print(f"testservices: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the local store's master key comes from, and how a key file is kept safe.

The key is NUBLOX_MASTER_KEY (or NUBLOX_MASTER_KEY_FILE) when set, else the file
settings.SECRETS_MASTER_KEY_PATH, made on first use. A key file is created 0600 in one
step (O_EXCL), so it is never readable by others even briefly, and a key file that group
or others can read is refused rather than trusted.

Rotation (apps/secrets/rotation.py) leaves `master.key.next` beside the key file until
its renames finish. Both files present means a rotation was interrupted: the sealed
records carry the id of the key that wrapped them, and that id decides which file is
current. `finish_rotation` completes the renames under a lock, so any process may do it.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from apps.secrets.errors import SecretUnavailable

KEY_BYTES = 32
ENV_NAME = "NUBLOX_MASTER_KEY"


@dataclass(frozen=True)
class MasterKey:
    key: bytes = field(repr=False)
    id: str
    source: str  # where it came from, for messages: a path or the variable's name


def key_id(key: bytes) -> str:
    """A short name for a key: enough to tell keys apart, useless for recovering one."""
    return hashlib.sha256(b"nublox master key id\0" + key).hexdigest()[:16]


def generate() -> bytes:
    return os.urandom(KEY_BYTES)


def encode(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretUnavailable(
            f"The master key in {source} is not valid: expected base64 of {KEY_BYTES} random "
            'bytes (make one with: python -c "import os,base64;'
            'print(base64.b64encode(os.urandom(32)).decode())").'
        )
    return key


def next_path(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def retired_path(path: Path, kid: str) -> Path:
    return path.with_name(f"{path.name}.retired-{kid}")


def read_key_file(path: Path) -> bytes:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            raise SecretUnavailable(
                f"The master key file {path} can be read by other users (mode {mode:04o}); "
                f"it is refused until you run: chmod 600 {path}"
            )
        return decode(path.read_text(), str(path))
    except OSError as exc:
        raise SecretUnavailable(
            f"Cannot read the master key file {path}: {exc.strerror or exc}"
        ) from None


def write_key_file(path: Path, key: bytes) -> None:
    """Create `path` holding `key`, mode 0600 from the first instant; never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (encode(key) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def file_lock(path: Path):
    """Serialise rotations and rename recoveries between processes sharing the key file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def sealed_key_ids() -> set[str]:
    from apps.secrets.models import LocalSecret

    return set(LocalSecret.objects.values_list("key_id", flat=True).distinct())


def from_environment() -> bool:
    return bool(settings.SECRETS_MASTER_KEY)


def key_path() -> Path:
    return Path(settings.SECRETS_MASTER_KEY_PATH)


def load(*, create: bool = False) -> MasterKey:
    """The current master key. With `create`, make the key file if there is none yet."""
    if from_environment():
        key = decode(settings.SECRETS_MASTER_KEY, ENV_NAME)
        return MasterKey(key, key_id(key), ENV_NAME)
    path = key_path()
    if next_path(path).exists():
        with file_lock(path):
            return current_locked(path, create=create)
    if path.exists():
        return _from_file(path)
    return _first_key(path, create)


def current_locked(path: Path, *, create: bool) -> MasterKey:
    """`load` for a caller holding `file_lock(path)`: finishes a rotation that committed."""
    nxt = next_path(path)
    if nxt.exists():
        pending = key_id(read_key_file(nxt))
        if pending in sealed_key_ids() or not path.exists():
            finish_rotation(path)
        # else the rotation never committed, and master.key is still the current key
    if path.exists():
        return _from_file(path)
    return _first_key(path, create)


def _from_file(path: Path) -> MasterKey:
    key = read_key_file(path)
    return MasterKey(key, key_id(key), str(path))


def finish_rotation(path: Path) -> Path | None:
    """Retire the old key file and move `.next` into place. Call with `file_lock(path)` held.

    Returns where the old key now lives (None if there was no old key file).
    """
    retired = None
    if path.exists():
        retired = retired_path(path, key_id(read_key_file(path)))
        os.replace(path, retired)
    os.replace(next_path(path), path)
    _fsync_dir(path.parent)
    return retired


def _first_key(path: Path, create: bool) -> MasterKey:
    sealed = sealed_key_ids()
    if sealed:
        raise SecretUnavailable(
            f"The master key file {path} is missing, but secrets sealed with key "
            f"{', '.join(sorted(sealed))} need it: restore the file from your backup "
            f"(or set {ENV_NAME})."
        )
    if not create:
        raise SecretUnavailable(f"No master key yet: {path} does not exist.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_key_file(path, generate())
    except FileExistsError:
        pass  # another process made it first; use theirs
    except OSError as exc:
        raise SecretUnavailable(
            f"Cannot create the master key file {path}: {exc.strerror or exc}"
        ) from None
    return _from_file(path)

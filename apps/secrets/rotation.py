"""Master key rotation: re-wrap every local data key with a new master key.

Only the 32-byte data keys are re-encrypted, in one transaction, so either every record
moves to the new key or none does. With a key file the order makes a crash harmless at
any point: the new key is on disk (`master.key.next`, 0600) before any record names it,
and the renames come after the commit; `masterkey.current_locked` finishes renames that a
crash interrupted. With NUBLOX_MASTER_KEY the new key goes to a file the operator names,
and the operator switches the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from apps.secrets import masterkey
from apps.secrets.backends import local
from apps.secrets.errors import SecretUnavailable
from apps.secrets.masterkey import MasterKey


@dataclass(frozen=True)
class Rotation:
    count: int  # records re-wrapped
    old_id: str
    new_id: str
    retired: Path | None = None  # key file mode: where the old key was kept
    new_key_file: Path | None = None  # environment mode: where the new key was written


def rewrap_all(old: MasterKey, new: MasterKey) -> int:
    from apps.secrets.models import LocalSecret

    with transaction.atomic():
        records = list(LocalSecret.objects.select_for_update().select_related("ref"))
        foreign = sorted({r.key_id for r in records} - {old.id})
        if foreign:
            raise SecretUnavailable(
                f"Some secrets were sealed with another master key ({', '.join(foreign)}), "
                f"not the current one ({old.id}); nothing was changed. Restore that key first."
            )
        for record in records:
            data_key = local.unwrap(record, record.ref, old)
            record.wrapped_key, record.wrap_nonce = local.wrap(data_key, record.ref, new)
            record.key_id = new.id
        LocalSecret.objects.bulk_update(
            records, ["wrapped_key", "wrap_nonce", "key_id"], batch_size=500
        )
    return len(records)


def _fresh_key(where: Path) -> MasterKey:
    key = masterkey.generate()
    try:
        masterkey.write_key_file(where, key)
    except FileExistsError:
        raise SecretUnavailable(f"{where} already exists; choose a new file name.") from None
    except OSError as exc:
        raise SecretUnavailable(f"Cannot write {where}: {exc.strerror or exc}") from None
    return MasterKey(key, masterkey.key_id(key), str(where))


def rotate(new_key_file: Path | None = None) -> Rotation:
    if masterkey.from_environment():
        return _rotate_environment(new_key_file)
    if new_key_file is not None:
        raise SecretUnavailable(
            "--new-key-file is only for a master key given in NUBLOX_MASTER_KEY; the key file "
            f"{masterkey.key_path()} is rotated in place."
        )
    return _rotate_file(masterkey.key_path())


def _rotate_environment(new_key_file: Path | None) -> Rotation:
    if new_key_file is None:
        raise SecretUnavailable(
            "The master key comes from NUBLOX_MASTER_KEY, which this command cannot change: "
            "give --new-key-file PATH for the new key, then point the variable at it."
        )
    old = masterkey.load()
    new = _fresh_key(new_key_file)
    try:
        count = rewrap_all(old, new)
    except Exception:
        os.unlink(new_key_file)  # rolled back: the old key is still the one in use
        raise
    return Rotation(count, old.id, new.id, new_key_file=new_key_file)


def _rotate_file(path: Path) -> Rotation:
    with masterkey.file_lock(path):
        try:
            old = masterkey.current_locked(path, create=False)
        except SecretUnavailable:
            if not path.exists() and not masterkey.sealed_key_ids():
                raise SecretUnavailable(
                    f"Nothing to rotate: there is no master key yet ({path} is made when the "
                    "first secret is stored)."
                ) from None
            raise
        nxt = masterkey.next_path(path)
        if nxt.exists():
            os.unlink(nxt)  # left by a rotation that never committed: no record uses it
        new = _fresh_key(nxt)
        try:
            count = rewrap_all(old, new)
        except Exception:
            os.unlink(nxt)  # rolled back: no record uses the new key
            raise
        retired = masterkey.finish_rotation(path)
    return Rotation(count, old.id, new.id, retired=retired)

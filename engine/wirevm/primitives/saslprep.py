"""SASLprep (RFC 4013, the stringprep profile for user names and passwords).

SCRAM hashes the *prepared* password, so two spellings of the same password (a soft hyphen,
a non-ASCII space, a compatibility character) log in alike. PostgreSQL prepares the password
when it is valid UTF-8 and preparation succeeds, and otherwise uses the raw bytes
(src/common/saslprep.c); `scram_password_bytes` follows the same rule so the client derives
the key the server stored. Stored-string rules: unassigned code points are prohibited.

Errors never quote the input: it is a password.
"""

from __future__ import annotations

import stringprep
import unicodedata

from engine.errors import DataError
from engine.secret import Secret
from engine.wirevm.primitives import primitive
from engine.wirevm.primitives.passwords import password_bytes

_PROHIBITED = (
    stringprep.in_table_c12,  # non-ASCII space
    stringprep.in_table_c21,  # ASCII control
    stringprep.in_table_c22,  # non-ASCII control
    stringprep.in_table_c3,  # private use
    stringprep.in_table_c4,  # non-character code points
    stringprep.in_table_c5,  # surrogates
    stringprep.in_table_c6,  # inappropriate for plain text
    stringprep.in_table_c7,  # inappropriate for canonical representation
    stringprep.in_table_c8,  # change display properties / deprecated
    stringprep.in_table_c9,  # tagging characters
    stringprep.in_table_a1,  # unassigned in Unicode 3.2 (stored strings)
)


def _is_plain_ascii(text: str) -> bool:
    # Printable ASCII maps to itself through every step: the common case costs one scan.
    return text.isascii() and all(" " <= ch <= "~" for ch in text)


@primitive("saslprep")
def saslprep(text: str) -> str:
    """Prepare `text`; raises DataError (without the text) when RFC 4013 forbids it."""
    if not isinstance(text, str):
        raise DataError("saslprep needs a str")
    if _is_plain_ascii(text):
        return text
    # 1. Map: non-ASCII spaces to SPACE, "commonly mapped to nothing" removed.
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    # 2. Normalize (NFKC).
    out = unicodedata.normalize("NFKC", mapped)
    # 3. Prohibit.
    for ch in out:
        for table in _PROHIBITED:
            if table(ch):
                raise DataError("string contains a character SASLprep prohibits")
    # 4. Bidirectional rule (RFC 3454 §6).
    if any(stringprep.in_table_d1(ch) for ch in out):
        if any(stringprep.in_table_d2(ch) for ch in out):
            raise DataError("string mixes right-to-left and left-to-right characters")
        if not (stringprep.in_table_d1(out[0]) and stringprep.in_table_d1(out[-1])):
            raise DataError("right-to-left string must start and end with an RTL character")
    return out


@primitive("scram_password_bytes")
def scram_password_bytes(password: Secret) -> bytes:
    """The bytes SCRAM hashes: SASLprep(p) as UTF-8 when possible, else the raw bytes."""
    raw = password_bytes(password)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    try:
        return saslprep(text).encode("utf-8")
    except DataError:
        return raw

"""Anchors: the audit chain's head, signed, kept away from the data directory.

The chain alone catches an edited or deleted row, but not someone who cuts the newest rows and
rewrites the stored head to match, or rewrites the whole chain. An anchor records the head (row
number and hash) at a moment; kept elsewhere (another machine, a ticket, a printout), it lets
`sekimori audit verify --anchor FILE` check that the row it names still exists with that hash.

Anchors are signed with HMAC-SHA256 under a key derived from the data directory's audit.key, so
an anchor edited by hand, or taken from another data directory, is refused. (A public-key
signature would let a third party check an anchor without the key; the protection here comes
from the copy kept elsewhere.)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from sekimori.audit.record import VerifyReport
from sekimori.errors import InputError

VERSION = 1
ALGORITHM = "hmac-sha256"
_PURPOSE = b"sekimori audit anchor v1"  # keeps anchor signatures apart from the text hashes


@dataclass(frozen=True, slots=True)
class Anchor:
    version: int
    seq: int  # the newest row when the anchor was made (0: an empty chain)
    head_hash: str  # that row's hash
    created: float  # unix time
    algorithm: str
    signature: str = ""

    def payload(self) -> bytes:
        """What the signature covers: every field but the signature, in a fixed order."""
        fields = asdict(self)
        fields.pop("signature")
        return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def _signing_key(audit_key: bytes) -> bytes:
    return hmac.new(audit_key, _PURPOSE, hashlib.sha256).digest()


def _sign(anchor: Anchor, audit_key: bytes) -> str:
    return hmac.new(_signing_key(audit_key), anchor.payload(), hashlib.sha256).hexdigest()


def make_anchor(report: VerifyReport, audit_key: bytes) -> Anchor:
    """The signed anchor of an intact chain's head."""
    unsigned = Anchor(VERSION, report.records, report.head_hash, time.time(), ALGORITHM)
    return Anchor(**{**asdict(unsigned), "signature": _sign(unsigned, audit_key)})


def dump_anchor(anchor: Anchor) -> bytes:
    return orjson.dumps(asdict(anchor), option=orjson.OPT_INDENT_2) + b"\n"


def load_anchor(path: Path) -> Anchor:
    """Reads an anchor file; raises InputError naming the file and what is wrong with it."""
    source = str(path)
    try:
        data: Any = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the anchor: {exc.strerror}", source=source) from None
    except orjson.JSONDecodeError:
        raise InputError(
            "is not an anchor (not JSON); make one with `sekimori audit anchor --out FILE` "
            "/ アンカーファイルではありません",
            source=source,
        ) from None
    expected = {"version": int, "seq": int, "head_hash": str, "created": float}
    expected |= {"algorithm": str, "signature": str}
    if not isinstance(data, dict) or set(data) != set(expected):
        raise InputError(
            f"an anchor holds exactly the fields {', '.join(expected)} / アンカーの形式が不正です",
            source=source,
        )
    for name, kind in expected.items():
        value = data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            data[name] = float(value)
        elif not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(f"field {name!r} must be a {kind.__name__}", source=source)
    if data["version"] != VERSION or data["algorithm"] != ALGORITHM:
        raise InputError(
            f"unsupported anchor version {data['version']} / {data['algorithm']} "
            f"(this sekimori writes {VERSION} / {ALGORITHM})",
            source=source,
        )
    return Anchor(**data)


def check_anchor(
    anchor: Anchor, audit_key: bytes, report: VerifyReport, stored_hash: str | None
) -> list[str]:
    """What is wrong, comparing the anchor with the chain (`stored_hash`: its row anchor.seq)."""
    if not hmac.compare_digest(anchor.signature, _sign(anchor, audit_key)):
        return [
            "the anchor's signature does not match: it was edited, or made for another data "
            "directory (another audit.key) / アンカーの署名が一致しません"
        ]
    if stored_hash is None and anchor.seq > 0:
        return [
            f"the anchor names row {anchor.seq} but the chain has {report.records} rows: rows "
            "were cut from the end / 末尾の記録が削除されています"
        ]
    if anchor.seq > 0 and stored_hash != anchor.head_hash:
        return [
            f"row {anchor.seq} no longer has the anchored hash: the chain was rewritten "
            "/ 記録が書き換えられています"
        ]
    return []

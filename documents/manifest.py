"""The data manifest embedded in an issued PDF: what, scope, as-of, and the snapshot checksum.

The snapshot is the frozen content of the document (the numbers it prints), serialised as
canonical JSON (sorted keys, no spaces, UTF-8) so the checksum is the same wherever it is
computed. Verification of a signed copy reads the manifest back from the file and compares
the checksum with the register's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def canonical_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def snapshot_checksum(snapshot) -> str:
    """SHA-256 (hex) of the snapshot's canonical JSON."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """What the document is, for whom, as of when, and the checksum of what it shows."""

    number: str
    what: str
    title: str
    scope: str
    organization_code: str
    year: int
    issued_on: str  # ISO date
    as_of: str  # ISO datetime or ""
    snapshot_sha256: str
    version: int = MANIFEST_VERSION

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, content: bytes) -> Manifest:
        """The manifest in `content`; ValueError when it is not one."""
        try:
            data = json.loads(content.decode("utf-8"))
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError("not a manifest") from exc

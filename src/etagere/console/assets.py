"""The console's static files, served from the package under a content hash.

A file's URL changes whenever its bytes do, so browsers may cache it for a year
(``immutable``) and a new release is never shown with an old script or style sheet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    name: str
    version: str
    body: bytes
    media_type: str

    @property
    def url(self) -> str:
        return f"/static/{self.version}/{self.name}"


def load_assets() -> dict[str, Asset]:
    """Every file of the static folder, read once at start-up."""
    assets = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix in MEDIA_TYPES:
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            assets[path.name] = Asset(path.name, version, body, MEDIA_TYPES[path.suffix])
    return assets

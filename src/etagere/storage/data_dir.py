"""The data directory is private to the account running etagere.

It holds every document, the database and the URL-signing secret: readable by any local
account, it would let any of them read the documents and forge signed URLs. So the process
creates files owner-only (umask 077), the directory is 0700, and a directory left readable by
an older version or a careless ``chmod`` is fixed at start, with a warning.

A 0700 directory keeps everything beneath it out of other accounts' reach, whatever the modes
inside, so a data directory that is already private is not walked (it may hold millions of
files); one that is not gets every entry fixed (0700 directories, 0600 files).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("etagere.storage")

PRIVATE_UMASK = 0o077
SHARED_BITS = 0o077


def prepare_data_dir(path: Path) -> int:
    """Create ``path`` owner-only (or make it so); how many entries had to be fixed."""
    os.umask(PRIVATE_UMASK)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not stat.S_IMODE(path.stat().st_mode) & SHARED_BITS:
        return 0
    fixed = _make_private(path)
    log.warning(
        "the data directory was readable by other accounts; made it owner-only",
        extra={"data_dir": str(path), "entries_fixed": fixed},
    )
    return fixed


def _make_private(root: Path) -> int:
    fixed = _restrict(root)
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            fixed += _restrict(Path(directory) / name)
    return fixed


def _restrict(path: Path) -> int:
    """Remove group and other permissions from one entry (symlinks are left alone)."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & SHARED_BITS:
        return 0
    os.chmod(path, stat.S_IMODE(mode) & ~SHARED_BITS)
    return 1

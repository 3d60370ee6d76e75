"""Where the workplace's shared reference data lives (``shared/data/banking``: CAMT.053 samples and ISO
schemas). The tests read it in place and never copy it into the project.

It sits beside the project's checkout (``../shared``). A clone made elsewhere (a temporary directory, as CI
does) finds it beside the repository it was cloned from; ``TNW_SHARED_DIR`` names it explicitly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("TNW_SHARED_DIR"):
        found.append(Path(os.environ["TNW_SHARED_DIR"]))
    found.append(PROJECT_ROOT.parent / "shared")
    try:
        origin = subprocess.run(["git", "-C", str(PROJECT_ROOT), "config", "--get", "remote.origin.url"],
                                capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except OSError:
        origin = ""
    if origin and "://" not in origin and Path(origin).is_dir():
        found.append(Path(origin).resolve().parent / "shared")
    return found


def shared_dir() -> Path:
    """The shared folder (the first candidate holding ``data/banking``), or the first candidate if none does,
    so that a test reading from it fails with the path it looked at."""
    candidates = _candidates()
    return next((c for c in candidates if (c / "data" / "banking").is_dir()), candidates[0])


BANKING = shared_dir() / "data" / "banking"

"""gunicorn.conf.py's worker hook freezes the worker's loaded objects out of the garbage
collector's full collections."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


def test_post_worker_init_freezes_what_is_loaded():
    hooks = runpy.run_path(str(CONF))
    try:
        hooks["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 10_000
        assert len(gc.get_objects()) < gc.get_freeze_count() / 2
    finally:
        gc.unfreeze()

"""Scratch files. INTENTIONALLY VULNERABLE test data for SecuLite: never deploy."""

import tempfile


def scratch_path(prefix="vp-"):
    path = ""
    path = tempfile.mktemp(prefix=prefix)
    return path

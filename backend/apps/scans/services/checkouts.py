"""One checkout per scan and target, shared by every tool of the scan.

`scan_run` prepares each git or archive target once (`checkouts_prepare`), before any tool
starts, and records what it got in `Scan.checkouts` ({"ref", "ref_type", "commit"}). Tool runs
on the same host reuse that tree; a tool run on another host finds no local tree and fetches
exactly the recorded commit (or re-extracts the archive with the recorded digest), never the
branch head again. Git targets are checked out at the ref the scan asks for (`Scan.ref`),
else their own branch, tag or commit; `checkouts_ref_record` then writes on the scan the
commit (and, when no ref was asked, the ref) its only git target was checked out at. Trees
live under SECULITE_CHECKOUT_DIR/scan-<id>/ and are removed when the
scan ends (finalize, reaper; a cancelled scan is finalized too) and by a sweep of each host.
"""

from __future__ import annotations

import fcntl
import json
import logging
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.scans.models import SCAN_FINAL_STATUSES, Scan, ScanToolResult
from apps.targets import validators
from apps.targets.preparation import Checkout, TargetPreparationError, prepare_checkout

logger = logging.getLogger(__name__)

# Target types whose tree is prepared once per scan (a codebase path is scanned in place).
SHARED_TYPES = (validators.GIT_REPOSITORY, validators.FILE_UPLOAD)
_READY = "checkout.json"


def _root() -> Path:
    root = Path(settings.SECULITE_CHECKOUT_DIR)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _scan_dir(scan_id: int) -> Path:
    return _root() / f"scan-{scan_id}"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between the worker processes of this host."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _recorded(scan_id: int, target_id: int) -> tuple[dict[str, str] | None, str]:
    """The scan's recorded checkout of the target (None before the first), and the ref the
    scan asked for ("" for each target's own)."""
    row = Scan.objects.filter(pk=scan_id).values_list("checkouts", "ref").first()
    checkouts, ref = row or ({}, "")
    entry = (checkouts or {}).get(str(target_id))
    return (dict(entry) if entry else None), ref


def _record(scan_id: int, target_id: int, entry: dict[str, str]) -> dict[str, str]:
    """Store `entry` unless another host recorded one first; return the one that counts."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        checkouts = dict(scan.checkouts or {})
        if str(target_id) in checkouts:
            return dict(checkouts[str(target_id)])
        checkouts[str(target_id)] = entry
        scan.checkouts = checkouts
        scan.save(update_fields=["checkouts", "updated_at"])
    return entry


def checkout_ensure(*, scan_id: int, target: Any) -> Checkout:
    """This host's tree of `target` for the scan, prepared on first use.

    The first preparation of the scan resolves the target's ref and records the commit; every
    later one (another host, a redelivered task) checks out exactly what was recorded.
    """
    if target.asset_type not in SHARED_TYPES:
        return prepare_checkout(target, workdir=_scan_dir(scan_id))  # in place: nothing to copy
    folder = _scan_dir(scan_id) / f"target-{target.pk}"
    with _locked(folder.with_suffix(".lock")):
        ready = folder / _READY
        if ready.is_file():
            saved = json.loads(ready.read_text())
            return Checkout(path=Path(saved.pop("path")), **saved)
        shutil.rmtree(folder, ignore_errors=True)  # a half-done attempt of a dead worker
        recorded, ref = _recorded(scan_id, target.pk)
        checkout = prepare_checkout(target, workdir=folder, recorded=recorded, ref=ref)
        if recorded is None:
            winner = _record(scan_id, target.pk, checkout.record())
            if winner != checkout.record():  # another host was first: use its commit
                shutil.rmtree(folder, ignore_errors=True)
                checkout = prepare_checkout(target, workdir=folder, recorded=winner)
        ready.write_text(
            json.dumps(
                {
                    "path": str(checkout.path),
                    "ref": checkout.ref,
                    "ref_type": checkout.ref_type,
                    "commit": checkout.commit,
                    "sha256": checkout.sha256,
                }
            )
        )
    return checkout


def checkouts_prepare(*, scan_id: int, result_ids: Iterable[int]) -> dict[int, str]:
    """Prepare the shared trees of the scan's pending tool runs, once per target, before any
    tool starts. Returns {result id: reason} for the runs whose target could not be prepared."""
    results = ScanToolResult.objects.filter(
        pk__in=list(result_ids), target__asset_type__in=SHARED_TYPES
    ).select_related("target")
    by_target: dict[int, list[ScanToolResult]] = {}
    for result in results:
        if result.target is not None:
            by_target.setdefault(result.target.pk, []).append(result)
    failures: dict[int, str] = {}
    for runs in by_target.values():
        try:
            checkout_ensure(scan_id=scan_id, target=runs[0].target)
        except TargetPreparationError as exc:
            failures.update((run.pk, str(exc)) for run in runs)
        except Exception as exc:  # a crash fails this target's runs, not the whole scan
            logger.exception("preparing target %s of scan %s crashed", runs[0].target_id, scan_id)
            # The OS's own words help ("File name too long"); its paths stay in the log.
            detail = f" ({exc.strerror})" if isinstance(exc, OSError) and exc.strerror else ""
            reason = f"Internal error while preparing the target: {exc.__class__.__name__}{detail}."
            failures.update((run.pk, reason) for run in runs)
    return failures


def checkouts_ref_record(*, scan_id: int) -> None:
    """Write on the scan the commit its only git target was checked out at and, when the scan
    asked for no ref, the branch or tag that was (it stays a scan of the default branch)."""
    git_targets = set(
        ScanToolResult.objects.filter(
            scan_id=scan_id, target__asset_type=validators.GIT_REPOSITORY
        ).values_list("target_id", flat=True)
    )
    if len(git_targets) != 1:
        return
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        entry = (scan.checkouts or {}).get(str(git_targets.pop()))
        if not entry or not entry.get("commit"):
            return
        scan.commit_sha = scan.commit_sha or str(entry["commit"])
        # An asked ref is kept as asked; a pinned commit or an unnamed HEAD is no ref.
        resolved = str(entry.get("ref") or "")
        if not scan.ref and entry.get("ref_type") != "commit" and resolved != "HEAD":
            scan.ref = resolved
        scan.save(update_fields=["commit_sha", "ref", "updated_at"])


def checkouts_remove(*, scan_id: int) -> None:
    """Remove this host's trees of the scan."""
    shutil.rmtree(_scan_dir(scan_id), ignore_errors=True)


def checkouts_sweep() -> int:
    """Remove this host's trees of scans that have ended or no longer exist; how many."""
    folders = {}
    for path in _root().glob("scan-*"):
        suffix = path.name.removeprefix("scan-")
        if path.is_dir() and suffix.isdigit():
            folders[int(suffix)] = path
    live = set(
        Scan.objects.filter(pk__in=list(folders))
        .exclude(status__in=SCAN_FINAL_STATUSES)
        .values_list("id", flat=True)
    )
    removed = 0
    for scan_id, path in folders.items():
        if scan_id not in live:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed

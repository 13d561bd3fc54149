"""The sandbox every tool run gets: bubblewrap namespaces, a scrubbed environment, rlimits.

Why bubblewrap: it is the small, audited setuid-free helper Flatpak builds on, packaged by
Debian, and needs nothing but the kernel's namespaces (no daemon, no config files). nsjail
is not in Debian stable and wants a protobuf config per profile; firejail is setuid-root with
a long CVE history and profile files that change its behaviour; `systemd-run` needs a running
systemd (absent in containers and on many workers) and offers no file-system view of its own.

A tool sees: the system's /usr (and the /bin, /lib symlinks), the few /etc files programs
need, its own installation (scanner virtualenv, interpreter) and the files its argv names,
all read-only; the scanned tree read-only; its output directory and a private temporary home
writable; a fresh /proc, /dev and /tmp; no network namespace of the host unless the adapter
says `needs_network`. It never sees /var, /run (database sockets), /home, /root or the
worker's environment. When the worker is root, the tool itself runs as an unprivileged uid
(`setpriv`), so the process limit holds and root-only files stay closed.

If bubblewrap is missing or the host refuses namespaces, the run still gets the scrubbed
environment and the resource limits, and reports isolation "reduced".
"""

from __future__ import annotations

import functools
import glob
import os
import resource
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SANDBOXED = "sandboxed"
REDUCED = "reduced"
UNSANDBOXED = "none"

TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Top-level system directories (or merged-/usr symlinks) every program needs, read-only.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# /etc entries programs need (libc, TLS roots, DNS for network tools, Debian alternatives).
ETC_ENTRIES = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "crypto-policies",
    "debian_version",
    "gai.conf",
    "group",
    "host.conf",
    "hosts",
    "java-*",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "pki",
    "protocols",
    "resolv.conf",
    "services",
    "ssl",
    "testssl",
    "timezone",
)
# Never bound from a command's paths (the few /etc files above are bound on their own).
NEVER_BOUND = ("/etc", "/proc", "/sys", "/dev", "/run", "/var/run", "/boot")
# The uid tools run as when the worker is root ("nobody").
UNPRIVILEGED_ID = 65534
SELF_TEST_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Limits:
    """Per-process resource limits (setrlimit): CPU seconds, writable data segment bytes,
    processes of the tool's uid, and the largest file any tool process may write."""

    cpu_seconds: int
    memory_bytes: int
    processes: int
    file_bytes: int


@dataclass(frozen=True)
class Sandbox:
    """What one tool run may touch besides the system: `read_only` trees (the target),
    `writable` directories (its output), the host network only when `network`, and a
    persistent home for tools that keep a database cache (else a fresh temporary one)."""

    network: bool = False
    read_only: tuple[Path, ...] = ()
    writable: tuple[Path, ...] = ()
    persistent_home: Path | None = None


def _setting(name: str, default: Any) -> Any:
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # settings not configured (a plain script): the defaults apply
        return default


def default_limits(*, timeout_seconds: float, max_output_bytes: int) -> Limits:
    """Limits from settings; a file may grow one byte past the output cap so the runner can
    tell a tool that hit the cap from one that wrote exactly the cap."""
    return Limits(
        cpu_seconds=max(1, int(timeout_seconds)) + 5,
        memory_bytes=int(_setting("SECULITE_TOOL_MEMORY_MAX_BYTES", 4 * 1024**3)),
        processes=int(_setting("SECULITE_TOOL_MAX_PROCESSES", 512)),
        file_bytes=max_output_bytes + 1,
    )


def limits_preexec(limits: Limits) -> Callable[[], None]:
    """setrlimit in the child before exec. RLIMIT_DATA, not RLIMIT_AS: Node and Go reserve
    many GiB of address space they never use, and RLIMIT_AS would kill them at start."""

    def apply() -> None:
        for kind, value in (
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_DATA, limits.memory_bytes),
            (resource.RLIMIT_NPROC, limits.processes),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_CORE, 0),
        ):
            _soft, hard = resource.getrlimit(kind)
            capped = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (capped, capped))

    return apply


def tool_environment(extra: Mapping[str, str], *, home: Path) -> dict[str, str]:
    """A fresh environment from an allow-list: never the worker's (SECRET_KEY, database and
    broker URLs stay out); `extra` is the adapter's own additions (ToolCommand.env)."""
    tmpdir = home / "tmp"
    env = {
        "PATH": TOOL_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _is_under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _prefix(executable: Path) -> Path:
    """The installation a program belongs to: `<prefix>/bin/tool` → `<prefix>`."""
    return executable.parent.parent if executable.parent.name == "bin" else executable.parent


def _interpreter(path: Path) -> Path | None:
    """The `#!` interpreter of a script (`/usr/bin/env x` is resolved on the tool PATH)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", "replace").split()
    if not parts:
        return None
    if Path(parts[0]).name == "env" and len(parts) > 1:
        found = shutil.which(parts[1], path=TOOL_PATH)
        return Path(found) if found else None
    return Path(parts[0])


def program_paths(argv: Sequence[str], env: Mapping[str, str]) -> list[Path]:
    """Read-only paths the command needs outside the system dirs: the program's own
    installation (a scanner virtualenv, its interpreter's prefix) and the files of SecuLite's
    adapters or the scanners that its argv or environment names (rules, configs,
    node_modules). Nothing else a command names becomes visible."""
    from apps.tools.adapters.base import scanners_home

    scanners = scanners_home().resolve()
    system = [Path(d) for d in SYSTEM_DIRS]
    never = [Path(d) for d in NEVER_BOUND]
    private = _private_paths()
    found: list[Path] = []

    home = Path.home().resolve()

    def add(path: Path) -> bool:
        if _is_under(path, system) or path in found:
            return True
        # Never "/" or a top-level dir, never /etc, /proc, /run…, never the worker's own
        # state (secret key file, SQLite database, uploads) or a folder holding it, never a
        # folder holding the worker's home (~/.ssh and the like).
        if len(path.parts) < 3 or _is_under(path, never) or _is_under(home, [path]):
            return False
        if any(_is_under(secret, [path]) or _is_under(path, [secret]) for secret in private):
            return False
        if _is_under(path, [scanners]) and path != scanners:
            path = scanners / path.relative_to(scanners).parts[0]
        found.append(path)
        return True

    programs = [Path(argv[0])]
    seen: set[Path] = set()
    while programs:
        program = programs.pop()
        if not program.is_absolute() or program in seen:
            continue
        seen.add(program)
        resolved = program.resolve()
        for path in {program, resolved}:
            # The whole installation, else (a program in ~/bin) the program file alone.
            if not add(_prefix(path)):
                add(path)
        interpreter = _interpreter(resolved)
        if interpreter is not None:
            programs.append(interpreter)
    # Data the command names: only SecuLite's own (rules, configs) and the scanners' files.
    data_roots = [scanners, Path(__file__).resolve().parent / "adapters"]
    for token in [*argv[1:], *env.values()]:
        for part in token.replace("=", os.pathsep).split(os.pathsep):
            if part.startswith("/") and os.path.exists(part):
                path = Path(part).resolve()
                if _is_under(path, data_roots):
                    add(path)
    # A path inside another one is visible already (and cannot be a mount point in it).
    return [path for path in found if not any(p != path and _is_under(path, [p]) for p in found)]


def _private_paths() -> list[Path]:
    """The worker's own state (secret key file, SQLite database, uploads), never bound."""
    from seculite_api.env import VAR_DIR

    paths = [Path(VAR_DIR)]
    media = _setting("MEDIA_ROOT", None)
    if media:
        paths.append(Path(str(media)))
    return [path.resolve() for path in paths]


def _bwrap() -> str | None:
    return shutil.which("bwrap", path=TOOL_PATH)


def run_as_root() -> bool:
    return os.geteuid() == 0


def bwrap_argv(
    sandbox: Sandbox,
    *,
    home: Path,
    cwd: Path,
    program: Sequence[Path],
    bwrap: str,
) -> list[str]:
    """The bubblewrap prefix for one run; the tool's argv follows it."""
    args = [
        bwrap,
        "--die-with-parent",
        "--new-session",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "seculite-tool",
    ]
    if not sandbox.network:
        args.append("--unshare-net")
    if run_as_root():
        # Root keeps only what `setpriv` needs to drop to the unprivileged uid.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    args += ["--perms", "0755", "--dir", "/etc"]
    for pattern in ETC_ENTRIES:
        for entry in sorted(glob.glob(f"/etc/{pattern}")):
            args += ["--ro-bind", entry, entry]
    # A fresh /proc (this pid namespace only) and /dev; /dev/shm for POSIX semaphores.
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"]  # noqa: S108
    args += _mounts(
        program=program, writable=sandbox.writable, read_only=sandbox.read_only, home=home
    )
    args += ["--chdir", str(cwd)]
    if run_as_root():
        setpriv = shutil.which("setpriv", path=TOOL_PATH) or "/usr/bin/setpriv"
        args += [
            "--",
            setpriv,
            f"--reuid={UNPRIVILEGED_ID}",
            f"--regid={UNPRIVILEGED_ID}",
            "--clear-groups",
            "--no-new-privs",
        ]
    args.append("--")
    return args


def _mounts(
    *,
    program: Sequence[Path],
    writable: Sequence[Path],
    read_only: Sequence[Path],
    home: Path,
) -> list[str]:
    """bwrap mount options, parents before children (so the tree stays read-only inside a
    writable work dir), with every missing parent created 0755 (bwrap's default, 0700,
    would keep the unprivileged tool out)."""
    binds = [*writable, *read_only, home]
    mounts: list[tuple[Path, str]] = [(Path("/tmp"), "--tmpfs")]  # noqa: S108 - fresh tmpfs
    mounts += [(path, "--ro-bind") for path in program if not _is_under(path, binds)]
    mounts += [(path, "--bind") for path in writable]
    mounts += [(path, "--ro-bind") for path in read_only]
    mounts.append((home, "--bind"))
    bound = [path for path, kind in mounts if kind != "--tmpfs"]
    parents: set[Path] = set()
    for path, _kind in mounts:
        for parent in path.parents:
            if len(parent.parts) > 1 and not any(_is_under(parent, [b]) for b in bound):
                parents.add(parent)
    parents -= {path for path, _kind in mounts}
    mounts += [(parent, "--dir") for parent in parents]
    order = {"--tmpfs": 0, "--dir": 1, "--bind": 2, "--ro-bind": 3}
    args: list[str] = []
    for path, kind in sorted(mounts, key=lambda item: (len(item[0].parts), order[item[1]])):
        if kind == "--tmpfs":
            args += ["--perms", "1777", "--tmpfs", str(path)]
        elif kind == "--dir":
            args += ["--perms", "0755", "--dir", str(path)]
        else:
            args += [kind, str(path), str(path)]
    return args


def prepare_writable(paths: Sequence[Path]) -> None:
    """A root worker hands the writable dirs to the unprivileged tool uid (0711: bubblewrap,
    root without capabilities, must still enter them)."""
    if not run_as_root():
        return
    for path in paths:
        os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
        os.chmod(path, 0o711)  # noqa: S103 - traverse only; the tool uid owns it


@functools.lru_cache(maxsize=1)
def self_test() -> tuple[bool, str]:
    """Can this host give a tool its namespaces? One tiny sandboxed run per worker process."""
    bwrap = _bwrap()
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed on this worker"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="seculite-sandbox-test-") as tmp:
        home = Path(tmp)
        prepare_writable([home])
        true = shutil.which("true", path=TOOL_PATH) or "/bin/true"
        argv = [
            *bwrap_argv(Sandbox(), home=home, cwd=home, program=[], bwrap=bwrap),
            true,
        ]
        try:
            done = subprocess.run(  # noqa: S603 - argv list, no shell
                argv,
                capture_output=True,
                timeout=SELF_TEST_TIMEOUT_SECONDS,
                env={"PATH": TOOL_PATH},
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"bubblewrap could not start: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        detail = reason[0].replace(str(home), "<test dir>")[:200]
        return False, f"bubblewrap cannot create namespaces here: {detail}"
    return True, ""


def isolation_status() -> dict[str, object]:
    """What isolation tool runs on this host get (cached self-test)."""
    mode = str(_setting("SECULITE_TOOL_SANDBOX", "auto"))
    if mode == "off":
        return {"isolation": REDUCED, "reason": "SECULITE_TOOL_SANDBOX=off"}
    ok, reason = self_test()
    return {"isolation": SANDBOXED if ok else REDUCED, "reason": reason}


STATUS_CACHE_KEY = "seculite:tool-isolation"


def report_status(status: Mapping[str, object]) -> None:
    """Workers publish what their last tool run got, for the health page of the API host
    (which may be another container with another security profile)."""
    try:
        from django.core.cache import cache
        from django.utils import timezone

        cache.set(
            STATUS_CACHE_KEY,
            {**status, "host": os.uname().nodename, "at": timezone.now().isoformat()},
            timeout=7 * 24 * 3600,
        )
    except Exception:  # noqa: S110 - a cache outage must never fail a tool run
        pass


def reported_status() -> dict[str, object] | None:
    try:
        from django.core.cache import cache

        value = cache.get(STATUS_CACHE_KEY)
    except Exception:  # the cache is down: fall back to the local check
        return None
    return dict(value) if isinstance(value, dict) else None


def sandbox_for(adapter: Any, command: Any, tree: Path | None) -> Sandbox:
    """The sandbox of an adapter's run: its tree read-only, its output dir writable, the
    network only if the adapter `needs_network`, a kept home if it `keeps_cache`."""
    home = None
    if getattr(adapter, "keeps_cache", False):
        base = Path(str(_setting("SECULITE_TOOL_CACHE_DIR", Path.home() / ".cache" / "seculite")))
        home = base / str(adapter.tool_id)
        home.mkdir(parents=True, exist_ok=True)
    return Sandbox(
        network=bool(getattr(adapter, "needs_network", False)),
        read_only=(Path(tree).resolve(),) if tree is not None else (),
        writable=(Path(command.output_path).parent.resolve(),),
        persistent_home=home,
    )

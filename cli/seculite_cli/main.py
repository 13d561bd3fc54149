"""The `seculite` commands: `import` a report, run a server-side `scan`, and `gate` a merge on
the new findings of a scan compared with a base ref.

Exit codes: 0 success; 1 the gate failed (a new finding at or above --fail-on) or a waited-for
scan did not end `completed`; 2 usage, configuration, connection, authentication or HTTP
errors, with one line on stderr and never a traceback.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from seculite_cli import __version__
from seculite_cli.client import Api, CliError, api_connect
from seculite_cli.gate import (
    compare_get,
    scan_check_judgeable,
    scan_of_ref,
    verdict_make,
)
from seculite_cli.reports import (
    finding_location,
    finding_url,
    junit_xml,
    markdown_comment,
    sarif_text,
    summary_text,
)
from seculite_cli.resolve import (
    configuration_resolve,
    project_resolve,
    project_targets,
    target_resolve,
)
from seculite_cli.scans import FINAL_STATUSES, Waiting, scan_wait, summary_line

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "blue",
    "informational": "dim",
    "unknown": "dim",
}

app = typer.Typer(
    name="seculite",
    help="SecuLite from the command line and CI: import reports, run scans, gate merges.\n\n"
    "Configure with SECULITE_URL (the web app's address) and SECULITE_TOKEN (an API key).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class Runtime:
    """What a command runs with; tests pass their own (a mock transport, no waiting) as the
    click context's `obj`."""

    transport: httpx.BaseTransport | None = None
    waiting: Waiting = field(default_factory=Waiting)


def _runtime(ctx: typer.Context) -> Runtime:
    return ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()


def _stdout() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, width=160)  # CI logs: do not wrap at 80 columns
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@contextmanager
def _session(ctx: typer.Context, url: str | None, token: str | None) -> Iterator[Api]:
    """An Api for the command; any CliError (or a surprise from the server) ends the command
    with one line on stderr and exit code 2."""
    api: Api | None = None
    try:
        runtime = _runtime(ctx)
        waiting = runtime.waiting
        waiting.interval = float(os.environ.get("SECULITE_POLL_INTERVAL", waiting.interval))
        api = api_connect(url=url, token=token, transport=runtime.transport)
        yield api
    except CliError as exc:
        typer.echo(f"seculite: error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        typer.echo(f"seculite: error: {exc.strerror or exc}: {exc.filename or ''}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if os.environ.get("SECULITE_DEBUG"):
            raise
        typer.echo(
            f"seculite: error: unexpected answer from the server ({type(exc).__name__}: {exc}); "
            "set SECULITE_DEBUG=1 for details",
            err=True,
        )
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        if api is not None:
            api.close()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seculite {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """SecuLite from the command line and CI."""


UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="SECULITE_URL",
        show_envvar=True,
        show_default=False,
        help="The SecuLite web app's address, e.g. https://seculite.example.com.",
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SECULITE_TOKEN",
        show_envvar=True,
        show_default=False,
        help="An API key (sent as `Authorization: Token <key>`; prefer the variable).",
    ),
]
ProjectOption = Annotated[str, typer.Option("--project", "-p", help="Project id or name.")]
WaitFlag = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="Wait for the scan to end, with live progress on stderr; exit 0 if it completes, "
        "1 otherwise.",
    ),
]
WaitTimeout = Annotated[
    float,
    typer.Option(
        "--timeout", min=1, help="Seconds to wait for the scan to end.", show_default=True
    ),
]


def _scan_wait(api: Api, ctx: typer.Context, scan_id: int, timeout: float) -> dict[str, Any]:
    """The scan's status once it has ended, with live progress on stderr meanwhile."""
    waiting = _runtime(ctx).waiting
    waiting.timeout = timeout
    return scan_wait(api, scan_id, console=_stderr(), waiting=waiting)


def _scan_report(
    api: Api, ctx: typer.Context, scan_id: int, started: str, *, wait: bool, timeout: float
) -> int:
    """Print what started the scan (`started`) and its page; with `wait`, follow it to its end
    and print its summary. The command's exit code: 1 when a waited-for scan did not end
    `completed`."""
    _stdout().print(f"{started}: {api.web_url(f'/scans/{scan_id}')}")
    if not wait:
        return EXIT_OK
    status = _scan_wait(api, ctx, scan_id, timeout)
    _stdout().print(f"{summary_line(status)}\n{api.web_url(f'/scans/{scan_id}')}")
    return EXIT_OK if status.get("status") == "completed" else EXIT_FAILED


# --- import --------------------------------------------------------------------------------


def _import_target_fields(
    api: Api,
    project: dict[str, Any],
    target: str | None,
    target_type: str | None,
    target_identifier: str | None,
) -> dict[str, str]:
    """The upload's target fields: an existing target's id, or a name and type (the server
    reuses the target of that name and type, or creates it)."""
    if target_type:
        if not target:
            raise CliError("--target-type needs --target NAME (the target to reuse or create)")
        fields = {"target_name": target, "target_type": target_type}
        if target_identifier:
            fields["target_identifier"] = target_identifier
        return fields
    if target_identifier:
        raise CliError("--target-identifier only goes with --target NAME --target-type TYPE")
    if target:
        hint = ": add --target-type TYPE (e.g. git_repository) to create it"
        return {"target": str(target_resolve(api, project, target, missing_hint=hint)["id"])}
    targets = project_targets(api, project)
    if len(targets) == 1:
        return {"target": str(targets[0]["id"])}
    name = project.get("name", project["id"])
    if not targets:
        raise CliError(
            f"project {name!r} has no target yet: name one with --target NAME --target-type TYPE"
        )
    raise CliError(f"project {name!r} has {len(targets)} targets: choose one with --target")


@app.command("import")
def import_report(
    ctx: typer.Context,
    report: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=True,
            dir_okay=False,
            readable=True,
            help="The report file (e.g. semgrep.json, results.sarif).",
        ),
    ],
    project: ProjectOption,
    report_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="The report's format: a tool id (semgrep, bandit, trivy, …), sarif or generic "
            "(GET /api/v1/imports/formats/ lists them).",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(
            help="Target id or name; with --target-type, created when the project has no "
            "target of that name. Optional when the project has exactly one target."
        ),
    ] = None,
    target_type: Annotated[
        str | None,
        typer.Option(
            help="Type of the target to reuse or create: git_repository, codebase_path, url, "
            "container_image, file_upload, ip_range or domain."
        ),
    ] = None,
    target_identifier: Annotated[
        str | None,
        typer.Option(help="A new target's identifier (repository URL, image, …)."),
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option(help="The ref the report looked at: branch, tag, refs/pull/12/head, …"),
    ] = None,
    commit: Annotated[str | None, typer.Option(help="The commit (7-64 hex digits).")] = None,
    tool_version: Annotated[
        str | None, typer.Option(help="The version of the tool that wrote the report.")
    ] = None,
    source_root: Annotated[
        Path | None,
        typer.Option(
            help="The folder the tool scanned; absolute file paths under it are stored relative "
            "to it, so findings match across CI runners. Default: the current directory."
        ),
    ] = None,
    wait: WaitFlag = False,
    timeout: WaitTimeout = 3600.0,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Upload a report: it becomes a scan of trigger `import`, processed by the worker."""
    with _session(ctx, url, token) as api:
        found = project_resolve(api, project)
        data = _import_target_fields(api, found, target, target_type, target_identifier)
        data["format"] = report_format
        for name, value in (("ref", ref), ("commit", commit), ("tool_version", tool_version)):
            if value:
                data[name] = value
        data["source_root"] = str((source_root or Path.cwd()).resolve())
        with report.open("rb") as handle:  # streamed by httpx, never read whole
            response = api.request(
                "POST",
                f"/projects/{found['id']}/imports/",
                data=data,
                files={"file": (report.name, handle, "application/octet-stream")},
            )
        scan = api.json(response)
        scan_id = int(scan["id"])
        started = (
            f"Imported {report.name} into project {found.get('name')!r} as scan {scan_id} "
            f"({scan.get('status')})"
        )
        exit_code = _scan_report(api, ctx, scan_id, started, wait=wait, timeout=timeout)
    raise typer.Exit(exit_code)


# --- scan ----------------------------------------------------------------------------------


@app.command("scan")
def scan_run(
    ctx: typer.Context,
    project: ProjectOption,
    configuration: Annotated[
        str, typer.Option("--configuration", "-c", help="Scan configuration id or name.")
    ],
    ref: Annotated[
        str | None,
        typer.Option(help="Scan this ref instead of each target's default branch."),
    ] = None,
    wait: WaitFlag = False,
    timeout: WaitTimeout = 3600.0,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Start a server-side scan of a configuration (optionally at a ref)."""
    with _session(ctx, url, token) as api:
        found = project_resolve(api, project)
        config = configuration_resolve(api, found, configuration)
        scan = api.post(
            f"/projects/{found['id']}/scan-configurations/{config['id']}/start/",
            json={"ref": ref} if ref else None,
        )
        scan_id = int(scan["id"])
        if ref and scan.get("ref") != ref:
            _stderr().print(
                f"warning: the server did not record ref {ref!r} on scan {scan_id} "
                "(a SecuLite without refs scans the default branch)"
            )
        started = (
            f"Started scan {scan_id} of {config.get('name')!r} in project {found.get('name')!r}"
        )
        exit_code = _scan_report(api, ctx, scan_id, started, wait=wait, timeout=timeout)
    raise typer.Exit(exit_code)


# --- gate ----------------------------------------------------------------------------------


class FailOn(enum.StrEnum):
    """The severity a new finding must reach to fail the gate (`none`: never)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"
    NONE = "none"


def _findings_table(new: list[dict[str, Any]], web_url: str) -> Table:
    table = Table(title="New findings", title_justify="left", expand=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Location", overflow="fold")
    table.add_column("Tool", no_wrap=True)
    table.add_column("Finding", overflow="fold")
    for finding in new:
        severity = str(finding.get("severity", "unknown"))
        tool = finding.get("tool") if isinstance(finding.get("tool"), dict) else {}
        table.add_row(
            Text(severity, style=SEVERITY_STYLE.get(severity, "")),
            Text(str(finding.get("title", ""))),
            Text(finding_location(finding)),
            Text(str((tool or {}).get("name") or "")),
            Text(finding_url(web_url, finding)),
        )
    return table


@app.command("gate")
def gate(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Project id or name (required with --ref)."),
    ] = None,
    scan: Annotated[int | None, typer.Option("--scan", help="The scan to judge.")] = None,
    ref: Annotated[
        str | None,
        typer.Option(help="Judge the project's latest scan of this ref (instead of --scan)."),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(
            help="Base ref (or scan id) to compare with; default: each target's default branch."
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            case_sensitive=False,
            help="Fail when a new finding is at least this severe (none never fails).",
        ),
    ] = FailOn.HIGH,
    sarif: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Write the new findings as SARIF 2.1.0.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write a pull-request comment in Markdown."),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write JUnit XML: one failure per blocking finding."),
    ] = None,
    timeout: WaitTimeout = 3600.0,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Compare a scan with a base ref: print its new findings, write the report files, and exit
    1 when a new finding reaches --fail-on."""
    threshold = fail_on.value
    if (scan is None) == (ref is None):
        raise typer.BadParameter("give exactly one of --scan S and --ref R", param_hint="--scan")
    if ref is not None and not project:
        raise typer.BadParameter("--ref needs --project", param_hint="--project")
    with _session(ctx, url, token) as api:
        found = project_resolve(api, project) if project else None
        if scan is not None:
            judged = api.get(f"/scans/{scan}/")
            owner = judged.get("project") or {}
            if found is not None and owner.get("id") != found["id"]:
                raise CliError(f"scan {scan} is not a scan of project {found.get('name')!r}")
        else:
            assert found is not None and ref is not None
            judged = scan_of_ref(api, found, ref)
        scan_id = int(judged["id"])
        if judged.get("status") not in FINAL_STATUSES:
            _stderr().print(f"Waiting for scan {scan_id} ({judged.get('status')}) to end…")
            judged = {**judged, **_scan_wait(api, ctx, scan_id, timeout)}
        scan_check_judgeable(judged)
        compare = compare_get(api, scan_id, base)
        verdict = verdict_make(compare, threshold)
        out = _stdout()
        if verdict.new:
            out.print(_findings_table(verdict.new, api.base_url))
        base_scan = compare.get("base_scan")
        base_text = (
            f"scan {base_scan.get('id')} of {compare.get('base')!r}"
            if isinstance(base_scan, dict)
            else f"no finished scan of {compare.get('base')!r} (every finding is new)"
        )
        out.print(f"Scan {scan_id} compared with {base_text}: {summary_text(verdict)}.")
        if compare.get("truncated"):
            _stderr().print("warning: the server truncated the list of new findings")
        web = api.base_url
        for path, render in (
            (sarif, sarif_text),
            (markdown, markdown_comment),
            (junit, junit_xml),
        ):
            if path is not None:
                path.write_text(render(verdict, web_url=web), encoding="utf-8")
        if verdict.failed:
            out.print(
                Text(
                    f"Gate failed: {len(verdict.failing)} new finding(s) at or above {threshold}.",
                    style="bold red",
                )
            )
        else:
            out.print(Text("Gate passed.", style="bold green"))
    raise typer.Exit(EXIT_FAILED if verdict.failed else EXIT_OK)


def run() -> None:
    """The console script's entry point."""
    app(prog_name="seculite")

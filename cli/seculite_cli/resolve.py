"""Projects, targets and scan configurations named on the command line by id or by name."""

from __future__ import annotations

from typing import Any

from seculite_cli.client import Api, CliError


def _by_name(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Rows named exactly `name`; else, case aside, the one row whose name matches."""
    exact = [row for row in rows if row.get("name") == name]
    if exact:
        return exact
    return [row for row in rows if str(row.get("name", "")).casefold() == name.casefold()]


def _one(
    api: Api,
    *,
    kind: str,
    ref: str,
    list_path: str,
    detail_path: str,
    where: str = "",
    missing_hint: str = "",
) -> dict[str, Any]:
    """The object `ref` names: an id (digits) read from `detail_path`, else the one row of
    `list_path?search=ref` with that name. Not found and ambiguous are CliErrors."""
    ref = ref.strip()
    if not ref:
        raise CliError(f"the {kind} is empty: give its id or name")
    if ref.isdigit():
        response = api.request("GET", detail_path.format(id=ref), ok=(200, 404))
        if response.status_code == 200:
            found: dict[str, Any] = api.json(response)
            return found
    matches = _by_name(list(api.pages(list_path, {"search": ref})), ref)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise CliError(f"no {kind} {ref!r}{where} that this API key can see{missing_hint}")
    ids = ", ".join(str(row.get("id")) for row in matches)
    raise CliError(f"{len(matches)} {kind}s are named {ref!r}{where} (ids {ids}): give the id")


def project_resolve(api: Api, ref: str) -> dict[str, Any]:
    """The project `ref` names (id or name), as GET /projects/{id}/ returns it."""
    return _one(api, kind="project", ref=ref, list_path="/projects/", detail_path="/projects/{id}/")


def target_resolve(
    api: Api, project: dict[str, Any], ref: str, *, missing_hint: str = ""
) -> dict[str, Any]:
    """The target `ref` names (id or name) in `project`."""
    pid = project["id"]
    return _one(
        api,
        kind="target",
        ref=ref,
        list_path=f"/projects/{pid}/targets/",
        detail_path=f"/projects/{pid}/targets/{{id}}/",
        where=f" in project {project.get('name', pid)!r}",
        missing_hint=missing_hint,
    )


def configuration_resolve(api: Api, project: dict[str, Any], ref: str) -> dict[str, Any]:
    """The scan configuration `ref` names (id or name) in `project`."""
    pid = project["id"]
    return _one(
        api,
        kind="scan configuration",
        ref=ref,
        list_path=f"/projects/{pid}/scan-configurations/",
        detail_path=f"/projects/{pid}/scan-configurations/{{id}}/",
        where=f" in project {project.get('name', pid)!r}",
    )


def project_targets(api: Api, project: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of `project` (for an import that names none)."""
    return list(api.pages(f"/projects/{project['id']}/targets/"))

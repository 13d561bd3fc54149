"""Real identity providers on loopback for the SSO tests, started from the project's own
files (frontend/e2e/idp/*.mjs with the npm packages frontend/package.json pins), and a
browser-like client that signs in through them over real HTTP."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from django.conf import settings

FRONTEND_DIR = Path(settings.REPO_DIR) / "frontend"
IDP_DIR = FRONTEND_DIR / "e2e" / "idp"
ADMIN_TOKEN = "test-idp-admin-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class IdpProcess:
    """A node IdP script running with a JSON config; stopped by `stop`."""

    base_url: str
    process: subprocess.Popen
    config: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def admin(self, path: str, body: dict[str, Any]) -> None:
        response = requests.post(
            f"{self.base_url}/_admin/{path}",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_idp(script: str, config: dict[str, Any], tmp_dir: Path) -> IdpProcess:
    """Start `script` (in frontend/e2e/idp) and wait for its READY line. Fails, never skips,
    when node or the npm packages are missing: scripts/test.sh installs them first."""
    node = shutil.which("node")
    assert node, "node is not on PATH (scripts/test.sh installs it with the frontend)"
    assert (FRONTEND_DIR / "node_modules" / "oidc-provider").is_dir(), (
        "frontend/node_modules is missing: run `npm ci` in frontend/ (scripts/test.sh does)"
    )
    config = {**config, "admin_token": ADMIN_TOKEN}
    config_file = tmp_dir / f"{Path(script).stem}-{config['port']}.json"
    config_file.write_text(json.dumps(config))
    log = (tmp_dir / f"{Path(script).stem}.log").open("w")
    process = subprocess.Popen(
        [node, str(IDP_DIR / script), str(config_file)],
        cwd=FRONTEND_DIR,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("READY "):
            return IdpProcess(
                base_url=line.split(" ", 1)[1].strip(), process=process, config=config
            )
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"{script} did not start: {line!r}; see {log.name}")


class _FormParser(HTMLParser):
    """The first form of a page: its action and its inputs' names and values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif (
            tag == "input" and self.action is not None and not self._done and attributes.get("name")
        ):
            self.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._done = True


def form_of(html: str) -> tuple[str, dict[str, str]]:
    """The first form's action and its inputs' names and values (hidden fields included)."""
    parser = _FormParser()
    parser.feed(html)
    assert parser.action is not None, f"no form in page: {html[:500]}"
    return parser.action, parser.fields


@dataclass
class SignInResult:
    landing_url: str
    query: dict[str, list[str]]
    session: requests.Session

    @property
    def sso_error(self) -> str | None:
        return (self.query.get("sso_error") or [None])[0]

    @property
    def status(self) -> str | None:
        return (self.query.get("status") or [None])[0]


class Browser:
    """requests.Session that follows redirects and posts the IdP's login form, like a
    person's browser would, and stops when it is back on one of our web app's pages."""

    def __init__(self, app_url: str):
        self.app_url = app_url.rstrip("/")
        self.session = requests.Session()

    def start(self, provider_id: str, process: str = "login") -> requests.Response:
        headers = {}
        token = self.session.cookies.get("csrftoken")
        if token:
            headers["X-CSRFToken"] = token
            headers["Referer"] = self.app_url + "/"
        started = self.session.post(
            f"{self.app_url}/api/v1/auth/sso/providers/{provider_id}/start/",
            json={"process": process},
            headers=headers,
            timeout=30,
        )
        assert started.status_code == 200, started.text
        return self.session.get(
            urljoin(self.app_url, started.json()["redirect_url"]), allow_redirects=False, timeout=30
        )

    def follow(self, response: requests.Response) -> requests.Response:
        """Follow redirects and auto-posting forms (SAML's HTTP-POST binding) until a page
        that needs a person (the IdP's login form) or our web app's page."""
        for _ in range(30):
            if response.is_redirect or response.status_code in (301, 302, 303, 307):
                target = urljoin(response.url, response.headers["Location"])
                if self._is_app_page(target):
                    return self.session.get(target, allow_redirects=False, timeout=30)
                response = self.session.get(target, allow_redirects=False, timeout=30)
                continue
            if "SAMLResponse" in response.text and "<form" in response.text:
                action, fields = form_of(response.text)
                response = self.session.post(
                    urljoin(response.url, action), data=fields, allow_redirects=False, timeout=30
                )
                continue
            return response
        raise AssertionError("too many redirects")

    def _is_app_page(self, url: str) -> bool:
        parsed = urlparse(url)
        return url.startswith(self.app_url) and parsed.path in ("/login", "/profile")

    def submit_login(
        self, page: requests.Response, username: str, password: str
    ) -> requests.Response:
        action, fields = form_of(page.text)
        fields.update({"login": username, "username": username, "password": password})
        return self.session.post(
            urljoin(page.url, action), data=fields, allow_redirects=False, timeout=30
        )

    def sign_in(
        self, provider_id: str, username: str, password: str, process: str = "login"
    ) -> SignInResult:
        page = self.follow(self.start(provider_id, process))
        if not self._is_app_page(page.url):
            page = self.follow(self.submit_login(page, username, password))
        assert self._is_app_page(page.url), f"ended on {page.url}: {page.text[:300]}"
        return SignInResult(page.url, parse_qs(urlparse(page.url).query), self.session)

    def me(self) -> requests.Response:
        return self.session.get(f"{self.app_url}/api/v1/auth/me/", timeout=30)

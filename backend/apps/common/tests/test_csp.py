"""Django sends the strict Content-Security-Policy itself (the embedded stack has no nginx in
front), and the web app needs nothing it forbids: no inline script in its page."""

import re

import pytest

from seculite_api.env import REPO_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def dist(tmp_path, settings):
    (tmp_path / "index.html").write_text((REPO_DIR / "frontend" / "index.html").read_text())
    settings.SECULITE_FRONTEND_DIST = tmp_path
    return tmp_path


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/findings/42", "/api/v1/health/", "/api/v1/nothing/"])
def test_every_answer_carries_the_strict_policy(client, dist, path):
    directives = _directives(client.get(path))
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["default-src"] == "default-src 'self'"


def test_only_the_api_docs_page_may_run_its_inline_bootstrap(client):
    directives = _directives(client.get("/api/v1/docs/"))
    assert "'unsafe-inline'" in directives["script-src"]
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"


def test_the_web_app_page_has_no_inline_script():
    for page in [
        REPO_DIR / "frontend" / "index.html",
        REPO_DIR / "frontend" / "dist" / "index.html",
    ]:
        if not page.exists():
            continue
        html = page.read_text()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
        assert scripts, page
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), (page, attributes, body[:80])
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), page


def test_nginx_and_django_send_the_same_policy(settings):
    template = (REPO_DIR / "nginx" / "templates" / "seculite.conf.template").read_text()
    assert f'default "{settings.SECULITE_CSP}";' in template
    assert f'/api/v1/docs/ "{settings.SECULITE_CSP_DOCS}";' in template

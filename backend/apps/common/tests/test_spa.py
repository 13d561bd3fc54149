"""The built web app: index.html for deep links (history fallback), never for API paths."""

import pytest

pytestmark = pytest.mark.django_db

INDEX = b"<!doctype html><div id=app></div><script src=/assets/index-AbCd1234.js></script>"


@pytest.fixture
def dist(tmp_path, settings):
    (tmp_path / "index.html").write_bytes(INDEX)
    settings.SECULITE_FRONTEND_DIST = tmp_path
    return tmp_path


@pytest.mark.parametrize("path", ["/", "/findings/42", "/projects/3/scans?tab=x", "/login"])
def test_deep_links_answer_the_app(client, dist, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.content == INDEX
    assert response["Content-Type"].startswith("text/html")
    assert "no-cache" in response["Cache-Control"]
    assert "csrftoken" in response.cookies


def test_unknown_api_paths_stay_json_404(client, dist):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_without_a_build_the_page_says_how_to_build(client, tmp_path, settings):
    settings.SECULITE_FRONTEND_DIST = tmp_path / "missing"

    response = client.get("/dashboard")

    assert response.status_code == 503
    assert b"npm run build" in response.content


def test_writes_to_page_paths_are_refused(client, dist):
    assert client.post("/findings/1").status_code == 405


def test_hashed_assets_are_immutable_and_index_is_not(settings):
    import re

    pattern = re.compile(settings.WHITENOISE_IMMUTABLE_FILE_TEST)
    assert pattern.search("/assets/index-BcD3f_aZ.js")
    assert pattern.search("/static/admin/css/base.0123456789ab.css")
    assert not pattern.search("/index.html")
    assert not pattern.search("/favicon.ico")

"""Target validators: what each asset type accepts, how it is normalised, what is refused."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
from django.core.exceptions import ValidationError

from apps.targets import validators as v

MB = 1024 * 1024


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://app.example.com/", "https://app.example.com/"),
        ("http://localhost:8080/login?next=/", "http://localhost:8080/login?next=/"),
        ("  HTTPS://App.Example.COM/Path  ", "https://app.example.com/Path"),
        ("http://10.0.0.5:3000", "http://10.0.0.5:3000"),
        ("http://[::1]:8000/", "http://[::1]:8000/"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ],
)
def test_url_accepts_absolute_http_urls(raw, expected):
    assert v.validate_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("http://user:pass@x.example.com/", "credentials"),
        ("https://token@x.example.com/", "credentials"),
        ("ftp://files.example.com/", "http://"),
        ("file:///etc/passwd", "http://"),
        ("javascript:alert(1)", "http://"),
        ("example.com/path", "http://"),
        ("/relative/path", "http://"),
        ("https:///nohost", "host"),
        ("http://exa mple.com/", "spaces"),
        ("http://example.com:99999/", "port"),
        ("http://-bad-.example.com/", "label"),
        ("http://under_score.example.com/", "label"),
        ("", "Enter a URL"),
        ("https://example.com/" + "a" * 3000, "2048"),
    ],
)
def test_url_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_url(raw)
    assert message in _messages(exc)


@pytest.mark.parametrize(
    "raw",
    [
        "https://github.com/org/repo.git",
        "https://gitlab.example.com:8443/group/sub/repo",
        "ssh://git@github.com/org/repo.git",
        "ssh://git@git.example.com:2222/org/repo.git",
        "git@github.com:org/repo.git",
        "deploy@10.0.0.7:/srv/git/repo.git",
    ],
)
def test_git_url_accepts_remote_urls(raw):
    assert v.validate_git_url(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("--upload-pack=touch /tmp/pwned", "cannot start with '-'"),
        ("-oProxyCommand=x", "cannot start with '-'"),
        ("file:///etc/passwd", "Use an https://"),
        ("/srv/git/repo.git", "Use an https://"),
        ("http://github.com/org/repo.git", "Use an https://"),
        ("git://github.com/org/repo.git", "Use an https://"),
        ("ext::sh -c touch% /tmp/pwned", "spaces"),
        ("ext::sh", "Use an https://"),
        ("https://github.com/org/repo.git --upload-pack=x", "spaces"),
        ("https://user:token@github.com/org/repo.git", "credentials"),
        ("https://token@github.com/org/repo.git", "credentials"),
        ("ssh://git:secret@github.com/org/repo.git", "credentials"),
        ("ssh://-oProxyCommand=touch%20x/repo", "label"),
        ("ssh://-oProxyCommand=x@github.com/repo", "user name"),
        ("git@-oProxyCommand=x:repo", "label"),
        ("git@github.com:-repo", "cannot start with '-'"),
        ("https://github.com/", "needs a path"),
        ("https://github.com/org/repo\x00", "control"),
    ],
)
def test_git_url_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_git_url(raw)
    assert message in _messages(exc)


@pytest.mark.parametrize("raw", ["main", "release/1.2", "feature/JIRA-12_fix", "v1.0.0"])
def test_git_branch_accepts_ref_names(raw):
    assert v.validate_git_branch(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        "-main",
        "--upload-pack=x",
        "a..b",
        "has space",
        "tab\tname",
        "ends/",
        "/starts",
        "ends.",
        "x.lock",
        "a/.hidden",
        "a//b",
        "a@{1}",
        "@",
        "what?",
        "star*",
        "tilde~1",
        "caret^",
        "colon:x",
        "back\\slash",
        "bracket[",
    ],
)
def test_git_branch_refuses(raw):
    with pytest.raises(ValidationError):
        v.validate_git_branch(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a" * 40, "a" * 40), ("0123456789ABCDEF" * 2 + "0" * 8, "0123456789abcdef" * 2 + "0" * 8)],
)
def test_git_commit_accepts_full_hashes(raw, expected):
    assert v.validate_git_commit(raw) == expected


@pytest.mark.parametrize(
    "raw", ["abc1234", "abc123", "a" * 39, "a" * 41, "xyz1234", "HEAD", "-abcdef1", "abc 1234"]
)
def test_git_commit_refuses_abbreviated_or_invalid_hashes(raw):
    """Remotes serve only full hashes: an abbreviation passed here, then failed the fetch."""
    with pytest.raises(ValidationError) as exc:
        v.validate_git_commit(raw)
    assert "full 40-character commit hash" in _messages(exc)


@pytest.mark.parametrize("raw", ["v1.0.0", "release/2024-01", "1.2.3-rc1"])
def test_git_tag_accepts_ref_names(raw):
    assert v.validate_git_tag(raw) == raw


@pytest.mark.parametrize("raw", ["-v1", "a..b", "v1^{}", "has space", "x.lock"])
def test_git_tag_refuses(raw):
    with pytest.raises(ValidationError):
        v.validate_git_tag(raw)


@pytest.mark.parametrize(
    "metadata",
    [
        {"branch": "main", "tag": "v1"},
        {"branch": "main", "commit": "a" * 40},
        {"tag": "v1", "commit": "a" * 40},
    ],
)
def test_target_spec_takes_one_git_ref(metadata):
    with pytest.raises(ValidationError) as exc:
        v.validate_target_spec(
            asset_type="git_repository", identifier="https://github.com/o/r.git", metadata=metadata
        )
    assert "one of branch, tag or commit" in exc.value.message_dict["metadata"][0]


def test_git_url_credentials_point_at_the_credential_setting():
    with pytest.raises(ValidationError) as exc:
        v.validate_git_url("https://me:tok@github.com/o/r.git")
    assert "credential" in _messages(exc) and "deploy key or token setting" not in _messages(exc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/srv/code/app", "/srv/code/app"),
        ("/srv/code/app/", "/srv/code/app"),
        ("//srv//code/./app", "/srv/code/app"),
        ("/", "/"),
    ],
)
def test_codebase_path_accepts_and_normalises(raw, expected):
    assert v.validate_codebase_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("../../etc", "absolute"),
        ("srv/code", "absolute"),
        ("/srv/code/../../etc", "'..'"),
        ("/srv/..", "'..'"),
        ("/srv/co\x00de", "NUL"),
        ("/srv/co\nde", "control"),
        ("", "Enter a path"),
    ],
)
def test_codebase_path_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_codebase_path(raw)
    assert message in _messages(exc)


def test_codebase_path_must_be_inside_allowed_roots_when_configured():
    roots = ["/srv/code", "/opt/src/"]
    assert v.validate_codebase_path("/srv/code/app", allowed_roots=roots) == "/srv/code/app"
    assert v.validate_codebase_path("/opt/src", allowed_roots=roots) == "/opt/src"
    for outside in ("/srv/codebase", "/etc", "/srv"):
        with pytest.raises(ValidationError) as exc:
            v.validate_codebase_path(outside, allowed_roots=roots)
        assert "allowed roots" in _messages(exc)


@pytest.mark.parametrize(
    "raw",
    [
        "nginx",
        "nginx:1.27",
        "library/nginx:latest",
        "ghcr.io/org/app:v2.1.0",
        "registry.example.com:5000/team/sub/app:build_42",
        "localhost:5000/app",
        "python@sha256:" + "a" * 64,
        "ghcr.io/org/app:v2@sha256:" + "0123456789abcdef" * 4,
        "my-registry.local/some__name/x.y-z",
    ],
)
def test_container_image_accepts_references(raw):
    assert v.validate_container_image(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-v", "cannot start with '-'"),
        ("--privileged", "cannot start with '-'"),
        ("Nginx", "lowercase"),
        ("nginx:", "image reference"),
        ("nginx:-tag", "image reference"),
        ("nginx@sha256:abc", "image reference"),
        ("nginx@md5:" + "a" * 32, "image reference"),
        ("nginx latest", "spaces"),
        ("nginx:1.0;rm -rf /", "spaces"),
        ("/etc/passwd", "image reference"),
        ("a/" * 200 + "b", "characters"),
    ],
)
def test_container_image_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_container_image(raw)
    assert message in _messages(exc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("10.0.0.0/24", "10.0.0.0/24"),
        ("10.0.0.5/24", "10.0.0.0/24"),
        ("192.168.1.1/32", "192.168.1.1/32"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0::/48", "2001:db8::/48"),
    ],
)
def test_ip_range_accepts_and_normalises(raw, expected):
    assert v.validate_ip_range(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["10.0.0.0/33", "256.0.0.1", "10.0.0", "example.com", "2001:db8::/129", "fe80::1%eth0", "-1"],
)
def test_ip_range_refuses(raw):
    with pytest.raises(ValidationError) as exc:
        v.validate_ip_range(raw)
    assert "IP address or CIDR" in _messages(exc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Sub.Example.COM.", "sub.example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("a-b.c-d.example", "a-b.c-d.example"),
        ("x" * 63 + ".com", "x" * 63 + ".com"),
    ],
)
def test_domain_accepts_host_names(raw, expected):
    assert v.validate_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("localhost", "fully qualified"),
        ("x" * 64 + ".com", "label"),
        (("a" * 60 + ".") * 5 + "com", "253"),
        ("-bad.example.com", "label"),
        ("bad-.example.com", "label"),
        ("under_score.example.com", "label"),
        ("a..b.com", "label"),
        ("https://example.com", "without scheme"),
        ("example.com/path", "without scheme"),
        ("exa mple.com", "host name"),
        ("1.2.3.4", "numeric"),
    ],
)
def test_domain_refuses(raw, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_domain(raw)
    assert message in _messages(exc)


def test_path_globs_accept_relative_patterns():
    assert v.validate_path_globs([" src/**/*.py ", "docs/*.md", "*.lock"]) == [
        "src/**/*.py",
        "docs/*.md",
        "*.lock",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "src/**",
        ["/etc/*"],
        ["../secrets/*"],
        ["src/../../etc"],
        ["-rf"],
        ["~/x"],
        ["C:\\windows"],
        [""],
        [42],
        ["a\x00b"],
    ],
)
def test_path_globs_refuse(raw):
    with pytest.raises(ValidationError):
        v.validate_path_globs(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("source.zip", "source.zip"),
        ("../../etc/passwd.tar.gz", "passwd.tar.gz"),
        ("C:\\Users\\me\\My Project (v2).tgz", "My_Project_v2.tgz"),
        ("..hidden.tar", "hidden.tar"),
        ("-rf.zip", "rf.zip"),
        ("日本語.zip", "upload.zip"),
        ("a" * 300 + ".tar.gz", "a" * 193 + ".tar.gz"),
        ("", "upload"),
    ],
)
def test_sanitise_filename(raw, expected):
    assert v.sanitise_filename(raw) == expected


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/main.py", "print('hi')\n")
    return buffer.getvalue()


def _tar_bytes(mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        data = b"print('hi')\n"
        info = tarfile.TarInfo("app/main.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("src.zip", _zip_bytes()),
        ("src.tar", _tar_bytes("w")),
        ("src.tar.gz", _tar_bytes("w:gz")),
        ("SRC.TGZ", _tar_bytes("w:gz")),  # the suffix is stored lowercased
    ],
)
def test_archive_upload_accepts_real_archives(filename, content):
    name = v.validate_archive_upload(
        filename=filename, size=len(content), head=content[:512], max_bytes=MB
    )
    assert name == filename.removesuffix(".TGZ") + (".tgz" if filename.endswith(".TGZ") else "")


@pytest.mark.parametrize(
    ("filename", "content", "max_bytes", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", MB, ".zip, .tar"),
        ("src.zip.exe", _zip_bytes(), MB, ".zip, .tar"),
        ("src.rar", b"Rar!", MB, ".zip, .tar"),
        ("src.zip", _zip_bytes(), 10, "larger than the 10 bytes limit"),
        ("src.zip", b"", MB, "empty"),
        ("src.zip", b"MZ\x90\x00 not a zip", MB, "not a .zip archive"),
        ("src.tar.gz", _zip_bytes(), MB, "not a .tar.gz archive"),
        ("src.tar", b"x" * 600, MB, "not a .tar archive"),
    ],
)
def test_archive_upload_refuses(filename, content, max_bytes, message):
    with pytest.raises(ValidationError) as exc:
        v.validate_archive_upload(
            filename=filename, size=len(content), head=content[:512], max_bytes=max_bytes
        )
    assert message in _messages(exc)


def test_target_spec_normalises_identifier_and_metadata():
    identifier, metadata = v.validate_target_spec(
        asset_type="git_repository",
        identifier=" https://github.com/org/repo.git ",
        metadata={"tag": "v2.0", "exclude_paths": ["vendor/**"]},
    )
    assert identifier == "https://github.com/org/repo.git"
    assert metadata == {"tag": "v2.0", "exclude_paths": ["vendor/**"]}


def test_target_spec_reports_every_problem_by_field():
    with pytest.raises(ValidationError) as exc:
        v.validate_target_spec(
            asset_type="git_repository",
            identifier="--upload-pack=x",
            metadata={"branch": "a..b", "commit": "nothex!", "depth": 1},
        )
    errors = exc.value.message_dict
    assert set(errors) == {"identifier", "metadata.branch", "metadata.commit", "metadata.depth"}
    assert "Not an option" in errors["metadata.depth"][0]


@pytest.mark.parametrize(
    ("asset_type", "metadata", "field"),
    [
        ("url", {"branch": "main"}, "metadata.branch"),
        ("domain", {"include_paths": ["a"]}, "metadata.include_paths"),
        ("codebase_path", {"commit": "a" * 40}, "metadata.commit"),
        ("url", ["not", "an", "object"], "metadata"),
    ],
)
def test_target_spec_refuses_options_of_other_types(asset_type, metadata, field):
    identifier = {"url": "https://x.example/", "domain": "x.example", "codebase_path": "/srv"}[
        asset_type
    ]
    with pytest.raises(ValidationError) as exc:
        v.validate_target_spec(asset_type=asset_type, identifier=identifier, metadata=metadata)
    assert field in exc.value.message_dict


def test_target_spec_drops_empty_optional_values():
    _, metadata = v.validate_target_spec(
        asset_type="git_repository",
        identifier="git@github.com:org/repo.git",
        metadata={"branch": "", "commit": None, "include_paths": []},
    )
    assert metadata == {}

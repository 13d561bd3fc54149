"""The deployment's files checked by the tools that own their formats: docker-compose for the
compose files (plus the Compose specification's JSON schema), hadolint for the Dockerfiles,
shellcheck for the shell scripts, nginx -t for the nginx configuration as each of its two
consumers renders it (scripts/stack.sh, and the nginx image's template mechanism)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import healthcheck
from deploy_tests.conftest import (
    BACKEND_DIR,
    REPO_DIR,
    STACK_SH,
    TEST_RUN_SETTINGS,
    find_docker_compose,
    find_hadolint,
    find_shellcheck,
    run,
)

pytestmark = [pytest.mark.deploy]

COMPOSE_FILE = REPO_DIR / "docker-compose.yml"
COMPOSE_DEV_FILE = REPO_DIR / "docker-compose.dev.yml"
# Debian's docker-compose package ships the Compose specification's schema.
COMPOSE_SPEC_SCHEMA = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")
DOCKERFILES = sorted(
    path.relative_to(REPO_DIR)
    for path in [*REPO_DIR.glob("Dockerfile"), *REPO_DIR.glob("*/Dockerfile")]
)
SHELL_SCRIPTS = sorted(
    path.relative_to(REPO_DIR)
    for path in [
        BACKEND_DIR / "entrypoint.sh",
        REPO_DIR / "nginx" / "seculite-env.sh",
        *(REPO_DIR / "scripts").glob("*.sh"),
        REPO_DIR / "bench" / "images.sh",
        *(BACKEND_DIR / "deploy_tests" / "standins").glob("**/*.sh"),
    ]
)
SERVICES = {"db", "redis", "backend", "worker", "beat", "nginx"}


# --- docker-compose ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compose files in a folder of their own, with a .env made from .env.example plus
    the two secrets it leaves for the operator to fill in (so the check never reads a
    developer's real .env)."""
    project = tmp_path_factory.mktemp("compose")
    for name in ("backend", "frontend", "nginx", "scanners", "scripts", "README.md"):
        (project / name).symlink_to(REPO_DIR / name)
    shutil.copy(COMPOSE_FILE, project)
    shutil.copy(COMPOSE_DEV_FILE, project)
    example = (REPO_DIR / ".env.example").read_text()
    for secret in ("POSTGRES_PASSWORD", "SECRET_KEY"):
        assert re.search(rf"^{secret}=$", example, re.M), f".env.example lacks an empty {secret}="
        example = re.sub(rf"^{secret}=$", f"{secret}=test-{secret.lower()}", example, flags=re.M)
    (project / ".env").write_text(example)
    return project


@pytest.fixture(scope="module")
def docker_compose() -> list[str]:
    command = find_docker_compose()
    if command is None:
        pytest.skip(
            "neither docker-compose nor `docker compose` is installed "
            "(apt-get install docker-compose)"
        )
    return command


def compose(
    docker_compose: list[str], project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_RUN_SETTINGS}
    return run([*docker_compose, *args], cwd=project, env={**clean, **(env or {})}, timeout=120)


def resolved(docker_compose: list[str], project: Path, *files: str) -> dict[str, Any]:
    args = [arg for name in files for arg in ("-f", name)]
    result = compose(docker_compose, project, *args, "config")
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


def test_compose_file_passes_docker_compose_config(
    docker_compose: list[str], compose_project: Path
) -> None:
    result = compose(docker_compose, compose_project, "-f", "docker-compose.yml", "config", "-q")
    assert result.returncode == 0, result.stderr
    dev = compose(
        docker_compose, compose_project,
        "-f", "docker-compose.yml", "-f", "docker-compose.dev.yml", "config", "-q",
    )  # fmt: skip
    assert dev.returncode == 0, dev.stderr


def test_compose_refuses_to_start_without_the_secrets(
    docker_compose: list[str], compose_project: Path, tmp_path: Path
) -> None:
    env_file = compose_project / ".env"
    original = env_file.read_text()
    try:
        env_file.write_text(
            re.sub(r"^POSTGRES_PASSWORD=.*$", "POSTGRES_PASSWORD=", original, flags=re.M)
        )
        result = compose(docker_compose, compose_project, "config", "-q")
        assert result.returncode != 0
        assert "POSTGRES_PASSWORD" in result.stderr
    finally:
        env_file.write_text(original)


def test_compose_services_volumes_network_and_health(
    docker_compose: list[str], compose_project: Path
) -> None:
    config = resolved(docker_compose, compose_project, "docker-compose.yml")
    services = config["services"]
    assert set(services) == SERVICES
    assert set(config["volumes"]) >= {
        "postgres_data",
        "redis_data",
        "backend_static_collected",
        "backend_media_data",
    }
    assert set(config["networks"]) == {"seculite_network"}
    for name, service in services.items():
        assert list(service["networks"]) == ["seculite_network"], name
        assert service["restart"] == "unless-stopped", name
        assert service.get("healthcheck") or name == "beat", f"{name} has no healthcheck"

    # No database or Redis port outside development; only nginx is published.
    assert "ports" not in services["db"] and "ports" not in services["redis"]
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    # The worker scales: no fixed container name.
    assert "container_name" not in services["worker"]

    # The backend's health check is the API's health endpoint.
    assert services["backend"]["healthcheck"]["test"] == ["CMD", "python", "/app/healthcheck.py"]
    assert healthcheck.DEFAULT_URL.endswith("/api/v1/health/")

    healthy = {"condition": "service_healthy"}
    for name in ("backend", "worker", "beat"):
        assert services[name]["depends_on"] == {"db": healthy, "redis": healthy}, name
    assert services["nginx"]["depends_on"] == {"backend": healthy}
    # The static volume is written by the backend (uid 10001); nginx mounts it read-only and
    # without copying its own (root-owned) folder into it, which would take the volume's root
    # from the backend (the first real `compose up` showed collectstatic failing on it).
    static = [v for v in services["nginx"]["volumes"] if v["source"] == "backend_static_collected"]
    assert len(static) == 1 and static[0]["read_only"] is True, static
    assert static[0]["volume"] == {"nocopy": True}, static

    # backend, worker and beat: one image, the entrypoint's three roles.
    images = {services[name]["image"] for name in ("backend", "worker", "beat")}
    assert len(images) == 1
    assert services["backend"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:2] == ["celery_worker", "celery"]
    assert services["beat"]["command"][:2] == ["celery_beat", "celery"]
    assert services["backend"]["environment"]["SECULITE_ENV"] == "production"

    # Only the worker may create the tool sandbox's namespaces; seccomp stays on everywhere.
    assert services["worker"]["cap_add"] == ["SYS_ADMIN"]
    assert set(services["worker"]["security_opt"]) == {
        "no-new-privileges:true",
        "apparmor=unconfined",
        "systempaths=unconfined",
    }
    for name in ("backend", "beat", "db", "redis", "nginx"):
        assert "cap_add" not in services[name] and "security_opt" not in services[name], name


def test_compose_dev_override_publishes_db_and_redis_on_loopback_only(
    docker_compose: list[str], compose_project: Path
) -> None:
    services = resolved(
        docker_compose, compose_project, "docker-compose.yml", "docker-compose.dev.yml"
    )["services"]
    for name in ("db", "redis", "backend"):
        ports = services[name]["ports"]
        assert ports, name
        for port in ports:
            host_ip = port["host_ip"] if isinstance(port, dict) else port.split(":")[0]
            assert host_ip == "127.0.0.1", (name, port)


def test_compose_file_matches_the_compose_specification_schema() -> None:
    if not COMPOSE_SPEC_SCHEMA.is_file():
        pytest.skip(f"{COMPOSE_SPEC_SCHEMA} is missing (Debian package docker-compose)")
    import jsonschema

    # The schema names draft 2019-09 with a URL jsonschema does not know by that spelling.
    validator = jsonschema.Draft201909Validator(json.loads(COMPOSE_SPEC_SCHEMA.read_text()))
    for path in (COMPOSE_FILE, COMPOSE_DEV_FILE):
        validator.validate(yaml.safe_load(path.read_text()))


# --- Dockerfiles and shell scripts -------------------------------------------------------


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=str)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    hadolint = find_hadolint()
    if hadolint is None:
        pytest.skip(
            "hadolint is not installed and scripts/install-scanners.sh --only hadolint failed"
        )
    result = run([hadolint, "--no-color", dockerfile], cwd=REPO_DIR, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_image_is_linted() -> None:
    assert {str(path) for path in DOCKERFILES} >= {"backend/Dockerfile", "frontend/Dockerfile"}


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=str)
def test_shell_script_passes_shellcheck(script: Path) -> None:
    shellcheck = find_shellcheck()
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    library = not (REPO_DIR / script).read_text().startswith("#!")
    # A sourced library defines variables for the scripts that source it.
    extra = ["--exclude=SC2034"] if library else []
    result = run([shellcheck, "--external-sources", *extra, script], cwd=REPO_DIR, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_is_posix_sh_and_executable() -> None:
    entrypoint = BACKEND_DIR / "entrypoint.sh"
    assert entrypoint.read_text().startswith("#!/bin/sh\n")
    assert os.access(entrypoint, os.X_OK)
    assert 'exec "$@"' in entrypoint.read_text()


def test_entrypoint_treats_empty_variables_as_unset() -> None:
    env = {**os.environ, "DATABASE_URL": "", "SECURE_COOKIES": "", "SECULITE_KEEP": "kept"}
    result = run([BACKEND_DIR / "entrypoint.sh", "printenv"], env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    names = {line.split("=", 1)[0] for line in result.stdout.splitlines()}
    assert "DATABASE_URL" not in names and "SECURE_COOKIES" not in names
    assert "SECULITE_KEEP=kept" in result.stdout.splitlines()


def test_entrypoint_without_a_command_explains_itself() -> None:
    result = run([BACKEND_DIR / "entrypoint.sh"], timeout=60)
    assert result.returncode == 64
    assert "No command given" in result.stderr


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("", "localhost"),
        ("seculite.example.com,localhost", "seculite.example.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        (" *, 10.0.0.5 ", "10.0.0.5"),
    ],
)
def test_healthcheck_sends_a_host_django_accepts(allowed_hosts: str, host: str) -> None:
    assert healthcheck.host_header(allowed_hosts) == host


# --- nginx -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Debian's nginx; stack.sh installs it when it is missing (as root)."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        folder = tmp_path_factory.mktemp("nginx-install")
        run([STACK_SH, "nginx-config"], env=stack_env(folder), timeout=600)
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.skip("nginx is not installed and could not be (apt-get install nginx, as root)")
    return found


def stack_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TEST_RUN_SETTINGS}
    return {**env, "SECULITE_STACK_DIR": str(tmp_path / "stack"), **extra}


def nginx_t(nginx: str, conf: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(
        [nginx, "-t", "-p", conf.parent, "-c", conf,
         "-g", f"pid {tmp_path}/nginx.pid; error_log stderr;"],
        timeout=60,
    )  # fmt: skip


def test_nginx_t_passes_on_the_configuration_stack_sh_renders(nginx: str, tmp_path: Path) -> None:
    result = run(
        [STACK_SH, "nginx-config"],
        env=stack_env(
            tmp_path, SECULITE_UPLOAD_MAX_BYTES="5242880", SECULITE_IMPORT_MAX_BYTES="7340032"
        ),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    conf = Path(result.stdout.strip().splitlines()[-1])
    checked = nginx_t(nginx, conf, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

    site = (conf.parent / "conf.d" / "seculite.conf").read_text()
    app = (conf.parent / "conf.d" / "seculite-app.inc").read_text()
    # Only SECULITE_* variables were substituted; nginx's own are intact.
    for rendered in (site, app):
        assert "${" not in rendered
    assert "return 301 https://$host:8443$request_uri;" in site
    assert "try_files $uri $uri/ /index.html;" in app
    # The upload limit follows SECULITE_UPLOAD_MAX_BYTES, with room for the multipart envelope.
    assert f"client_max_body_size {5242880 + 1048576};" in site
    # Report imports get their own, larger limit on their path only.
    imports = app.split("location ~ ^/api/v1/projects/[0-9]+/imports/$ {", 1)[1].split("}")[0]
    assert f"client_max_body_size {7340032 + 1048576};" in imports
    assert "proxy_pass http://seculite_backend;" in imports
    assert "server 127.0.0.1:8001;" in site
    assert "listen 127.0.0.1:8080 default_server;" in site
    assert not (conf.parent / "conf.d" / "seculite-tls.conf").exists()


def test_nginx_t_passes_with_the_tls_server_enabled(nginx: str, tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (needed to make a test certificate)")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    made = run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
        timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    env = stack_env(tmp_path, SECULITE_NGINX_TLS_CERT=str(cert), SECULITE_NGINX_TLS_KEY=str(key))
    result = run([STACK_SH, "nginx-config"], env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    conf = Path(result.stdout.strip().splitlines()[-1])
    tls = (conf.parent / "conf.d" / "seculite-tls.conf").read_text()
    assert f"ssl_certificate {cert};" in tls and "listen 127.0.0.1:8443 ssl;" in tls
    checked = nginx_t(nginx, conf, tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_nginx_t_passes_on_the_configuration_the_nginx_image_renders(
    nginx: str, tmp_path: Path
) -> None:
    """The nginx image sources 15-seculite-env.envsh, then renders every template with all
    defined SECULITE_* variables (NGINX_ENVSUBST_FILTER). The same steps here, with the image's
    defaults except what cannot exist outside it (the `backend` host name, its folders)."""
    etc = tmp_path / "etc-nginx"
    (etc / "conf.d").mkdir(parents=True)
    (tmp_path / "temp").mkdir()  # the image's /var/cache/nginx
    shutil.copy(REPO_DIR / "nginx" / "nginx.conf", etc / "nginx.conf")
    shutil.copy("/etc/nginx/mime.types", etc / "mime.types")
    shutil.copytree(REPO_DIR / "nginx" / "templates", etc / "templates")
    script = r"""
set -eu
. "$REPO/nginx/seculite-env.sh"
filter='^SECULITE_'
defined_envs=$(printf '${%s} ' \
  $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" </dev/null))
for template in "$ETC"/templates/*.template; do
  envsubst "$defined_envs" < "$template" > "$ETC/conf.d/$(basename "$template" .template)"
done
"""
    env = {
        "PATH": os.environ["PATH"],
        "REPO": str(REPO_DIR),
        "ETC": str(etc),
        "SECULITE_BACKEND_UPSTREAM": "127.0.0.1:8000",
        "SECULITE_NGINX_LISTEN": "127.0.0.1:8080",
        "SECULITE_NGINX_ACCESS_LOG": str(tmp_path / "access.log"),
        "SECULITE_NGINX_TEMP_DIR": str(tmp_path / "temp"),
    }
    rendered = run(["sh", "-c", script], env=env, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    site = (etc / "conf.d" / "seculite.conf").read_text()
    app = (etc / "conf.d" / "seculite-app.inc").read_text()
    assert "${" not in site + app
    assert "root /usr/share/nginx/html;" in app and "alias /var/www/django_static/;" in app
    assert "return 301 https://$host$request_uri;" in site  # port 443 needs no suffix
    assert f"client_max_body_size {209715200 + 1048576};" in site
    assert f"client_max_body_size {1073741824 + 1048576};" in app  # the imports path
    checked = nginx_t(nginx, etc / "nginx.conf", tmp_path)
    assert checked.returncode == 0, checked.stderr


# --- the image's Python dependencies -------------------------------------------------------

# What the processes of the image import at start or on their first task, beyond Django's apps.
RUNTIME_IMPORTS = ["seculite_api.celery", "kombu.transport.redis", "gunicorn.app.wsgiapp"]

_IMPORT_WITH_MAIN_ONLY = r"""
import importlib.metadata, json, re, sys
dev_only = set(json.loads(sys.argv[1]))
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
blocked = {
    module for module, dists in importlib.metadata.packages_distributions().items()
    if dists and all(norm(d) in dev_only for d in dists)
}
for module in list(sys.modules):
    if module.split(".")[0] in blocked:
        del sys.modules[module]
class DevOnly:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is only in poetry.lock's dev group", name=name)
sys.meta_path.insert(0, DevOnly())
import importlib
for module in sys.argv[2:]:
    importlib.import_module(module)
"""


def test_runtime_imports_need_only_the_main_dependency_group() -> None:
    """The image installs `poetry install --only main`; a package the runtime imports that
    only the dev group brings (packaging, which kombu's Redis transport imports without
    declaring it) works in the venv of the tests and fails in the image, as the first real
    build showed (/api/v1/health/: broker ModuleNotFoundError)."""
    import tomllib

    lock = tomllib.loads((BACKEND_DIR / "poetry.lock").read_text())
    dev_only = sorted(
        package["name"] for package in lock["package"] if "main" not in package.get("groups", [])
    )
    assert dev_only, "the lock has no dev-only package: the check would prove nothing"
    result = run(
        [BACKEND_DIR / ".venv" / "bin" / "python", "-c", _IMPORT_WITH_MAIN_ONLY,
         json.dumps(dev_only), *RUNTIME_IMPORTS],
        cwd=BACKEND_DIR, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "seculite_api.settings"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]

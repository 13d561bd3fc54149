"""Tiny servers on 127.0.0.1 that the real-run scanner tests point tools at (loopback only).

`VulnerableApp` is a deliberately weak HTTP app: a reflected-XSS search parameter, an
error-leaking SQL-ish parameter, a cookie without flags and none of the security headers.
`tls_server` starts `openssl s_server` with a throwaway self-signed certificate.
"""

from __future__ import annotations

import contextlib
import html
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"

INDEX = """<html><head><title>shop</title></head><body>
<h1>Tiny shop</h1>
<a href="/search?q=shoes">search</a>
<a href="/item?id=1">item 1</a>
<form action="/search" method="get"><input name="q" value=""><input type="submit"></form>
</body></html>"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "TinyShop/0.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, status: int, body: str, cookie: bool = False) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if cookie:
            self.send_header("Set-Cookie", "session=abc123; Path=/")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/":
            self._send(200, INDEX, cookie=True)
        elif parts.path == "/search":
            term = query.get("q", [""])[0]
            # Reflected without escaping: the XSS the scanner should find.
            self._send(200, f"<html><body><p>Results for {term}</p></body></html>")
        elif parts.path == "/item":
            item = query.get("id", ["1"])[0]
            if not item.isdigit():
                message = html.escape(item)
                self._send(
                    500,
                    "<html><body>Warning: mysql_fetch_array(): You have an error in your SQL "
                    f"syntax near '{message}' at line 1</body></html>",
                )
            else:
                self._send(200, f"<html><body>Item {item}</body></html>")
        else:
            self._send(404, "<html><body>not found</body></html>")

    def do_POST(self) -> None:
        self._send(405, "<html><body>no</body></html>")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # scanners reset connections on purpose; keep test output clean


class VulnerableApp:
    """Start with `with VulnerableApp() as app:`; `app.url` is http://127.0.0.1:<port>/."""

    def __init__(self) -> None:
        self._server = _QuietServer((LOOPBACK, 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def __enter__(self) -> VulnerableApp:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.5):
            return True
        time.sleep(0.1)
    return False


def _openssl(*args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed")
    subprocess.run([openssl, *args], check=True, capture_output=True, timeout=60)


def make_certificates(workdir: Path, *, days: int = 2, signed_by_ca: bool = False) -> None:
    """workdir/cert.pem + key.pem for 127.0.0.1; with `signed_by_ca`, also workdir/ca.pem (a
    throwaway CA that signs the server certificate, which then carries a subjectAltName)."""
    key, cert = workdir / "key.pem", workdir / "cert.pem"
    if not signed_by_ca:
        _openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days),
            "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
        )  # fmt: skip
        return
    ca_key, ca = workdir / "ca-key.pem", workdir / "ca.pem"
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days + 1),
        "-subj", "/CN=SecuLite Test CA", "-keyout", str(ca_key), "-out", str(ca),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    csr = workdir / "server.csr"
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(key), "-out", str(csr),
    )  # fmt: skip
    ext = workdir / "san.ext"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
    )
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", str(ext), "-out", str(cert),
    )  # fmt: skip


@contextlib.contextmanager
def tls_server(
    workdir: Path,
    *,
    extra_args: tuple[str, ...] = (),
    days: int = 2,
    signed_by_ca: bool = False,
) -> Iterator[int]:
    """`openssl s_server` on 127.0.0.1 with fresh certificates (see make_certificates);
    yields its port."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed")
    workdir.mkdir(parents=True, exist_ok=True)
    make_certificates(workdir, days=days, signed_by_ca=signed_by_ca)
    port = free_port()
    process = subprocess.Popen(
        [
            openssl, "s_server", "-accept", f"{LOOPBACK}:{port}", "-cert",
            str(workdir / "cert.pem"), "-key", str(workdir / "key.pem"), "-www", "-quiet",
            *extra_args,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        if not _wait_for_port(port):
            raise RuntimeError("openssl s_server did not start")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


WEAK_TLS = ("-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1")
TLS11_ONLY_GOOD_CIPHERS = (
    "-cipher",
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
    "-min_protocol",
    "TLSv1.1",
)


# --- a fake npm registry that answers `npm audit` ---------------------------------------------
# Advisory data is made up for tests (ids, titles and ranges are illustrative), served in the
# shape of the registry's bulk advisory endpoint so the real npm CLI builds its real report.
FAKE_ADVISORIES: dict[str, list[dict[str, object]]] = {
    "lodash": [
        {
            "id": 900001,
            "url": "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
            "title": "Command Injection in lodash",
            "severity": "high",
            "vulnerable_versions": "<4.17.21",
            "cwe": ["CWE-77", "CWE-94"],
            "cvss": {
                "score": 7.2,
                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
            },
        },
        {
            "id": 900002,
            "url": "https://github.com/advisories/GHSA-29mw-wpgm-hmr9",
            "title": "Regular Expression Denial of Service (ReDoS) in lodash",
            "severity": "moderate",
            "vulnerable_versions": ">=4.0.0 <4.17.21",
            "cwe": ["CWE-400", "CWE-1333"],
            "cvss": {
                "score": 5.3,
                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
            },
        },
    ],
    "minimist": [
        {
            "id": 900003,
            "url": "https://github.com/advisories/GHSA-xvch-5gv4-984h",
            "title": "Prototype Pollution in minimist",
            "severity": "critical",
            "vulnerable_versions": ">=1.0.0 <1.2.6",
            "cwe": ["CWE-1321"],
            "cvss": {
                "score": 9.8,
                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            },
        }
    ],
}
FAKE_PACKAGE_VERSIONS = {
    "lodash": ["4.17.19", "4.17.20", "4.17.21"],
    "minimist": ["1.2.5", "1.2.6", "1.2.8"],
    "left-pad": ["1.3.0"],
}


class _RegistryHandler(BaseHTTPRequestHandler):
    advisories: dict[str, list[dict[str, object]]] = FAKE_ADVISORIES

    def log_message(self, format: str, *args: object) -> None:
        return

    def _json(self, status: int, payload: object) -> None:
        import json

        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        import gzip
        import json

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        wanted = json.loads(body or b"{}")
        if self.path.endswith("/-/npm/v1/security/advisories/bulk"):
            self._json(
                200, {name: self.advisories[name] for name in wanted if name in self.advisories}
            )
        else:
            self._json(404, {"error": "not found"})

    def do_GET(self) -> None:
        name = urlsplit(self.path).path.strip("/").replace("%2f", "/").replace("%2F", "/")
        versions = FAKE_PACKAGE_VERSIONS.get(name)
        if versions is None:
            self._json(404, {"error": "not found"})
            return
        self._json(
            200,
            {
                "name": name,
                "dist-tags": {"latest": versions[-1]},
                "versions": {
                    v: {"name": name, "version": v, "dist": {"tarball": f"http://{LOOPBACK}/x.tgz"}}
                    for v in versions
                },
            },
        )


class FakeNpmRegistry(VulnerableApp):
    """A registry on 127.0.0.1 serving FAKE_ADVISORIES to `npm audit --registry=<url>`."""

    def __init__(self) -> None:
        self._server = _QuietServer((LOOPBACK, 0), _RegistryHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNpmRegistry:
        self._thread.start()
        return self


# --- a fake OSV query API that answers `pip-audit -s osv --osv-url <url>` ---------------------
# Made-up advisories for tests, in the OSV schema the real API returns.
FAKE_OSV: dict[tuple[str, str], list[dict[str, object]]] = {
    ("requests", "2.19.0"): [
        {
            "id": "PYSEC-2018-28",
            "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
            "summary": "Requests sends an HTTP Authorization header to an http URI upon a "
            "redirect from https",
            "affected": [
                {
                    "package": {"name": "requests", "ecosystem": "PyPI"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}
                    ],
                }
            ],
        },
        {
            "id": "GHSA-j8r2-6x86-q33q",
            "aliases": ["CVE-2023-32681"],
            "summary": "Unintended leak of Proxy-Authorization header in requests",
            "affected": [
                {
                    "package": {"name": "requests", "ecosystem": "PyPI"},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}],
                        }
                    ],
                }
            ],
        },
    ],
    ("urllib3", "1.23"): [
        {
            "id": "PYSEC-2019-132",
            "aliases": ["CVE-2019-11324"],
            "details": "urllib3 before 1.24.2 mishandles certain cases where the desired set "
            "of CA certificates is different from the OS store.",
            "affected": [
                {
                    "package": {"name": "urllib3", "ecosystem": "PyPI"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.24.2"}]}
                    ],
                }
            ],
        }
    ],
}


class _OsvHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        import json

        query = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        key = (str(query.get("package", {}).get("name")), str(query.get("version")))
        vulns = FAKE_OSV.get(key)
        data = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeOsvApi(VulnerableApp):
    """An OSV `/v1/query` endpoint on 127.0.0.1 serving FAKE_OSV."""

    def __init__(self) -> None:
        self._server = _QuietServer((LOOPBACK, 0), _OsvHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOsvApi:
        self._thread.start()
        return self

    @property
    def query_url(self) -> str:
        return f"{self.url}v1/query"

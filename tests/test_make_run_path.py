"""`make run`'s path, end to end with the real console script: init on an empty directory, seed, serve, probe."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

GOTRS = str(Path(sys.executable).parent / "gotrs")


def run_gotrs(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GOTRS, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, opener: urllib.request.OpenerDirector | None = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sign_in(base: str, login: str, password: str) -> urllib.request.OpenerDirector:
    """Sign in through the agent sign-in form, as a browser does; the opener keeps the session's cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, form = get(f"{base}/login", opener)
    assert status == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the sign-in page has no csrf_token field"
    data = urllib.parse.urlencode({"login": login, "password": password, "csrf_token": token.group(1)}).encode()
    with opener.open(f"{base}/login", data=data, timeout=10) as response:  # 303 to the start page, followed
        assert response.status == 200 and response.url == f"{base}/"
    assert {cookie.name for cookie in jar} >= {"gotrs_agent_access", "gotrs_agent_refresh"}
    return opener


@pytest.fixture
def workdir(tmp_path: Path, db_url: str) -> Iterator[tuple[Path, dict[str, str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRS_")}
    env["GOTRS_LOG_FORMAT"] = "text"
    if not db_url.startswith("sqlite"):
        env["GOTRS_DATABASE_URL"] = db_url
    yield tmp_path, env


def test_init_seed_serve_on_an_empty_directory(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    first = run_gotrs(cwd, env, "db", "init")
    assert first.returncode == 0, first.stderr
    assert "Admin login: root@localhost  password: " in first.stdout
    password = first.stdout.split("password: ")[1].split()[0]
    assert len(password) >= 16
    if "GOTRS_DATABASE_URL" not in env:
        assert (cwd / "var" / "gotrs.db").exists() and (cwd / "var" / "secret_key").exists()

    again = run_gotrs(cwd, env, "db", "init")
    assert again.returncode == 0, again.stderr
    assert "Database already initialised" in again.stdout and password not in again.stdout
    assert "Admin login: root@localhost" in again.stdout
    assert run_gotrs(cwd, env, "db", "upgrade").returncode == 0
    assert run_gotrs(cwd, env, "db", "status").returncode == 0

    seeded = run_gotrs(cwd, env, "seed", "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo data added" in seeded.stdout
    assert "Demo data already present." in run_gotrs(cwd, env, "seed", "demo").stdout

    port = free_port()
    server = subprocess.Popen(
        [GOTRS, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        status = wait_until_up(f"{base}/healthz", server)
        assert status == 200
        assert get(f"{base}/readyz") == (200, '{"checks":{"database":"ok","schema":"ok"},"status":"ready"}\n')
        status, page = get(f"{base}/")
        assert status == 200
        assert "GOTRS" in page and "Agent sign-in" in page
        assert "in total" not in page  # visitors see no figures
        status, page = get(f"{base}/", sign_in(base, "root@localhost", password))
        assert status == 200
        assert "201 in total" in page  # the OTRS welcome ticket and the 200 demo tickets
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_admin_password_from_environment_is_not_printed(workdir: tuple[Path, dict[str, str]]) -> None:
    cwd, env = workdir
    env["GOTRS_ADMIN_PASSWORD"] = "chosen-by-the-admin-1"
    result = run_gotrs(cwd, env, "db", "init")
    assert result.returncode == 0, result.stderr
    assert "chosen-by-the-admin-1" not in result.stdout
    assert "password: from GOTRS_ADMIN_PASSWORD" in result.stdout


def test_check_reports_bad_yaml_with_exit_status(tmp_path: Path) -> None:
    extra = tmp_path / "mods"
    extra.mkdir()
    (extra / "bad.yaml").write_text("module: {name: Bad, table: t}\nfields: [{name: a, type: nope}]\n")
    env = {**os.environ, "GOTRS_MODULES_PATH": str(extra), "GOTRS_VAR_DIR": str(tmp_path / "var")}
    result = run_gotrs(tmp_path, env, "check")
    assert result.returncode == 1
    assert f"{extra / 'bad.yaml'}:1: module.name: String should match pattern" in result.stderr
    assert f"{extra / 'bad.yaml'}:2: fields.0.type: Value error, unknown field type 'nope'" in result.stderr
    ok = run_gotrs(tmp_path, {**env, "GOTRS_MODULES_PATH": ""}, "check")
    assert ok.returncode == 0, ok.stderr


def wait_until_up(url: str, server: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            return get(url)[0]
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                output = server.stdout.read() if server.poll() is not None and server.stdout else ""
                pytest.fail(f"the server did not start: {output}")
            time.sleep(0.2)


def test_serve_with_gunicorn_workers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTRS_")}
    assert run_gotrs(tmp_path, env, "db", "init").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [GOTRS, "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_until_up(f"http://127.0.0.1:{port}/healthz", server) == 200
        statuses = {get(f"http://127.0.0.1:{port}/readyz")[0] for _ in range(6)}
        assert statuses == {200}
    finally:
        server.terminate()
        server.wait(timeout=15)
    output = server.stdout.read() if server.stdout else ""
    assert "with 2 gunicorn workers" in output
    assert output.count("Booting worker") == 2


def test_module_level_wsgi_app_is_built_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    import gotrs_app

    monkeypatch.setenv("GOTRS_VAR_DIR", str(tmp_path / "var"))
    lazy = gotrs_app._LazyApp()
    assert not (tmp_path / "var").exists()  # importing and creating it has no side effect
    response = Client(lazy).get("/healthz")
    assert response.status_code == 200
    assert (tmp_path / "var" / "secret_key").exists()

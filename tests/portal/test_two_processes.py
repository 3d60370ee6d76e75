"""Two app processes against one database and one Redis, as several hosts would run:
a login made on one is valid on the other, logging out on one revokes it on both,
and a rate limit counts across both."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyotp
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def two_hosts():
    if not _redis_up():
        if os.environ.get("CI") or os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            pytest.fail("Redis is required on 127.0.0.1:6379 for the multi-host test")
        pytest.skip("no Redis on 127.0.0.1:6379 (CI runs this test)")
    import redis

    redis.from_url(REDIS_DB).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="tnw-hosts-"))
    created_db = None
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        import psycopg

        base, _, _name = database_url.rpartition("/")
        created_db = f"tnw_hosts_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{base}/postgres".replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created_db}"')
        database_url = f"{base}/{created_db}"
    else:
        database_url = f"sqlite:///{workdir / 'hosts.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "SESSION_REDIS_URL": REDIS_DB,
           "RATELIMIT_STORAGE_URI": REDIS_DB, "PORTAL_INSTANCE_PATH": str(workdir / "instance"),
           "SECRET_KEY": "shared-secret-of-both-hosts",
           "SESSION_COOKIE_SECURE": "0"}  # plain http on 127.0.0.1: the cookies must come back to both hosts
    python = sys.executable
    subprocess.run([python, "-m", "flask", "--app", "portal", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    created = subprocess.run([python, "-m", "flask", "--app", "portal", "create-user", "--role", "fund_admin",
                              "--email", "host@example.be", "--password", "a good long password"], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True)
    secret = created.stdout.split("otp-secret: ")[1].split()[0]  # a fund administrator signs in with a code
    servers = []
    urls = []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen([python, "-m", "tests.support.serve", str(port)], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            servers.append(process)
            assert process.stdout is not None and process.stdout.readline().strip() == "serving"
            urls.append(f"http://127.0.0.1:{port}")
        yield (*urls, secret)
    finally:
        for process in servers:
            process.kill()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        redis.from_url(REDIS_DB).flushdb()
        if created_db:
            import psycopg

            with psycopg.connect(f"{base}/postgres".replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)')


def _token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=30).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match
    return match.group(1)


def _log_in(browser: requests.Session, host: str, secret: str, *, later_step: int = 0) -> requests.Response:
    """The password, then the code of the authenticator app (each code works once: a second login in the same
    30 seconds takes the next step's code)."""
    token = _token(browser, f"{host}/login")
    first = browser.post(f"{host}/login", data={"csrf_token": token, "email": "host@example.be",
                                                "password": "a good long password"},
                         allow_redirects=False, timeout=30)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/two-step")
    token = _token(browser, f"{host}/login/two-step")
    code = pyotp.TOTP(secret).at(time.time() + 30 * later_step)
    return browser.post(f"{host}/login/two-step", data={"csrf_token": token, "code": code},
                        allow_redirects=False, timeout=30)


def test_sessions_and_rate_limits_are_shared_by_both_hosts(two_hosts):
    host_a, host_b, secret = two_hosts
    browser = requests.Session()
    response = _log_in(browser, host_a, secret)
    assert response.status_code == 302
    # The same cookie is a valid login on the other host.
    assert browser.get(f"{host_b}/account/password", allow_redirects=False, timeout=30).status_code == 200
    copied = dict(browser.cookies)
    # Logging out on B revokes the session for A too, even for a copied cookie.
    token = _token(browser, f"{host_b}/account/password")
    browser.post(f"{host_b}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=30)
    thief = requests.Session()
    thief.cookies.update(copied)
    assert thief.get(f"{host_a}/account/password", allow_redirects=False, timeout=30).status_code == 302
    # Three wrong passwords per minute per account, counted across both hosts.
    codes = []
    for attempt in range(4):
        host = (host_a, host_b)[attempt % 2]
        codes.append(requests.post(f"{host}/api/v1/auth/token", json={"email": "host@example.be",
                                                                      "password": "wrong password!"},
                                   timeout=30).status_code)
    assert codes == [401, 401, 401, 429]


def test_a_password_changed_on_one_host_ends_the_sessions_on_the_other(two_hosts):
    """A password changed on B revokes every session of the account: A must refuse the fund's queue at once."""
    host_a, host_b, secret = two_hosts
    reader, changer = requests.Session(), requests.Session()
    for later_step, (browser, host) in enumerate(((reader, host_a), (changer, host_b))):
        assert _log_in(browser, host, secret, later_step=later_step).status_code == 302
    pages = [reader.get(f"{host_a}/admin/requests", allow_redirects=False, timeout=30) for _ in range(2)]
    assert all(page.status_code == 200 for page in pages)
    token = _token(changer, f"{host_b}/account/password")
    changed = changer.post(f"{host_b}/account/password",
                           data={"csrf_token": token, "current_password": "a good long password",
                                 "password": "another good long password",
                                 "password_repeat": "another good long password"},
                           allow_redirects=False, timeout=30)
    assert changed.status_code == 302
    after = reader.get(f"{host_a}/admin/requests", allow_redirects=False, timeout=30)
    assert after.status_code == 302 and "/login" in after.headers["Location"]

"""localstripe in a subprocess bound to 127.0.0.1, for the end-to-end payment tests.

localstripe (GPL-3.0) is a test-only tool: it runs as a separate process and the portal
never imports it. Its command-line tool listens on every interface, so its aiohttp app is
started here bound to the loopback address (``localstripe.server.app`` is internal: the
version is pinned in pyproject). Without the package the tests are skipped, unless
``E2E_REQUIRE_BROWSER=1`` or ``CI=true``, where a skip would hide a missing install.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.smtp import free_port

RUNNER = (
    "import sys\n"
    "from aiohttp import web\n"
    "import localstripe.server as server\n"
    "web.run_app(server.app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)


def must_run() -> bool:
    return os.environ.get("E2E_REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").strip().lower() == "true"


@dataclass
class LocalStripe:
    url: str
    secret_key: str = "sk_test_localstripe"
    publishable_key: str = "pk_test_localstripe"

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def _request(self, method: str, path: str, data: dict[str, str] | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)

    def reset(self) -> None:
        """Forget every object (``DELETE /_config/data``)."""
        self._request("DELETE", "/_config/data")

    def register_webhook(self, name: str, url: str, secret: str) -> None:
        self._request("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret})

    def client(self):  # type: ignore[no-untyped-def]
        import stripe

        return stripe.StripeClient(self.secret_key, base_addresses={"api": self.url}, max_network_retries=0)

    def event_for(self, event_type: str, object_id: str, timeout: float = 5.0) -> dict:
        """The event localstripe emitted for an object, as Stripe would send it."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.client().v1.events.list().data:
                data = event.to_dict()
                if data["type"] == event_type and data["data"]["object"]["id"] == object_id:
                    return json.loads(json.dumps(data, default=str))
            if time.monotonic() > deadline:
                raise AssertionError(f"localstripe emitted no {event_type} for {object_id}")
            time.sleep(0.05)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"localstripe did not answer on {url} within {timeout:.0f} s")


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    if importlib.util.find_spec("localstripe") is None:
        message = "localstripe is not installed (pip install -e '.[dev]')"
        if must_run():
            pytest.fail(f"{message}: required when E2E_REQUIRE_BROWSER=1 or CI=true.", pytrace=False)
        pytest.skip(message)
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="localstripe-")) / "localstripe.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", RUNNER, str(port)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
    except RuntimeError as exc:
        process.kill()
        process.wait(timeout=10)
        pytest.fail(f"{exc}; its log: {log_path.read_text(errors='replace')[-2000:]}", pytrace=False)
    try:
        yield LocalStripe(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

"""Fixtures of the console suite: the server scripts/test.d/e2e-console.sh started, the aws
CLI for account A, and a headless Debian chromium driven by Playwright (a fresh profile,
no browser download, no network beyond loopback)."""

import json
import os
import subprocess

import pytest
from playwright.sync_api import sync_playwright

ENDPOINT = os.environ.get("PALISADE_ENDPOINT", "")
CHROMIUM = os.environ.get("PALISADE_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("PALISADE_SHOTS", "target/console-screenshots")
USER_DATA = os.environ.get("PALISADE_USER_DATA", "/tmp/pc-chromium")
AWS = os.environ.get("AWS_CLI", ".venv/bin/aws")

KEY_A = ("AKIDCONSOLEA00000001", "secret-console-a", "555555555555")
KEY_B = ("AKIDCONSOLEB00000002", "secret-console-b", "666666666666")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def aws(*args, key=KEY_A, check=True):
    """Runs the aws CLI against the server; the parsed JSON, or the CompletedProcess when
    check is False."""
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=key[0],
        AWS_SECRET_ACCESS_KEY=key[1],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    proc = subprocess.run(
        [AWS, "--endpoint-url", ENDPOINT, "--output", "json", "ec2", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if not check:
        return proc
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


@pytest.fixture(scope="session")
def endpoint():
    assert ENDPOINT, "PALISADE_ENDPOINT is not set (run scripts/test.d/e2e-console.sh)"
    return ENDPOINT


@pytest.fixture(scope="session")
def browser_context(endpoint):
    os.makedirs(SHOTS, exist_ok=True)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            USER_DATA,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        # Failures answer in seconds, not Playwright's default half-minute.
        ctx.set_default_timeout(10_000)
        yield ctx
        ctx.close()


class Watched:
    """A page whose console errors, failed requests and server errors are recorded."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.on(
            "console",
            lambda m: self.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on(
            "requestfailed",
            lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"),
        )
        page.on(
            "response",
            lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 500
            else None,
        )


@pytest.fixture()
def page(browser_context):
    pg = browser_context.new_page()
    watched = Watched(pg)
    yield watched
    pg.close()

"""Fixtures for the API suite: a running `palisade serve`, boto3 clients for two accounts,
the aws CLI, and signed raw requests.

scripts/test.d/e2e-api.sh starts the server and exports PALISADE_ENDPOINT and
PALISADE_KEYS_FILE; without them this file starts its own server (temp SQLite, temp keys).
"""
import json
import os
import pathlib
import subprocess
import tempfile

import boto3
import botocore.config
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("PALISADE_BIN", str(ROOT / "target" / "debug" / "palisade"))
REGION = "us-east-1"
KEY_A = ("AKIDACCOUNTA0000001", "secret-account-a", "111111111111")
KEY_B = ("AKIDACCOUNTB0000002", "secret-account-b", "222222222222")


# The suite shares one account and region across its tests, so it raises the VPC quota
# (5 on AWS, the default VPC included); every other quota keeps AWS's default.
QUOTAS = "vpcs_per_region = 100\n"


def write_keys(path):
    with open(path, "w") as f:
        f.write("# test keys\n")
        for key, secret, account in (KEY_A, KEY_B):
            f.write(f"{key} {secret} {account}\n")


class Server:
    """A `palisade serve` child process on 127.0.0.1:0."""

    def __init__(self, db, keys):
        self.db, self.keys, self.proc, self.endpoint = db, keys, None, None

    def start(self):
        quotas = os.path.join(os.path.dirname(self.keys), "quotas")
        with open(quotas, "w") as f:
            f.write(QUOTAS)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db, "--keys", self.keys,
             "--quotas", quotas],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in self.proc.stdout:
            if line.startswith("listening on "):
                self.endpoint = line.split()[-1]
                return self
        raise RuntimeError(f"palisade serve exited with {self.proc.wait()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def endpoint():
    if os.environ.get("PALISADE_ENDPOINT"):
        yield os.environ["PALISADE_ENDPOINT"]
        return
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys")
        write_keys(keys)
        server = Server(os.path.join(tmp, "palisade.db"), keys).start()
        try:
            yield server.endpoint
        finally:
            server.stop()


def client(endpoint, key, service="ec2"):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key[0], aws_secret_access_key=key[1],
        config=botocore.config.Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="session")
def ec2(endpoint):
    return client(endpoint, KEY_A)


@pytest.fixture(scope="session")
def ec2_b(endpoint):
    return client(endpoint, KEY_B)


@pytest.fixture
def uniq(request):
    """A name unique to the test (the session's server is shared)."""
    return request.node.name.replace("[", "-").replace("]", "")[-200:]


@pytest.fixture(scope="session")
def aws(endpoint):
    """Runs the aws CLI against the server; returns (exit code, parsed JSON or stderr)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_A[0], AWS_SECRET_ACCESS_KEY=KEY_A[1],
               AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1", AWS_PAGER="",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    cli = str(pathlib.Path(os.sys.executable).parent / "aws")

    def run(*args):
        res = subprocess.run([cli, "--endpoint-url", endpoint, "--output", "json", *args],
                             env=env, capture_output=True, text=True)
        if res.returncode != 0:
            return res.returncode, res.stderr
        return 0, json.loads(res.stdout) if res.stdout.strip() else {}
    return run

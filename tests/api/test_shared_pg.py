"""Two `palisade serve` processes sharing one PostgreSQL database (`--db postgres://…`).

Runs when PALISADE_PG_URL is set (scripts/test.d/setup-postgres.sh writes it to
target/pg-env as root); skipped otherwise, and failed then when CI is set. Each run uses a
fresh account id, so leftovers from earlier runs in the same database never interfere.
"""
import os
import tempfile
import threading
import time

import botocore.exceptions
import pytest

from conftest import Server, client

PG_URL = os.environ.get("PALISADE_PG_URL")

if not PG_URL:
    if os.environ.get("CI"):
        raise RuntimeError("CI is set but PALISADE_PG_URL is not: PostgreSQL tests cannot run")
    pytest.skip("PALISADE_PG_URL is not set (scripts/test.d/setup-postgres.sh, as root)",
                allow_module_level=True)


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


@pytest.fixture(scope="module")
def servers():
    # A 12-digit account id unique to this run: pid and wall-clock microseconds.
    account = f"{os.getpid() % 1000:03d}{time.time_ns() // 1000 % 10**9:09d}"
    key = ("AKIDSHAREDPG0000001", "secret-shared-pg", account)
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys")
        with open(keys, "w") as f:
            f.write(" ".join(key) + "\n")
        started = []
        try:
            for _ in range(2):
                started.append(Server(PG_URL, keys).start())
            yield [client(s.endpoint, key) for s in started], (keys, key)
        finally:
            for s in started:
                s.stop()


def test_a_group_created_on_one_server_is_seen_and_changed_on_the_other(servers):
    (one, two), _ = servers
    gid = one.create_security_group(GroupName="shared-web", Description="d")["GroupId"]
    found = two.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
    assert [g["GroupName"] for g in found] == ["shared-web"]
    two.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                     "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    perms = one.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in perms] == [(443, "0.0.0.0/0")]
    assert error_code(lambda: two.create_security_group(
        GroupName="shared-web", Description="again")) == "InvalidGroup.Duplicate"


def test_sixteen_clients_across_both_servers_add_a_rule_once(servers):
    clients, _ = servers
    gid = clients[0].create_security_group(GroupName="shared-dup", Description="d")["GroupId"]
    codes = [None] * 16

    def work(i):
        c = clients[i % 2]
        codes[i] = error_code(lambda: c.authorize_security_group_ingress(
            GroupId=gid, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                         "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(None) == 1, codes
    assert codes.count("InvalidPermission.Duplicate") == 15, codes
    for c in clients:
        perms = c.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
        assert len(perms) == 1


def test_a_server_started_later_sees_the_shared_state(servers):
    (one, _), (keys, key) = servers
    gid = one.create_security_group(GroupName="shared-durable", Description="d")["GroupId"]
    fresh = Server(PG_URL, keys).start()
    try:
        found = client(fresh.endpoint, key).describe_security_groups(GroupIds=[gid])
        assert found["SecurityGroups"][0]["GroupName"] == "shared-durable"
    finally:
        fresh.stop()

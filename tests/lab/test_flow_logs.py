"""The lab writes VPC Flow Logs for its instances (conftest starts it with 2-second windows),
and `palisade flows` attributes them against the lab's own snapshot: the rules that carried
real traffic, the packets the groups dropped, and no contradiction between the two."""
import json
import os
import subprocess
import time

from conftest import BIN, INTERNET_V4, REGION
from test_lab import ANY4, tcp


def flows(lab, *flags):
    out = subprocess.run(
        [BIN, "flows", "-i", os.path.join(lab.dir, f"{REGION}.json"), *flags,
         os.path.join(lab.dir, "flow-logs")],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def records(lab):
    return [json.loads(l) for l in flows(lab, "--records").splitlines() if l.strip()]


def until(pred, within=20.0):
    deadline = time.time() + within
    while True:
        got = pred()
        if got or time.time() > deadline:
            return got
        time.sleep(0.5)


def test_flow_logs_name_the_rules_that_carried_real_traffic(lab):
    n = lab.public_vpc("10.40.0.0/16")
    web = lab.group("fl-web", n["vpc"], ingress=[tcp(80, ANY4)])
    db = lab.group("fl-db", n["vpc"], ingress=[tcp(5432, v4=None, groups=[web])])
    other = lab.group("fl-other", n["vpc"])
    w = lab.launch(n["subnet"], [web])
    d = lab.launch(n["subnet"], [db])
    o = lab.launch(n["subnet"], [other])
    lab.serve(w["InstanceId"], "tcp:80", "tcp:22")
    lab.serve(d["InstanceId"], "tcp:5432")
    assert lab.probe("internet", "tcp", w["public"], 80)
    assert not lab.probe("internet", "tcp", w["public"], 22)
    assert lab.probe(w["InstanceId"], "tcp", d["v4"], 5432)
    assert not lab.probe(o["InstanceId"], "tcp", d["v4"], 5432)
    eni = {k: i["NetworkInterfaces"][0]["NetworkInterfaceId"]
           for k, i in (("web", w), ("db", d), ("other", o))}
    rules = {g: lab.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [g]}])["SecurityGroupRules"]
        for g in (web, db)}
    web80 = next(r["SecurityGroupRuleId"] for r in rules[web]
                 if not r["IsEgress"] and r.get("FromPort") == 80)
    db5432 = next(r["SecurityGroupRuleId"] for r in rules[db]
                  if not r["IsEgress"] and r.get("FromPort") == 5432)

    def mine():
        # The directory appears with the first window written (one window late).
        if not os.path.isdir(os.path.join(lab.dir, "flow-logs")):
            return None
        rs = [r for r in records(lab) if r["interface"] in eni.values()]
        need = [
            lambda r: r["interface"] == eni["db"] and r["dst_port"] == 5432
            and r["src"] == w["v4"] and r["outcome"] == "allowed",
            lambda r: r["interface"] == eni["db"] and r["dst_port"] == 5432
            and r["src"] == o["v4"] and r["action"] == "REJECT",
            lambda r: r["interface"] == eni["web"] and r["dst_port"] == 22
            and r["action"] == "REJECT",
            lambda r: r["interface"] == eni["web"] and r["dst_port"] == 80
            and r["src"] == INTERNET_V4 and r["outcome"] == "allowed",
        ]
        return rs if all(any(p(r) for r in rs) for p in need) else None

    rs = until(mine)
    assert rs, "the flow logs never showed the four probes:\n" + "\n".join(
        json.dumps(r) for r in records(lab) if r["interface"] in eni.values())
    # The allowed records carry exactly the rule that admits them; the rejected ones none.
    for r in rs:
        if r["interface"] == eni["db"] and r["outcome"] == "allowed" and r["dst_port"] == 5432:
            assert r["rules"] == [db5432], r
        if r["interface"] == eni["web"] and r["outcome"] == "allowed" and r["dst_port"] == 80:
            assert r["rules"] == [web80], r
        if r["action"] == "REJECT":
            assert r["outcome"] == "rejected", r
    # Egress records on the sender match the receiver's ingress: the web instance's
    # connection to the database left through its (default, allow-all) egress.
    assert any(r["interface"] == eni["web"] and r["dst"] == d["v4"] and r["dst_port"] == 5432
               and r["action"] == "ACCEPT" for r in rs)
    # The other instance's packets left it (its egress allows all) and were dropped at the
    # database's ingress: ACCEPT on its side, REJECT on the database's.
    assert any(r["interface"] == eni["other"] and r["dst_port"] == 5432
               and r["action"] == "ACCEPT" for r in rs)
    # Replies are attributed to the flow that opened them, not to a rule.
    assert any(r["interface"] == eni["db"] and r["src_port"] == 5432
               and r["outcome"] == "reply" for r in rs)
    report = json.loads(flows(lab, "--format", "json"))
    used = {u["rule_id"]: u for u in report["rules"]}
    assert used[web80]["packets"] > 0 and INTERNET_V4 in used[web80]["peers"]
    assert used[db5432]["packets"] > 0 and w["v4"] in used[db5432]["peers"]
    mine_contra = [c for c in report["contradictions"] if c["interface"] in eni.values()]
    assert mine_contra == [], mine_contra

"""Terraform through the lab: `terraform apply` of tests/lab/terraform starts a web server
that answers from the internet on 80 and nothing else; `terraform destroy` removes the
instance's namespace. SKIPs visibly where terraform or the provider mirror is absent."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import KEY

HERE = pathlib.Path(__file__).resolve().parent
MIRROR = os.environ.get("PALISADE_TF_MIRROR", "/opt/tf-plugins")


def test_terraform_web_server_in_the_lab(lab):
    tf = shutil.which("terraform")
    if tf is None or not os.path.isdir(MIRROR):
        pytest.skip("SKIP terraform lab case: terraform or the provider mirror is absent")
    work = pathlib.Path(tempfile.mkdtemp(prefix="tf-lab-"))
    shutil.copy(HERE / "terraform" / "main.tf", work / "main.tf")
    (work / "terraform.tfvars.json").write_text(json.dumps(
        {"endpoint": lab.endpoint, "access_key": KEY[0], "secret_key": KEY[1]}))
    rc = work / "cli.tfrc"
    rc.write_text('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n'
                  % MIRROR)
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", TF_INPUT="0")

    def run(*args):
        r = subprocess.run([tf, *args], cwd=work, env=env, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, f"terraform {args[0]}:\n{r.stdout}\n{r.stderr}"
        return r.stdout

    try:
        run("init", "-no-color")
        run("apply", "-auto-approve", "-no-color")
        ip = json.loads(run("output", "-json"))["public_ip"]["value"]
        assert lab.eventually("internet", "http", ip, 80, within=10), "web server via Terraform"
        assert not lab.probe("internet", "tcp", ip, 22)
        inst = lab.ec2.describe_instances(Filters=[
            {"Name": "tag:Name", "Values": ["tf-lab-web"]},
            {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"][0][
            "Instances"][0]["InstanceId"]
        run("destroy", "-auto-approve", "-no-color")
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert f"{lab.prefix}-{inst}" not in netns, "destroy removes the instance's namespace"
    finally:
        subprocess.run([tf, "destroy", "-auto-approve", "-no-color"], cwd=work, env=env,
                       capture_output=True, timeout=600)
        shutil.rmtree(work, ignore_errors=True)

"""The console end to end in headless chromium against a real `palisade serve`: sign-in,
a group created from a preset with its reachability preview, the saved rule in the table
and in `aws ec2 describe-security-group-rules`, the interface's exposure changing, a bad
form value answered with the API's EC2 error next to its field, and screenshots of the
main pages checked for rendering errors."""

import os
import re

from PIL import Image, ImageStat

from conftest import KEY_A, KEY_B, SHOTS, aws


def sign_in(page, endpoint, key=KEY_A):
    page.context.clear_cookies()
    page.goto(endpoint + "/")
    page.wait_for_url("**/console/signin")
    page.fill("#access_key", key[0])
    page.fill("#secret", key[1])
    page.click("#signin button[type=submit]")
    page.wait_for_url("**/console/")


def make_interface():
    subnets = aws("describe-subnets")["Subnets"]
    assert subnets, "the default VPC has subnets"
    eni = aws("create-network-interface", "--subnet-id", subnets[0]["SubnetId"])
    return eni["NetworkInterface"]["NetworkInterfaceId"]


def test_bad_secret_is_refused_with_auth_failure(page, endpoint):
    pg = page.page
    pg.goto(endpoint + "/console/signin")
    pg.fill("#access_key", KEY_A[0])
    pg.fill("#secret", "not-the-secret")
    pg.click("#signin button[type=submit]")
    assert "AuthFailure" in pg.inner_text("#secret-error")
    assert pg.url.endswith("/console/signin")
    # The refused secret is never sent back in the page.
    assert "not-the-secret" not in pg.content()


def test_preset_group_preview_save_and_exposure(page, endpoint):
    pg = page.page
    eni = make_interface()
    sign_in(pg, endpoint)

    pg.goto(f"{endpoint}/console/interfaces/{eni}")
    assert "Nothing on the internet" in pg.inner_text("#internet-exposure")

    pg.goto(endpoint + "/console/groups/new")
    pg.fill("#name", "pc-web")
    pg.fill("#group_description", "web tier from the console")
    pg.select_option("#preset", "web")
    pg.select_option("#attach", eni)
    pg.click("#preview")
    preview = pg.inner_text("#preview-result")
    assert "+ group sg-" in preview
    assert "tcp/80" in preview and "tcp/443" in preview
    assert f"{eni} is now reachable" in pg.inner_text("#preview-reach")
    shot = os.path.join(SHOTS, "preview.png")
    pg.screenshot(path=shot, full_page=True)
    check_shot(shot)
    assert page.problems == [], page.problems
    # The preview saved nothing.
    names = [g["GroupName"] for g in aws("describe-security-groups")["SecurityGroups"]]
    assert "pc-web" not in names

    pg.click("#save")
    pg.wait_for_selector("#saved")
    group_id = re.search(r"/console/groups/(sg-[0-9a-f]+)", pg.url).group(1)
    inbound = pg.inner_text("#inbound-rules")
    assert "0.0.0.0/0" in inbound and "80" in inbound and "443" in inbound

    rules = aws(
        "describe-security-group-rules", "--filters", f"Name=group-id,Values={group_id}"
    )["SecurityGroupRules"]
    http = [r for r in rules if not r["IsEgress"] and r.get("FromPort") == 80]
    assert len(http) == 1 and http[0]["CidrIpv4"] == "0.0.0.0/0"
    rule_id = http[0]["SecurityGroupRuleId"]
    assert pg.locator(f"#inbound-rules tr[id='{rule_id}']").count() == 1

    pg.goto(f"{endpoint}/console/interfaces/{eni}")
    exposure = pg.inner_text("#internet-exposure")
    assert "tcp/80" in exposure
    link = pg.locator(f"#internet-exposure a[href='/console/groups/{group_id}#{rule_id}']")
    assert link.count() >= 1
    assert group_id in pg.inner_text("#effective-rules")


def test_bad_cidr_shows_the_api_error_next_to_the_field(page, endpoint):
    pg = page.page
    group_id = aws(
        "create-security-group", "--group-name", "pc-bad", "--description", "bad input"
    )["GroupId"]
    api = aws(
        "authorize-security-group-ingress",
        "--group-id", group_id,
        "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/33",
        check=False,
    )
    assert api.returncode != 0
    code = re.search(r"\((\w[\w.]*)\)", api.stderr).group(1)
    message = api.stderr.split(":", 1)[1].strip()

    sign_in(pg, endpoint)
    pg.goto(f"{endpoint}/console/groups/{group_id}")
    pg.select_option("#preset", "custom")
    pg.fill("#protocol", "tcp")
    pg.fill("#from_port", "22")
    pg.fill("#to_port", "22")
    pg.fill("#source", "10.0.0.0/33")
    pg.click("#save")
    shown = pg.inner_text("#source-error")
    assert shown == f"{code}: {message}"
    assert pg.locator(".field.invalid #source").count() == 1
    rules = aws(
        "describe-security-group-rules", "--filters", f"Name=group-id,Values={group_id}"
    )["SecurityGroupRules"]
    assert all(r["IsEgress"] for r in rules)


def test_another_account_sees_none_of_it(page, endpoint):
    pg = page.page
    mine = {g["GroupId"] for g in aws("describe-security-groups")["SecurityGroups"]}
    sign_in(pg, endpoint, KEY_B)
    assert "666666666666" in pg.inner_text("header")
    pg.goto(endpoint + "/console/groups")
    listed = pg.inner_text("#groups")
    assert not any(g in listed for g in mine)
    some = sorted(mine)[0]
    pg.goto(f"{endpoint}/console/groups/{some}")
    assert "InvalidGroup.NotFound" in pg.inner_text("main")


def check_shot(path):
    """A screenshot that is not blank: several colours, and not one flat tone."""
    img = Image.open(path).convert("RGB")
    assert img.width >= 800 and img.height >= 400
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 8, f"{path}: {len(colours)} colours"
    stddev = ImageStat.Stat(img).stddev
    assert max(stddev) > 5, f"{path}: nearly uniform ({stddev})"


PAGES = [
    ("overview", "/console/", ".grid .card"),
    ("vpcs", "/console/vpcs", "#vpcs tbody tr"),
    ("subnets", "/console/subnets", "#subnets tbody tr"),
    ("interfaces", "/console/interfaces", "#interfaces tbody tr"),
    ("groups", "/console/groups", "#groups tbody tr"),
    ("new-group", "/console/groups/new", "#new-group #preset"),
    ("graph", "/console/graph", "#graph-svg g.node"),
    ("audit", "/console/audit", "#findings"),
]


def test_screenshots_of_the_main_pages_render_cleanly(page, endpoint):
    pg = page.page
    sign_in(pg, endpoint)
    groups = aws("describe-security-groups")["SecurityGroups"]
    enis = aws("describe-network-interfaces")["NetworkInterfaces"]
    pages = list(PAGES)
    pages.append(("group", f"/console/groups/{groups[0]['GroupId']}", "#inbound-rules"))
    if enis:
        eni = enis[0]["NetworkInterfaceId"]
        pages.append(("interface", f"/console/interfaces/{eni}", "#effective-rules"))
    for name, path, selector in pages:
        page.problems.clear()
        response = pg.goto(endpoint + path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        pg.wait_for_load_state("networkidle")
        assert pg.locator(selector).count() > 0, f"{path}: no {selector}"
        assert pg.inner_text("main").strip(), f"{path}: empty main"
        shot = os.path.join(SHOTS, f"{name}.png")
        pg.screenshot(path=shot, full_page=True)
        check_shot(shot)
        assert page.problems == [], f"{path}: {page.problems}"

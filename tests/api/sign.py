"""A tiny SigV4 signer with a chosen clock, for the authentication tests (botocore always
signs with the current time)."""
import datetime
import hashlib
import hmac
import urllib.error
import urllib.parse
import urllib.request


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_post(endpoint, key, secret, body, when=None, service="ec2", region="us-east-1", path="/",
                content_type="application/x-www-form-urlencoded; charset=utf-8"):
    """POSTs `body` signed at `when` (UTC datetime); returns (status, text)."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    host = urllib.parse.urlparse(endpoint).netloc
    payload = hashlib.sha256(body.encode()).hexdigest()
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(endpoint.rstrip("/") + path, data=body.encode(), method="POST")
    req.add_header("Content-Type", content_type)
    req.add_header("X-Amz-Date", amz_date)
    req.add_header("Authorization", f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}")
    return fetch(req)


def fetch(req):
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def error_code(text):
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else None


def evaluate(endpoint, key, secret, **packet):
    """Asks POST /_palisade/eval whether `packet` passes; returns the decoded answer."""
    import json
    status, text = signed_post(endpoint, key, secret, json.dumps(packet), path="/_palisade/eval",
                               content_type="application/json")
    assert status == 200, text
    return json.loads(text)

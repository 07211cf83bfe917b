#!/usr/bin/env python3
"""AK/SK signing test vectors computed by the vendor's own Python SDK core (PyPI `huaweicloudsdkcore`).

    python3 scripts/vendor/signing_vectors.py                 # prints the vectors (JSON)
    python3 scripts/vendor/signing_vectors.py --write         # rewrites tests/data/signing-vectors.json

On its first run it creates target/signing-vectors-venv with the machine's python3 and installs the
pinned packages of scripts/vendor/signing-requirements.txt into it (reused while that file is
unchanged), then runs itself inside that virtualenv. Nothing is installed by hand.

Every request goes through the vendor's code: path parameters through `HcClient._parse_path_params`
(`quote(value, safe='')`, so a `/` in a value is `%2F` on the wire), query parameters through
`HcClient._parse_query_params` ('multi' for lists), the payload rule of `Signer._process_content_header`
(a non-JSON `Content-Type` sends `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`), and `Signer.sign`, whose
`process_request_uri` leaves the URI the vendor puts on the wire. Two signatures per case:

- `vendor`: `Signer.sign` with one method overridden, `_process_signed_headers`, so that
  `Content-Type` is not signed (the Go SDK's and the Rust SDK's choice; the Python SDK signs it).
  Everything else - canonical URI, query, headers, payload hash, string to sign - is the vendor's.
  The Rust SDK's `Signer::sign` must produce exactly this `Authorization`, wire URI and headers.
- `vendor_exact`: the unmodified `Signer.sign` (Content-Type signed). The Rust SDK's
  `canonical_request` over the same signed header names must equal its canonical request.

The `sdk_url` of each case is the URL the Rust SDK builds for the same parameters: path values
encoded like `codearts::validate::encode_path` (everything but letters, digits and `-._~`), the query
like reqwest's `.query()` (form encoding: a space is `+`, `~` is `%7E`), in the given order.
"""

import hashlib
import json
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, "target", "signing-vectors-venv")
REQUIREMENTS = os.path.join(ROOT, "scripts", "vendor", "signing-requirements.txt")
OUT = os.path.join(ROOT, "tests", "data", "signing-vectors.json")

AK = "AccessKey"
SK = "SecretKey"
DATE = "20261204T013000Z"
HOST = "codearts-build.cn-north-4.myhuaweicloud.com"
PROJECT = "2ea6a5d2b2ef4ff3ab5d21c1a4e4e2a6"
JOB = "f9d6c8466d614a9788e9a0acf6c15f46"


def ensure_venv():
    """Re-executes this script inside the pinned virtualenv (created or refreshed when needed)."""
    python = os.path.join(VENV, "bin", "python")
    with open(REQUIREMENTS, "rb") as f:
        stamp = hashlib.sha256(f.read() + sys.version.encode()).hexdigest()
    stamp_file = os.path.join(VENV, ".stamp")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    current = open(stamp_file).read() if os.path.exists(stamp_file) else ""
    if not os.path.exists(python) or current != stamp:
        print(f"signing_vectors: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(clear=True, with_pip=True).create(VENV)
        subprocess.check_call(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
             "--requirement", REQUIREMENTS],
            stdout=sys.stderr,
        )
        with open(stamp_file, "w") as f:
            f.write(stamp)
    os.execv(python, [python, os.path.abspath(__file__)] + sys.argv[1:])


def form_encode(s):
    """`form_urlencoded::byte_serialize`, as reqwest's `.query()` writes a query value."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "*-._"):
            out.append(c)
        elif c == " ":
            out.append("+")
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def path_encode(s):
    """`codearts::validate::encode_path`: everything but letters, digits and `-._~` as `%XX`."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        out.append(c if c.isascii() and (c.isalnum() or c in "-._~") else "%%%02X" % b)
    return "".join(out)


# name, method, path template, path params, query (list of (key, value or list)), headers, content type, body
CASES = [
    ("get-slash-in-path-value", "GET", "/v4/{project_id}/jobs/{job_id}/status",
     {"project_id": PROJECT, "job_id": "ab/cd"}, [], {}, None, ""),
    ("get-path-space-unicode-plus-tilde", "GET", "/v4/{project_id}/jobs/{job_id}",
     {"project_id": PROJECT, "job_id": "a b+c~d\u4e00\u00e9"}, [], {}, None, ""),
    ("get-path-reserved-characters", "GET", "/v4/{project_id}/records/{record_id}",
     {"project_id": PROJECT, "record_id": "x(y)*!'@:;,=$&?#[]%"}, [], {}, None, ""),
    ("get-path-only-unreserved", "GET", "/v3/{project_id}/jobs/{job_id}/history",
     {"project_id": PROJECT, "job_id": JOB}, [("page_index", "0"), ("page_size", "100")],
     {"Accept": "application/json", "X-Project-Id": PROJECT}, None, ""),
    ("get-query-unsorted-repeated-empty", "GET", "/v3/jobs",
     {}, [("b", "2"), ("a", "x"), ("a", ""), ("flag", ""), ("a", "1")], {}, None, ""),
    ("get-query-list-multi", "GET", "/v1/job/{job_id}/records",
     {"job_id": JOB}, [("status", ["FAILED", "SUCCESS", "ABORTED"]), ("limit", "10")], {}, None, ""),
    ("get-query-special-characters", "GET", "/v3/{project_id}/jobs/list",
     {"project_id": PROJECT},
     [("search", "a b+c"), ("path", "/tmp/x~y*z"), ("name", "\u4e00\u4e8c"), ("expr", "k=v&x;y"),
      ("under_score", "_.-")],
     {}, None, ""),
    ("post-json-runjob", "POST", "/v3/jobs/build", {}, [],
     {"Accept": "application/json", "Api-Version": "2023-11-30"}, "application/json;charset=UTF-8",
     json.dumps({"job_id": JOB, "parameter": [{"name": "releaseVersion", "value": "1.0.1"}]},
                separators=(",", ":"))),
    ("post-json-unicode-body", "POST", "/v3/{project_id}/jobs", {"project_id": PROJECT}, [],
     {}, "application/json", json.dumps({"job_name": "\u6784\u5efa a+b~c"}, ensure_ascii=False)),
    ("delete-with-json-body", "DELETE", "/v1/job/{job_id}/keystore", {"job_id": JOB}, [("force", "true")],
     {}, "application/json", '{"ids":["k1","k2"]}'),
    ("post-multipart-keystore-upload", "POST", "/v1/domain/{project_id}/keystore", {"project_id": PROJECT}, [],
     {"Accept": "application/json"}, "multipart/form-data; boundary=codearts-0123456789abcdef",
     "--codearts-0123456789abcdef\r\nContent-Disposition: form-data; name=\"file\"; filename=\"release.keystore\"\r\n"
     "Content-Type: application/octet-stream\r\n\r\nKEYSTORE-BYTES\r\n--codearts-0123456789abcdef\r\n"
     "Content-Disposition: form-data; name=\"privacy\"\r\n\r\ntrue\r\n--codearts-0123456789abcdef--\r\n"),
    ("put-octet-stream", "PUT", "/v1/artifacts/{name}", {"name": "a b.bin"}, [], {}, "application/octet-stream",
     "\x00\x01binary"),
    ("post-form-urlencoded", "POST", "/v3/auth/form", {}, [], {}, "application/x-www-form-urlencoded",
     "a=1&b=x+y"),
    ("post-text-plain", "POST", "/v3/notes", {}, [], {}, "text/plain", "hello"),
    ("get-security-token-and-custom-headers", "GET", "/v3/{project_id}/jobs/{job_id}/config",
     {"project_id": PROJECT, "job_id": JOB}, [("get_all_params", "true")],
     {"X-Security-Token": "the-security-token", "X-Custom": "  spaced value  ", "X_Underscored": "not signed"},
     None, ""),
    ("get-unicode-header-value", "GET", "/v3/jobs/{job_id}", {"job_id": JOB}, [],
     {"X-Description": "\u6784\u5efa \u00e9t\u00e9"}, None, ""),
]


def vector(case):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.client import Client as HcClient
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    class GoSignedHeaders(Signer):
        """The vendor's signer, `Content-Type` left out of the signed headers (as the Go SDK does)."""

        @classmethod
        def _process_signed_headers(cls, request):
            return [h for h in Signer._process_signed_headers(request) if h != "content-type"]

    name, method, template, path_params, query, headers, content_type, body = case
    collection_formats = {k: "multi" for k, v in query if isinstance(v, list)}

    def build():
        resource_path = HcClient._parse_path_params(HcClient, collection_formats, dict(path_params), template, None)
        query_params = HcClient._parse_query_params(HcClient, collection_formats, list(query))
        header_params = dict(headers)
        if content_type:
            header_params["Content-Type"] = content_type
        header_params["X-Sdk-Date"] = DATE
        return SdkRequest(method=method, schema="https", host=HOST, resource_path=resource_path,
                          query_params=query_params, header_params=header_params,
                          body=body.encode("utf-8") if body else "")

    def sign(signer_cls):
        request = build()
        captured = {}
        original = signer_cls._process_canonical_request

        def capture(self, req, signed_headers):
            captured["canonical_request"] = original(self, req, signed_headers)
            captured["signed_headers"] = list(signed_headers)
            return captured["canonical_request"]

        signer_cls._process_canonical_request = capture
        try:
            signer_cls(BasicCredentials(AK, SK)).sign(request)
        finally:
            signer_cls._process_canonical_request = original
        return request, captured

    request, captured = sign(GoSignedHeaders)
    exact_request, exact = sign(Signer)

    sdk_path = template
    for k, v in path_params.items():
        sdk_path = sdk_path.replace("{%s}" % k, path_encode(v))
    pairs = []
    for k, v in query:
        for value in (v if isinstance(v, list) else [v]):
            pairs.append("%s=%s" % (form_encode(k), form_encode(value)))
    sdk_url = "https://%s%s%s" % (HOST, sdk_path, "?" + "&".join(pairs) if pairs else "")

    headers_in = dict(headers)
    token = headers_in.pop("X-Security-Token", None)
    if content_type:
        headers_in["Content-Type"] = content_type
    out = {
        "name": name,
        "ak": AK,
        "sk": SK,
        "security_token": token,
        "date": DATE,
        "method": method,
        "sdk_url": sdk_url,
        "headers": headers_in,
        "body": body,
        "vendor": {
            "url": request.url,
            "headers": {k: v for k, v in request.header_params.items() if k != "Authorization"},
            "canonical_request": captured["canonical_request"],
            "authorization": request.header_params["Authorization"],
        },
        "vendor_exact": {
            "signed_headers": exact["signed_headers"],
            "canonical_request": exact["canonical_request"],
            "authorization": exact_request.header_params["Authorization"],
        },
    }
    return out


def main():
    ensure_venv()
    from importlib.metadata import version

    vectors = {
        "about": "AK/SK (SDK-HMAC-SHA256) signing vectors computed by the vendor's Python SDK core, "
                 "huaweicloudsdkcore %s, through its own request-building and signing code: generated by "
                 "scripts/vendor/signing_vectors.py (see its docstring for the two signatures of each case). "
                 "Do not edit by hand." % version("huaweicloudsdkcore"),
        "generator": "scripts/vendor/signing_vectors.py",
        "vendor_package": "huaweicloudsdkcore==%s" % version("huaweicloudsdkcore"),
        "cases": [vector(case) for case in CASES],
    }
    text = json.dumps(vectors, indent=2, ensure_ascii=False) + "\n"
    if "--write" in sys.argv[1:]:
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"signing_vectors: wrote {len(vectors['cases'])} cases to {os.path.relpath(OUT, ROOT)}", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

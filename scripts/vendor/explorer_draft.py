#!/usr/bin/env python3
"""Drafts OpenAPI 3.0.3 operations from the vendored API Explorer definitions, as the starting point
of a transcription (never the end of one: descriptions come out in the definitions' Chinese, marked
`ZH:`, and must be paraphrased in English; formats, enumerations, pagination, idempotency and
provenance are the transcriber's). It also lists where the definitions and the vendor SDK facts
disagree, for the errata.

usage: explorer_draft.py SERVICE OUT_DIR [--only Op1,Op2] [--skip-existing spec.yaml]
  SERVICE  codearts-build | codearts-check | codearts-pipeline
writes OUT_DIR/draft.yaml, OUT_DIR/examples/*.json and OUT_DIR/report.md
"""
import argparse
import copy
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
AUTH_HEADERS = {"x-auth-token", "content-type", "authorization", "x-sdk-date", "x-project-id", "host"}
ERROR_RESPONSES = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
    "409": "Conflict", "500": "InternalServerError", "503": "ServiceUnavailable",
}


def zh(text):
    text = (text or "").strip()
    return f"ZH: {text}" if text else "ZH: (none)"


def convert_schema(s, defs_seen):
    """Swagger 2.0 schema -> OpenAPI 3.0 schema (refs to components)."""
    if not isinstance(s, dict):
        return s
    out = {}
    if "$ref" in s:
        name = s["$ref"].split("/")[-1]
        defs_seen.add(name)
        return {"$ref": f"#/components/schemas/{name}"}
    t = s.get("type")
    if t == "long":
        out["type"], out["format"] = "integer", "int64"
    elif t == "float":
        out["type"], out["format"] = "number", "float"
    elif t == "file":
        out["type"], out["format"] = "string", "binary"
    elif t is not None:
        out["type"] = t
    if "format" in s and "format" not in out:
        out["format"] = s["format"]
    if s.get("description"):
        out["description"] = zh(s["description"])
    for k in ("enum", "minLength", "maxLength", "minimum", "maximum", "pattern", "minItems", "maxItems", "default"):
        if k in s:
            out[k] = s[k]
    if "required" in s and isinstance(s["required"], list) and s["required"]:
        out["required"] = s["required"]
    if "properties" in s:
        out["properties"] = {k: convert_schema(v, defs_seen) for k, v in s["properties"].items()}
        out.setdefault("type", "object")
    if "items" in s:
        out["items"] = convert_schema(s["items"], defs_seen)
    if "additionalProperties" in s:
        ap = s["additionalProperties"]
        out["additionalProperties"] = convert_schema(ap, defs_seen) if isinstance(ap, dict) else ap
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["additionalProperties"] = {}
    if "type" not in out and "$ref" not in out and not out.get("properties"):
        out["description"] = out.get("description", "ZH: (none)") + " [no type in the definition]"
    return out


def shape(s):
    """A schema without descriptions/examples, for comparing definitions of the same name."""
    if isinstance(s, dict):
        return {k: shape(v) for k, v in s.items() if k not in ("description", "example", "title", "x-example")}
    if isinstance(s, list):
        return [shape(v) for v in s]
    return s


def param_schema(p):
    s = {}
    t = p.get("type", "string")
    if t == "long":
        s["type"], s["format"] = "integer", "int64"
    else:
        s["type"] = t
    for k in ("format", "enum", "minLength", "maxLength", "minimum", "maximum", "pattern", "default"):
        if k in p:
            s[k] = p[k]
    if t == "array":
        s["items"] = {"type": p.get("items", {}).get("type", "string")}
    return s


SDK_SCALARS = {"str": "string", "int": "integer", "bool": "boolean", "float": "number", "object": "any", "file": "string"}


def exp_kind(s, defs):
    if "$ref" in s:
        return "object", defs.get(s["$ref"].split("/")[-1], {})
    t = s.get("type")
    if t == "long":
        t = "integer"
    if t == "float":
        t = "number"
    if t == "object" and "properties" not in s:
        return ("map", s.get("additionalProperties")) if isinstance(s.get("additionalProperties"), dict) else ("any", None)
    if t is None and "properties" in s:
        t = "object"
    return t or "any", s


def sdk_kind(t):
    if t in SDK_SCALARS:
        return SDK_SCALARS[t], None
    m = re.fullmatch(r"list\[(.*)\]", t)
    if m:
        return "array", m.group(1)
    m = re.fullmatch(r"dict\(str, (.*)\)", t)
    if m:
        return "map", m.group(1)
    return "object", t


def compare_fields(op, where, exp, sdk_type, defs, models, report, ptr, response=False, depth=0):
    """Reports differences between an explorer schema and an SDK type, recursively."""
    if depth > 8:
        return
    ek, es = exp_kind(exp, defs)
    sk, sarg = sdk_kind(sdk_type)
    if ek == "any" or sk == "any":
        return
    if ek != sk and not (ek == "object" and sk == "map"):
        report.append(f"- `{op}` {where} `{ptr or '/'}`: explorer {ek}, SDK {sdk_type}")
        return
    if ek == "array":
        compare_fields(op, where, es.get("items", {}), sarg, defs, models, report, ptr + "/0", depth=depth + 1)
    elif ek == "object" and sk == "object":
        fields = models.get(sarg, {}).get("fields", {})
        if response:
            fields = {k: v for k, v in fields.items() if k not in ("X-request-id", "X-Request-Id")}
        props = es.get("properties", {})
        for k in sorted(set(props) - set(fields)):
            report.append(f"- `{op}` {where} `{ptr}/{k}`: in the explorer definition, not in the SDK model {sarg}")
        for k in sorted(set(fields) - set(props)):
            report.append(f"- `{op}` {where} `{ptr}/{k}`: in the SDK model {sarg}, not in the explorer definition")
        for k in sorted(set(fields) & set(props)):
            compare_fields(op, where, props[k], fields[k], defs, models, report, f"{ptr}/{k}", depth=depth + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("service")
    ap.add_argument("out")
    ap.add_argument("--only")
    ap.add_argument("--skip-existing")
    a = ap.parse_args()
    exp_dir = ROOT / "spec/vendor/explorer" / a.service
    sdk = json.loads((ROOT / "spec/vendor/sdk" / f"{a.service}.json").read_text())
    out = Path(a.out)
    (out / "examples").mkdir(parents=True, exist_ok=True)
    only = set(a.only.split(",")) if a.only else None
    existing = set()
    if a.skip_existing:
        existing = set(re.findall(r"operationId:\s*(\S+)", Path(a.skip_existing).read_text()))

    paths, schemas, report = {}, {}, []
    schema_origin = {}
    names = sorted(sdk["operations"])
    explorer_files = {p.stem: p for p in exp_dir.glob("*.json")}
    for extra in sorted(set(explorer_files) - set(names)):
        report.append(f"- `{extra}`: in the API Explorer definitions but not in the SDK ({sdk['package']} {sdk['version']})")
    for name in names:
        if (only and name not in only) or name in existing:
            continue
        facts = sdk["operations"][name]
        path_file = explorer_files.get(name)
        if not path_file:
            report.append(f"- `{name}`: no API Explorer definition; SDK says {facts['method']} {facts['path']} "
                          f"(path {facts['path_params']}, query {facts['query']}, headers {facts['headers']}, "
                          f"form {facts['form']}, body {facts['body_model']}, content {facts['content_types']}, "
                          f"response {facts['response_model']}): transcribe from the SDK models and the help pages")
            continue
        d = json.loads(path_file.read_text())
        top_params = d.get("parameters") or {}
        [(path, item)] = d["paths"].items()
        [(method, op)] = item.items()
        if method.upper() != facts["method"] or path != facts["path"]:
            report.append(f"- `{name}`: explorer {method.upper()} {path}, SDK {facts['method']} {facts['path']}")
        defs_seen = set()
        o = {
            "operationId": name,
            "tags": [zh(", ".join(op.get("tags") or []) or d.get("tags"))],
            "summary": zh(op.get("summary") or d.get("summary")),
            "description": zh(op.get("description") or d.get("description")),
            "x-codearts-reference": {
                "explorer": name,
            },
        }
        if op.get("x-request-examples-url-1"):
            o["x-codearts-reference"]["example-request"] = op["x-request-examples-url-1"]
        if op.get("deprecated"):
            o["deprecated"] = True
        params, body, form = [], None, []
        for p in op.get("parameters", []):
            if "$ref" in p:
                p = top_params[p["$ref"].split("/")[-1]]
            where = p["in"]
            if where == "header" and p["name"].lower() in AUTH_HEADERS:
                continue
            if where == "body":
                body = p
                continue
            if where == "formData":
                form.append(p)
                continue
            q = {"name": p["name"], "in": where, "required": bool(p.get("required")) or where == "path",
                 "description": zh(p.get("description")), "schema": param_schema(p)}
            if p.get("x-example") is not None:
                q["example"] = p["x-example"]
            params.append(q)
        order = re.findall(r"{(\w+)}", path)
        params.sort(key=lambda q: (q["in"] != "path", order.index(q["name"]) if q["name"] in order else 0))
        if params:
            o["parameters"] = params
        consumes = op.get("consumes") or json.loads(d.get("consumes") or "[]") or ["application/json"]
        if body is not None:
            media = {"schema": convert_schema(body["schema"], defs_seen)}
            if op.get("x-request-examples-1") is not None:
                ex = op["x-request-examples-1"]
                f = out / "examples" / f"{name}.request.json"
                f.write_text(ex if isinstance(ex, str) else json.dumps(ex, indent=2, ensure_ascii=False))
                media["examples"] = {"reference": {"summary": "ZH: " + str(op.get("x-request-examples-text-1", "")),
                                                   "externalValue": f"examples/{a.service.split('-')[1]}/{name}.request.json"}}
            o["requestBody"] = {"required": bool(body.get("required")), "content": {consumes[0]: media}}
        elif form:
            props, req = {}, []
            for p in form:
                props[p["name"]] = param_schema(p) if p.get("type") != "file" else {"type": "string", "format": "binary"}
                props[p["name"]]["description"] = zh(p.get("description"))
                if p.get("required"):
                    req.append(p["name"])
            sch = {"type": "object", "properties": props}
            if req:
                sch["required"] = req
            o["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": sch}}}
        produces = op.get("produces") or ["application/json"]
        responses = {}
        for status, r in sorted(op.get("responses", {}).items()):
            if status in ERROR_RESPONSES and status != "200":
                responses[status] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"}
                exs = (r.get("examples") or {})
                for mt, ex in exs.items():
                    f = out / "examples" / f"{name}.{status}.response.json"
                    f.write_text(json.dumps(ex, indent=2, ensure_ascii=False))
                continue
            resp = {"description": zh(r.get("description"))}
            if "schema" in r:
                mt = produces[0]
                sch = convert_schema(r["schema"], defs_seen)
                media = {"schema": sch}
                for _, ex in (r.get("examples") or {}).items():
                    f = out / "examples" / f"{name}.response.json" if status in ("200", "201", "204") else out / "examples" / f"{name}.{status}.response.json"
                    f.write_text(json.dumps(ex, indent=2, ensure_ascii=False))
                    media["examples"] = {"reference": {"summary": "ZH: example", "externalValue": f"examples/{a.service.split('-')[1]}/{f.name}"}}
                resp["content"] = {mt: media}
            responses[status] = resp
        o["responses"] = responses
        paths.setdefault(path, {})[method] = o
        # Definitions: merged by name; a same-named definition of another shape is kept apart.
        pending = set(defs_seen)
        done = set()
        while pending:
            dn = pending.pop()
            if dn in done:
                continue
            done.add(dn)
            raw = d.get("definitions", {}).get(dn)
            if raw is None:
                report.append(f"- `{name}`: $ref to missing definition {dn}")
                continue
            more = set()
            conv = convert_schema(raw, more)
            pending |= more - done
            if dn in schemas and shape(schemas[dn]) != shape(conv):
                alt = f"{dn}__{name}"
                report.append(f"- definition `{dn}` differs between `{schema_origin[dn]}` and `{name}`: kept as `{alt}` "
                              f"(decide: one schema, or two named for what they are)")
                schemas[alt] = conv
            elif dn not in schemas:
                schemas[dn] = conv
                schema_origin[dn] = name
        # Explorer vs SDK: body and 200 response fields.
        defs = d.get("definitions", {})
        if body is not None and facts["body_model"]:
            compare_fields(name, "request", body["schema"], facts["body_model"], defs, sdk["models"], report, "")
        ok = op.get("responses", {}).get("200", {}).get("schema")
        if ok is not None:
            resp_model = sdk["models"].get(facts["response_model"], {}).get("fields", {})
            if set(resp_model) == {"body"}:
                compare_fields(name, "response", ok, resp_model["body"], defs, sdk["models"], report, "")
            else:
                compare_fields(name, "response", ok, facts["response_model"], defs, sdk["models"], report, "", response=True)
        # Explorer vs SDK: parameters.
        exp_query = [p["name"] for p in params if p["in"] == "query"]
        if set(exp_query) != set(facts["query"]):
            report.append(f"- `{name}` query parameters: explorer {sorted(exp_query)}, SDK {sorted(facts['query'])}")
        if facts["content_types"] and body is not None and facts["content_types"][0] != consumes[0]:
            report.append(f"- `{name}` content type: explorer {consumes[0]}, SDK {facts['content_types'][0]}")
    doc = {"paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}
    (out / "draft.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110))
    (out / "report.md").write_text("# Draft report for " + a.service + "\n\n" + "\n".join(report) + "\n")
    print(f"{out}/draft.yaml: {sum(len(v) for v in paths.values())} operations, {len(schemas)} schemas; "
          f"{len(report)} report lines")


if __name__ == "__main__":
    main()

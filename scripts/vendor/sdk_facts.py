#!/usr/bin/env python3
"""Extracts the facts of a vendor Python SDK (PyPI huaweicloudsdk<service>) into one JSON document:
per operation its method, path, path/query/header/form parameters, body model, request content
type and response model; per model its fields (JSON name -> SDK type).

It reads the package's source with `ast` (nothing of it is imported or run), so the output is
exactly what the SDK's generated code says. `cargo xtask validate` compares the specs with these
facts; `python3 scripts/vendor/sdk_facts.py --update` refreshes them from the pinned wheel.

usage: sdk_facts.py WHEEL_OR_DIR OUT.json
"""
import ast
import json
import re
import sys
import zipfile
from pathlib import Path


def literal_dict(node):
    if isinstance(node, ast.Dict):
        return {ast.literal_eval(k): ast.literal_eval(v) for k, v in zip(node.keys, node.values)}
    return None


def model_facts(source):
    """class -> {json_name: sdk_type} plus sensitive fields."""
    tree = ast.parse(source)
    out = {}
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        types = names = None
        sensitive = []
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                target = stmt.targets[0].id
                if target == "openapi_types":
                    types = literal_dict(stmt.value)
                elif target == "attribute_map":
                    names = literal_dict(stmt.value)
                elif target == "sensitive_list":
                    sensitive = ast.literal_eval(stmt.value)
        if types is None or names is None:
            continue
        fields = {names[attr]: typ for attr, typ in types.items()}
        out[cls.name] = {"fields": fields, "sensitive": [names.get(s, s) for s in sensitive]}
    return out


HTTP_INFO = re.compile(r"def _(\w+)_http_info\(.*?\n(.*?)return http_info", re.S)


def operations(client_source):
    ops = {}
    for snake, body in HTTP_INFO.findall(client_source):
        method = re.search(r'"method": "(\w+)"', body).group(1)
        path = re.search(r'"resource_path": "([^"]*)"', body).group(1)
        response = re.search(r'"response_type": "(\w+)"', body).group(1)
        request = response[: -len("Response")] + "Request"
        path_params = re.findall(r"path_params\['(\w+)'\]", body)
        query = re.findall(r"query_params.append\(\('([^']+)'", body)
        headers = [h for h in re.findall(r"header_params\['([^']+)'\] = local_var_params", body)]
        form = re.findall(r"form_params\['([^']+)'\]", body)
        collection = dict(re.findall(r"collection_formats\['(\w+)'\] = '(\w+)'", body))
        content = re.search(r"select_header_content_type\(\s*\[([^\]]*)\]", body)
        content_types = [c.strip().strip("'\"") for c in content.group(1).split(",")] if content else []
        response_headers = re.findall(r"'([^']+)'", re.search(r"response_headers = \[(.*?)\]", body, re.S).group(1))
        ops[request[: -len("Request")]] = {
            "method": method,
            "path": path,
            "path_params": path_params,
            "query": query,
            "headers": [h for h in headers if h.lower() not in ("content-type",)],
            "form": form,
            "collection_formats": collection,
            "content_types": [c for c in content_types if c],
            "request_model": request,
            "response_model": response,
            "response_headers": response_headers,
            "snake": snake,
        }
    return ops


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    files = {}
    if src.suffix == ".whl":
        with zipfile.ZipFile(src) as z:
            for n in z.namelist():
                if n.endswith(".py"):
                    files[n] = z.read(n).decode("utf-8")
        version = re.search(r"-(\d+\.\d+\.\d+)-", src.name).group(1)
        package = src.name.split("-")[0]
    else:
        for p in src.rglob("*.py"):
            files[str(p.relative_to(src))] = p.read_text("utf-8")
        version, package = "unknown", src.name
    models, ops = {}, {}
    for name, text in sorted(files.items()):
        if "/model/" in name:
            models.update(model_facts(text))
        elif re.search(r"_client\.py$", name) and "async" not in name:
            ops.update(operations(text))
    # Request models carry the parameters; their `body` attribute names the body model.
    for op in ops.values():
        req = models.get(op["request_model"], {}).get("fields", {})
        op["body_model"] = req.get("body")
        op["parameter_types"] = {k: v for k, v in req.items() if k != "body"}
    doc = {"package": package, "version": version, "operations": ops, "models": models}
    out.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    print(f"{out}: {len(ops)} operations, {len(models)} models from {package} {version}")


if __name__ == "__main__":
    main()

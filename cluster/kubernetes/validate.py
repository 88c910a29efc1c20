#!/usr/bin/env python3
"""Validates every manifest in this directory offline against the Kubernetes schemas
(kubernetes-validate, strict: unknown fields are errors) and prints a JSON summary of what the
manifests ask of the `yendor` CLI (container commands, args, ports, probe commands, Service ports,
files mounted from Secrets),
for the test that checks them against the CLI.

Usage: python3 cluster/kubernetes/validate.py [--kubernetes-version 1.30.0]
Exit status: 0 valid, 1 invalid, 77 kubernetes-validate or PyYAML missing.
"""
import glob
import json
import os
import sys

try:
    import yaml
    import kubernetes_validate
except ImportError as error:
    print(f"SKIP: {error.name} is not installed (python3 -m pip install kubernetes-validate)")
    sys.exit(77)

version = "1.30.0"
if len(sys.argv) == 3 and sys.argv[1] == "--kubernetes-version":
    version = sys.argv[2]

here = os.path.dirname(os.path.abspath(__file__))
errors, documents = [], []
for path in sorted(glob.glob(os.path.join(here, "*.yaml"))):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc is None:
                continue
            where = f"{os.path.basename(path)}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except Exception as error:  # ValidationError and schema lookup failures alike
                errors.append(f"{where}: {getattr(error, 'message', error)}")
            summary = {"file": os.path.basename(path), "kind": doc.get("kind"), "name": doc.get("metadata", {}).get("name")}
            spec = doc.get("spec", {})
            pod = spec.get("template", {}).get("spec", {})
            # Files each container gets from Secret volumes (mountPath/item, and the mount
            # directory itself), so the test can check that every CURVE path it is given exists.
            secrets = {v["name"]: [i["path"] for i in v["secret"].get("items", [])]
                       for v in pod.get("volumes", []) if "secret" in v}

            def secret_files(container):
                files = []
                for mount in container.get("volumeMounts", []):
                    if mount.get("name") in secrets:
                        files.append(mount["mountPath"])
                        files += [mount["mountPath"] + "/" + item for item in secrets[mount["name"]]]
                return files

            summary["containers"] = [{
                "name": c.get("name"),
                "image": c.get("image"),
                "command": c.get("command", []),
                "args": c.get("args", []),
                "ports": {p.get("name", ""): p["containerPort"] for p in c.get("ports", [])},
                "probes": [c[k]["exec"]["command"] for k in ("readinessProbe", "livenessProbe", "startupProbe")
                           if k in c and "exec" in c[k]],
                "secretFiles": secret_files(c),
            } for c in pod.get("containers", [])]
            if doc.get("kind") == "Service":
                summary["servicePorts"] = [{"name": p.get("name"), "port": p["port"], "targetPort": p.get("targetPort")}
                                           for p in spec.get("ports", [])]
            documents.append(summary)

print(json.dumps({"kubernetesVersion": version, "errors": errors, "documents": documents}))
sys.exit(1 if errors else 0)

#!/bin/sh
# Make sure every collection of collections/requirements.yml is installed at its pinned
# version: the pinned `ansible` package bundles them; anything missing or at another version
# is installed with ansible-galaxy into the venv's own collections directory.
# usage: scripts/install-collections.sh VENV
set -eu
venv=${1:-.venv}
requirements=$(dirname "$0")/../collections/requirements.yml
missing=$("$venv/bin/python" - "$venv" "$requirements" <<'PY'
import json, subprocess, sys, yaml
venv, requirements = sys.argv[1], sys.argv[2]
wanted = yaml.safe_load(open(requirements))["collections"]
listed = subprocess.run([f"{venv}/bin/ansible-galaxy", "collection", "list", "--format", "json"],
                        capture_output=True, text=True, check=True).stdout
installed = {}
for path in json.loads(listed).values():
    for name, info in path.items():
        installed.setdefault(name, set()).add(info["version"])
print(" ".join(f"{c['name']}:{c['version']}" for c in wanted
               if c["version"] not in installed.get(c["name"], set())))
PY
)
if [ -z "$missing" ]; then
    echo "collections: every pinned collection is installed"
    exit 0
fi
echo "collections: installing $missing"
# shellcheck disable=SC2086
"$venv/bin/ansible-galaxy" collection install -p "$venv/collections" $missing

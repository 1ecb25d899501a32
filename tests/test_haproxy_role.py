"""The haproxy role without hosts: its template from the app group passes HAProxy's own
check, and Locust and the benchmark target the balancer only when the group has a host."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT
from tests.support import require_binary

BIN = Path(sys.executable).parent


def _play(
    tmp_path: Path, inventory: dict, tasks: list, vars_files=()
) -> subprocess.CompletedProcess:
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    playbook = tmp_path / "play.yml"
    play = {"name": "Probe", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if vars_files:
        play["vars_files"] = [str(REPO_ROOT / f) for f in vars_files]
    playbook.write_text(yaml.safe_dump([play]))
    env = {**os.environ, "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    argv = [str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), "-c", "local",
            str(playbook)]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)


def _inventory(balancers: dict) -> dict:
    return {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                           "ansible_python_interpreter": sys.executable}},
                    "children": {
                        "app": {"hosts": {"app1": {"ansible_host": "10.0.0.11"},
                                          "app2": {"ansible_host": "10.0.0.12", "app_port": 8001}}},
                        "loadbalancer": {"hosts": balancers}}}}  # fmt: skip


def test_the_role_renders_every_app_host_as_a_checked_backend(tmp_path):
    require_binary("haproxy", "haproxy")
    out = tmp_path / "haproxy.cfg"
    tasks = [
        {"name": "Role checks", "ansible.builtin.include_role": {"name": "haproxy",
                                                                  "tasks_from": "preflight.yml"}},
        {"name": "Render", "ansible.builtin.template": {
            "src": str(REPO_ROOT / "roles/haproxy/templates/haproxy.cfg.j2"), "dest": str(out),
            "mode": "0600", "validate": "haproxy -c -q -f %s"}},
    ]  # fmt: skip
    result = _play(tmp_path, _inventory({}), tasks, ["roles/haproxy/defaults/main.yml"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = out.read_text()
    assert "server app1 10.0.0.11:8000" in text and "server app2 10.0.0.12:8001" in text
    assert "option httpchk GET /readyz" in text and "http-reuse always" in text
    assert "bind 0.0.0.0:80" in text and "prometheus-exporter" in text


@pytest.mark.parametrize(
    ("balancers", "expected"),
    [({}, "http://10.0.0.11:8000"), ({"lb1": {"ansible_host": "10.0.0.5"}}, "http://10.0.0.5:80")],
)
def test_locust_and_the_benchmark_target_the_balancer_when_there_is_one(tmp_path, balancers,
                                                                         expected):  # fmt: skip
    tasks = [{"name": "Show", "ansible.builtin.debug": {
        "msg": "TARGET {{ locust_target_url }} {{ benchmark_target_url }}"}}]  # fmt: skip
    files = ["roles/locust/defaults/main.yml", "roles/benchmark/defaults/main.yml"]
    result = _play(tmp_path, _inventory(balancers), tasks, files)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"TARGET {expected} {expected}" in result.stdout

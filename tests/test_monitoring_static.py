"""The monitoring, benchmark, report and nightly Ansible content without lab hosts: role
interfaces, playbook syntax, the scrape configuration generated from the example inventory,
and the refusals (Grafana's default password, a cAdvisor binary with the wrong sha256)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT
from tests.support import require_binary

BIN = Path(sys.executable).parent
EXAMPLE_INVENTORY = REPO_ROOT / "inventory" / "lab"
SERVICE_ROLES = [
    "node_exporter",
    "redis_exporter",
    "process_exporter",
    "cadvisor",
    "prometheus",
    "grafana",
    "nightly",
]
ACTION_ROLES = ["benchmark", "report"]
PLAYBOOKS = [
    "playbooks/monitoring.yml",
    "playbooks/benchmark.yml",
    "playbooks/report.yml",
    "playbooks/nightly.yml",
]


def run(argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


def local_play(tmp_path: Path, role: str, extra: list[str]) -> subprocess.CompletedProcess:
    """Run `role` on the example inventory's monitor1, connected locally, facts not gathered."""
    play = [{"hosts": "monitor1", "gather_facts": False, "roles": [{"role": role}]}]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play))
    argv = [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE_INVENTORY), str(path), "-c", "local"]
    argv += ["-e", f"ansible_python_interpreter={sys.executable}", *extra]
    return run(argv)


@pytest.mark.parametrize("role", SERVICE_ROLES + ACTION_ROLES)
def test_every_role_variable_is_documented_in_argument_specs(role):
    role_dir = REPO_ROOT / "roles" / role
    defaults = yaml.safe_load((role_dir / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) ^ set(options)) == []
    assert all(name.startswith(f"{role}_") for name in defaults), "variables are role-prefixed"
    assert all(opt.get("description") for opt in options.values())


@pytest.mark.parametrize("role", SERVICE_ROLES)
def test_service_roles_are_split_into_preflight_install_configure(role):
    tasks = {p.name for p in (REPO_ROOT / "roles" / role / "tasks").glob("*.yml")}
    assert {"main.yml", "preflight.yml"} <= tasks
    assert {"install.yml", "configure.yml"} <= tasks


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_is_valid(playbook):
    argv = [str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(EXAMPLE_INVENTORY), playbook]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr


def test_site_yml_imports_monitoring():
    plays = yaml.safe_load((REPO_ROOT / "site.yml").read_text())
    assert "playbooks/monitoring.yml" in [p.get("ansible.builtin.import_playbook") for p in plays]


def test_scrape_config_is_generated_from_the_example_inventory_and_valid(tmp_path):
    promtool = require_binary("promtool", "prometheus")
    dest = tmp_path / "prometheus.yml"
    argv = [str(BIN / "ansible"), "monitor1", "-i", str(EXAMPLE_INVENTORY), "-c", "local"]
    argv += ["-m", "ansible.builtin.template"]
    argv += ["-a", f"src=roles/prometheus/templates/prometheus.yml.j2 dest={dest} mode=0644"]
    argv += ["-e", "@roles/prometheus/defaults/main.yml"]
    argv += ["-e", f"ansible_python_interpreter={sys.executable}"]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    check = subprocess.run([promtool, "check", "config", str(dest)], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr

    jobs = {j["job_name"]: j for j in yaml.safe_load(dest.read_text())["scrape_configs"]}
    # cAdvisor is optional and off in the example lab: no job scrapes it.
    assert set(jobs) == {"prometheus", "node", "process", "redis", "app", "locust"}

    def targets(job: str) -> dict[str, str]:
        return {c["labels"]["instance"]: c["targets"][0] for c in jobs[job]["static_configs"]}

    # Scrapes travel on the data network (rig_data_address), not the management one.
    assert targets("node") == {
        "app1": "198.51.100.10:9100",
        "loadgen1": "198.51.100.20:9100",
        "loadgen2": "198.51.100.21:9100",
        "monitor1": "198.51.100.30:9100",
    }
    assert targets("redis") == {"app1": "198.51.100.10:9121"}
    assert targets("app") == {"app1": "198.51.100.10:8000"}
    assert targets("locust") == {"loadgen1": "198.51.100.20:9646"}


def test_grafana_refuses_the_default_admin_password(tmp_path):
    result = local_play(tmp_path, "grafana", ["-e", "grafana_admin_password=admin"])
    assert result.returncode != 0
    assert "Set grafana_admin_password" in result.stdout


def test_cadvisor_refuses_a_local_binary_with_another_sha256(tmp_path):
    binary = tmp_path / "cadvisor"
    binary.write_bytes(b"not the pinned cAdvisor release\n")
    result = local_play(tmp_path, "cadvisor", ["-e", f"cadvisor_local_binary={binary}"])
    assert result.returncode != 0
    assert "is missing or its sha256 is not cadvisor_binary_sha256" in result.stdout

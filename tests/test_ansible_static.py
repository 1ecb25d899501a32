"""The Ansible content without hosts: ansible-lint, yamllint, --syntax-check, role interfaces.

The fast suite: no lab hosts needed. The lab-in-a-box run is in test_lab_e2e.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT

BIN = Path(sys.executable).parent
OWN_ROLES = ["common", "redis", "app", "locust"]
PLAYBOOKS = ["site.yml", "playbooks/redis.yml", "playbooks/app.yml", "playbooks/loadgen.yml"]
EXAMPLE_INVENTORY = REPO_ROOT / "inventory" / "lab"


def run(argv: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0", "NO_COLOR": "1"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env, **kwargs
    )


def test_yamllint_passes_on_the_repository():
    result = run([str(BIN / "yamllint"), "--strict", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_production_profile_passes():
    result = run([str(BIN / "ansible-lint")], timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_is_valid(playbook):
    result = run(
        [str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(EXAMPLE_INVENTORY), playbook]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_site_yml_only_imports_the_tier_playbooks():
    plays = yaml.safe_load((REPO_ROOT / "site.yml").read_text())
    imported = [play.get("ansible.builtin.import_playbook") for play in plays]
    assert all(imported), "site.yml holds only import_playbook entries"
    assert imported[:3] == ["playbooks/redis.yml", "playbooks/app.yml", "playbooks/loadgen.yml"]


def test_example_inventory_has_every_group_the_playbooks_use():
    result = run([str(BIN / "ansible-inventory"), "-i", str(EXAMPLE_INVENTORY), "--list"])
    assert result.returncode == 0, result.stderr
    groups = yaml.safe_load(result.stdout)
    for group in ("redis", "app", "locust_master", "locust_workers", "monitoring"):
        assert groups[group]["hosts"], f"group {group} has no host in {EXAMPLE_INVENTORY}"


@pytest.mark.parametrize("role", OWN_ROLES)
def test_every_role_variable_is_documented_in_argument_specs(role):
    role_dir = REPO_ROOT / "roles" / role
    defaults = yaml.safe_load((role_dir / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) - set(options)) == []
    assert all(name.startswith(f"{role}_") for name in defaults), "variables are role-prefixed"
    assert all(opt.get("description") for opt in options.values())


@pytest.mark.parametrize("role", OWN_ROLES)
def test_role_tasks_are_split_into_preflight_install_configure(role):
    tasks = {p.name for p in (REPO_ROOT / "roles" / role / "tasks").glob("*.yml")}
    assert {"main.yml", "preflight.yml", "install.yml", "configure.yml"} <= tasks


def test_redis_role_refuses_to_run_without_a_password(tmp_path):
    """No working default secret: the role stops in preflight when redis_password is unset."""
    playbook = tmp_path / "preflight.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Redis preflight only",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Run the redis role's checks",
                            "ansible.builtin.include_role": {
                                "name": "redis",
                                "tasks_from": "preflight.yml",
                            },
                        }
                    ],
                }
            ]
        )
    )
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    env = {"ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")}
    refused = run([*argv, "-e", "redis_install_method=distro"], env=env)
    assert refused.returncode != 0
    assert "redis_password is not set" in refused.stdout
    accepted = run(
        [*argv, "-e", "redis_install_method=distro", "-e", "redis_password=a-long-enough-secret"],
        env=env,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

"""The platform preflight (roles/common) judging hosts from their facts, without any host.

A first task puts the facts of the host to judge into Ansible's fact cache (set_fact with
cacheable), so every release and Python a real lab may have meets the real role tasks.
"""

import sys
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT
from tests.test_ansible_static import BIN, run


def play(host_facts: dict) -> list[dict]:
    return [
        {
            "hosts": "fake",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Pretend to be the host under test",
                    "ansible.builtin.set_fact": {**host_facts, "cacheable": True},
                },
                {
                    "name": "Check the platform",
                    "ansible.builtin.include_role": {
                        "name": "common",
                        "tasks_from": "preflight.yml",
                    },
                },
            ],
        }
    ]


def facts(distribution="Debian", version="12", python=(3, 11), service_mgr="systemd") -> dict:
    return {
        "ansible_distribution": distribution,
        "ansible_distribution_version": version,
        "ansible_distribution_major_version": version.split(".")[0],
        "ansible_python": {"version": {"major": python[0], "minor": python[1]}},
        "ansible_service_mgr": service_mgr,
        # A container guest: the clock is its machine's, so no timedatectl is asked here.
        "ansible_virtualization_role": "guest",
        "ansible_virtualization_type": "systemd-nspawn",
    }


def preflight(tmp_path: Path, host_facts: dict, *extra: str):
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(play(host_facts)))
    argv = [str(BIN / "ansible-playbook"), "-i", "fake,", str(path), "-c", "local"]
    argv += ["-e", f"ansible_python_interpreter={sys.executable}", *extra]
    return run(argv, env={"ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles")})


@pytest.mark.parametrize(
    ("distribution", "version"), [("Debian", "12"), ("Debian", "13"), ("Ubuntu", "24.04")]
)
def test_supported_releases_pass(tmp_path, distribution, version):
    result = preflight(tmp_path, facts(distribution, version), "-e", "common_min_free_disk_mb=1")
    assert result.returncode == 0, result.stdout[-3000:]
    untested = "allowed, but not tested" in result.stdout
    assert untested == (distribution == "Ubuntu")


def test_ubuntu_22_04_is_refused_for_its_python(tmp_path):
    result = preflight(tmp_path, facts("Ubuntu", "22.04", (3, 10)))
    assert result.returncode != 0
    assert "runs Ubuntu 22.04 with Python 3.10" in result.stdout
    assert "Python 3.11 or later" in result.stdout


def test_an_old_debian_is_refused(tmp_path):
    result = preflight(tmp_path, facts("Debian", "11", (3, 9)))
    assert result.returncode != 0
    assert "runs Debian 11 with Python 3.9" in result.stdout


def test_a_host_without_systemd_is_refused(tmp_path):
    result = preflight(tmp_path, facts(service_mgr="sysvinit"))
    assert result.returncode != 0
    assert "runs sysvinit as init" in result.stdout


def test_too_little_free_disk_is_refused(tmp_path):
    result = preflight(tmp_path, facts(), "-e", "common_min_free_disk_mb=999999999")
    assert result.returncode != 0
    assert "MB free under /var/lib" in result.stdout
    assert "common_min_free_disk_mb" in result.stdout


def test_an_unsynchronised_clock_is_refused_outside_containers(tmp_path):
    host = facts() | {"ansible_virtualization_role": "host", "ansible_virtualization_type": ""}
    # This machine's own timedatectl answers (or is missing, and then nothing says "yes").
    result = preflight(tmp_path, host, "-e", "common_min_free_disk_mb=1")
    synced = (
        run(["timedatectl", "show", "--property=NTPSynchronized", "--value"])
        if (Path("/usr/bin/timedatectl").exists())
        else None
    )
    if synced is not None and synced.stdout.strip() == "yes":
        assert result.returncode == 0, result.stdout[-3000:]
    else:
        assert result.returncode != 0
        assert "clock is not synchronised" in result.stdout

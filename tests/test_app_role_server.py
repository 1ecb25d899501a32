"""The app role's server choice, rendered by Ansible itself: unit, environment file, preflight."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT

BIN = Path(sys.executable).parent
TEMPLATES = REPO_ROOT / "roles" / "app" / "templates"


def _play(tmp_path: Path, server: str) -> subprocess.CompletedProcess:
    """The role's preflight, then its two service templates rendered into tmp_path."""
    render = [
        {
            "name": f"Render {name}",
            "ansible.builtin.template": {
                "src": str(TEMPLATES / name),
                "dest": str(tmp_path / name),
                "mode": "0644",
            },
        }
        for name in ("rig-api.service.j2", "rig-api.env.j2")
    ]
    play = {
        "name": "App role settings only",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {
            "app_server": server,
            "app_redis_url": "redis://127.0.0.1:6379/0",
            "app_workers": 2,
            "app_version": "test",
        },
        "tasks": [
            {
                "name": "Run the app role's checks",
                "ansible.builtin.include_role": {
                    "name": "app",
                    "tasks_from": "preflight.yml",
                    "public": True,
                },
            },
            *render,
        ],
    }
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([play]))
    argv = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    env = {
        "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}:/usr/bin:/bin",
    }
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize(
    ("server", "exec_start"),
    [
        ("gunicorn", "/opt/rig/api/venv/bin/gunicorn --config /opt/rig/api/current/app/gunicorn"),
        ("granian", "/opt/rig/api/venv/bin/python -m app.granian_conf --name rig-api"),
    ],
)
def test_the_unit_and_environment_follow_app_server(tmp_path, server, exec_start):
    result = _play(tmp_path, server)
    assert result.returncode == 0, result.stdout + result.stderr
    unit = (tmp_path / "rig-api.service.j2").read_text()
    assert f"ExecStart={exec_start}" in unit
    assert unit.count("ExecStart=") == 1
    assert f"({server.capitalize()}, release test)" in unit
    assert "Environment=PROMETHEUS_MULTIPROC_DIR=/run/rig-api" in unit
    env = (tmp_path / "rig-api.env.j2").read_text()
    assert f"RIG_SERVER={server}\n" in env
    # Granian's connection slots are its backpressure, sized like Gunicorn's (default 10,000).
    backpressure = [line for line in env.splitlines() if line.startswith("RIG_BACKPRESSURE=")]
    assert backpressure == (["RIG_BACKPRESSURE=10000"] if server == "granian" else [])


def test_preflight_refuses_an_unknown_server(tmp_path):
    result = _play(tmp_path, "uwsgi")
    assert result.returncode != 0
    assert "app_server must be gunicorn or granian" in result.stdout

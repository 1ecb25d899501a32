"""playbooks/sweep.yml on the shared lab (tests/conftest.py's `provisioned_lab`): a sweep of 2
points changes only the API's service settings (its unit and environment file; no package,
venv or release task), keeps each point's run directory beside sweep.md, and a site.yml
afterwards puts the inventory's settings back.

Marker `lab`; needs root, systemd-container and debootstrap. Each point's load is 10 seconds.
"""

import hashlib
import json
import re

import pytest

from tests.lab_support import tail

pytestmark = pytest.mark.lab

GRID = {"server": ["gunicorn", "granian"], "worker_class": ["sync"], "workers": [1], "threads": [2]}
POINTS = {  # label -> what run.json's config must say of the API
    "gunicorn sync 1w": {"server": "gunicorn", "worker_class": "sync", "workers": 1},
    "granian 1w 2t": {"server": "granian", "workers": 1, "threads": 2},
}
# What only a reinstall changes: the venv, the release directory and where `current` points.
INSTALLED = "/opt/rig/api/venv/pyvenv.cfg /opt/rig/api/venv/bin /opt/rig/api/releases"
SERVICE_FILES = "/etc/default/rig-api /etc/systemd/system/rig-api.service"
# The app role's tasks that may change anything during a sweep: the service settings.
SERVICE_TASKS = {
    "app : Ensure the API's environment file is in place",
    "app : Ensure the API unit is installed",
    "app : Restart the API",
}


def _installed(lab) -> str:
    stamps = lab.ssh("app", f"stat -c '%n %Y' {INSTALLED}; readlink /opt/rig/api/current")
    assert stamps.returncode == 0, stamps.stderr
    return stamps.stdout


def _service(lab) -> dict[str, str]:
    """The unit, the environment file's lines without the Redis URL (it holds the password)
    and a digest of the whole file."""
    env = lab.ssh("app", "cat /etc/default/rig-api").stdout
    unit = lab.ssh("app", "cat /etc/systemd/system/rig-api.service").stdout
    settings = dict(
        line.split("=", 1) for line in env.splitlines() if "=" in line and "REDIS_URL" not in line
    )
    return {"unit": unit, "digest": hashlib.sha256(env.encode()).hexdigest(), **settings}


def _changes(output: str) -> dict[str, set[str]]:
    """Host -> the tasks and handlers that reported a change."""
    found: dict[str, set[str]] = {}
    task = ""
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.+?)\]", line)
        if header:
            task = header[1]
        changed = re.match(r"^changed: \[([^\]]+)\]", line)
        if changed:
            found.setdefault(changed[1].split(" ")[0], set()).add(task)
    return found


# A sweep (2 points: restart, reset, seed, 10 s of load, fetch, report) and a site.yml: about
# 9 minutes on the 2 shared cores, more than pytest's default limit of 10.
@pytest.mark.timeout(2400)
def test_a_lab_sweep_changes_only_the_service_settings_and_site_yml_restores_them(
    provisioned_lab, tmp_path
):
    lab = provisioned_lab
    installed, service = _installed(lab), _service(lab)
    assert service["RIG_SERVER"] == "gunicorn"

    load = {"sweep_scenario": "get_doc", "sweep_run_time": "10s", "sweep_users": 4,
            "sweep_grid": GRID, "sweep_results_dir": str(tmp_path)}  # fmt: skip
    result, seconds = lab.playbook("playbooks/sweep.yml", load, timeout=1200)
    print(f"\nplaybooks/sweep.yml, 2 points of 10 s: {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    assert "point 2 of 2: granian 1w 2t, about" in result.stdout

    # Only the service settings changed on the app host: nothing was reinstalled.
    changes = _changes(result.stdout)
    assert changes["app"] and changes["app"] <= SERVICE_TASKS, changes["app"]
    assert "Deploy the API's code and venv" not in result.stdout
    assert _installed(lab) == installed
    swept = _service(lab)  # the last point's settings
    assert (swept["RIG_SERVER"], swept["RIG_WORKERS"], swept["RIG_THREADS"]) == (
        "granian", "1", "2")  # fmt: skip
    assert "app.granian_conf" in swept["unit"]
    assert lab.ssh("app", "systemctl is-active rig-api").stdout.strip() == "active"

    # Every point is a run directory of its own beside sweep.md, one row each.
    sweep = next(tmp_path.iterdir())
    data = json.loads((sweep / "sweep.json").read_text())
    sweep_md = (sweep / "sweep.md").read_text()
    assert sorted(r["label"] for r in data["rows"]) == sorted(POINTS)
    for row in data["rows"]:
        config = json.loads((sweep / row["run_id"] / "run.json").read_text())["config"]
        assert {k: config[k] for k in POINTS[row["label"]]} == POINTS[row["label"]]
        report = json.loads((sweep / row["run_id"] / "report.json").read_text())
        assert row["rps"] == report["figures"]["rps"] > 0
        assert (sweep / row["run_id"] / "summary.md").is_file()
        assert f"[{row['run_id']}]({row['run_id']}/summary.md)" in sweep_md
    assert f"**Recommended: {data['recommended'] or 'none'}**" in sweep_md

    # site.yml puts the inventory's settings back, again without reinstalling.
    result, seconds = lab.playbook()
    print(f"\nsite.yml after the sweep: {seconds:.1f} s")
    assert result.returncode == 0, tail(result)
    assert _service(lab) == service
    assert _installed(lab) == installed
    assert _changes(result.stdout)["app"] <= SERVICE_TASKS
    assert lab.ssh("app", "systemctl is-active rig-api").stdout.strip() == "active"

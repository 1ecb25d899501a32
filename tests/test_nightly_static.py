"""The nightly scripts as the role renders them: valid bash, preflight in front of the load,
notifications that run the configured command (no controller host needed)."""

import getpass
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_ansible_static import BIN, EXAMPLE_INVENTORY, run

TEMPLATES = Path("roles/nightly/templates")


def render(tmp_path: Path, template: str, **variables: str) -> Path:
    dest = tmp_path / template.removesuffix(".j2")
    argv = [str(BIN / "ansible"), "monitor1", "-i", str(EXAMPLE_INVENTORY), "-c", "local"]
    argv += ["-m", "ansible.builtin.template"]
    argv += ["-a", f"src={TEMPLATES / template} dest={dest} mode=0755"]
    argv += ["-e", "@roles/nightly/defaults/main.yml", "-e", "@roles/nightly/vars/main.yml"]
    argv += ["-e", f"ansible_python_interpreter={sys.executable}"]
    if variables:
        argv += ["-e", json.dumps(variables)]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


def test_nightly_script_is_valid_bash_and_checks_before_it_loads(tmp_path):
    script = render(tmp_path, "rig-nightly.j2", nightly_vault_password_file="/etc/rig/vault-pass")
    check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = script.read_text()
    preflight = text.index("sudo -n true")
    assert text.index("-r /etc/rig/vault-pass") < preflight < text.index("playbooks/benchmark.yml")
    # git inside the root-owned checkout, as the nightly user: no "dubious ownership".
    assert "GIT_CONFIG_KEY_0=safe.directory" in text
    assert "rig-nightly-notify regression" in text


def test_nightly_script_passes_repeats_and_the_canary_and_reads_report_json(tmp_path):
    script = render(tmp_path, "rig-nightly.j2", nightly_repeat=3, nightly_canary=False)
    text = script.read_text()
    assert """-e '{"benchmark_repeat": 3, "benchmark_canary": false}'""" in text
    assert "venv/bin/python -m reports.regressions)" in text
    assert '"${verdicts[@]}" --withheld "$results"' in text
    (tmp_path / "default").mkdir()
    default = render(tmp_path / "default", "rig-nightly.j2").read_text()
    assert """-e '{"benchmark_repeat": 1, "benchmark_canary": true}'""" in default


def test_nightly_unit_calls_the_notification_on_failure(tmp_path):
    unit = render(tmp_path, "rig-nightly.service.j2").read_text()
    assert "OnFailure=rig-nightly-notify.service" in unit
    notify = render(tmp_path, "rig-nightly-notify.service.j2").read_text()
    assert "ExecStart=/usr/local/bin/rig-nightly-notify failure" in notify


def test_connection_vars_keep_the_inventory_ssh_settings(tmp_path):
    text = render(tmp_path, "connection.yml.j2").read_text()
    variables = yaml.safe_load(text)
    # Only the key: an inventory's ansible_ssh_common_args (ProxyJump) stays in force.
    assert variables == {"ansible_ssh_private_key_file": "/opt/rig/nightly/.ssh/id_ed25519"}


@pytest.mark.parametrize("event", ["failure", "regression"])
def test_notify_runs_the_configured_command_with_the_event(tmp_path, event):
    written = tmp_path / "notified"
    command = f'printf "%s|%s" "$RIG_NIGHTLY_EVENT" "$RIG_NIGHTLY_DETAIL" > {written}'
    script = render(
        tmp_path,
        "rig-nightly-notify.j2",
        nightly_user=getpass.getuser(),
        nightly_notify_command=command,
        nightly_base_dir=str(tmp_path),
    )
    (tmp_path / "last-night.log").write_text("line 1\nbenchmark exit 2\n")
    detail = ["post_15k: requests_per_s"] if event == "regression" else []
    result = subprocess.run([str(script), event, *detail], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    expected = "post_15k: requests_per_s" if event == "regression" else "benchmark exit 2"
    got_event, got_detail = written.read_text().split("|", 1)
    assert got_event == event
    assert expected in got_detail


def test_notify_without_a_command_only_says_so(tmp_path):
    script = render(tmp_path, "rig-nightly-notify.j2", nightly_user=getpass.getuser())
    result = subprocess.run([str(script), "failure", "x"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "no nightly_notify_command set" in result.stderr

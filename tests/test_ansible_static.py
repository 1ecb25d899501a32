"""The Ansible content without lab hosts: lint, syntax, role interfaces, the scrape
configuration generated from the example inventory, the refusals (no Redis password,
Grafana's default password, a cAdvisor binary with the wrong sha256), the packages each
deployed role installs, and the _release role deploying on this box.

The lab-in-a-box runs are in test_lab_e2e.py and test_lab_monitoring.py.
"""

import ast
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rig.paths import REPO_ROOT
from tests.support import require_binary

BIN = Path(sys.executable).parent
ROLES = sorted(p.name for p in (REPO_ROOT / "roles").iterdir() if p.is_dir())
# Roles that run a service: preflight, install, configure.
SERVICE_ROLES = [r for r in ROLES if r not in ("_release", "benchmark", "report")]
PLAYBOOKS = ["site.yml", *(f"playbooks/{p.name}" for p in (REPO_ROOT / "playbooks").glob("*.yml"))]
EXAMPLE_INVENTORY = REPO_ROOT / "inventory" / "lab"
OUR_PACKAGES = {"app", "loadgen", "rig", "reports", "rundir", "tests"}


def run(argv: list[str], timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0", "NO_COLOR": "1"}
    env["ANSIBLE_ROLES_PATH"] = str(REPO_ROOT / "roles")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env, **kwargs
    )


def local_play(tmp_path: Path, play: dict, extra: list[str] = ()) -> subprocess.CompletedProcess:
    """Run one play connected locally, with this venv's Python on the controller side."""
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([play]))
    argv = [str(BIN / "ansible-playbook"), "-i", str(EXAMPLE_INVENTORY), str(path), "-c", "local"]
    return run([*argv, "-e", f"ansible_python_interpreter={sys.executable}", *extra])


def role_play(tmp_path: Path, role: str, extra: list[str]) -> subprocess.CompletedProcess:
    """Run `role` on the example inventory's monitor1, facts not gathered."""
    play = {"hosts": "monitor1", "gather_facts": False, "roles": [{"role": role}]}
    return local_play(tmp_path, play, extra)


def test_yamllint_passes_on_the_repository():
    result = run([str(BIN / "yamllint"), "--strict", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_production_profile_passes():
    result = run([str(BIN / "ansible-lint")], timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_is_valid(playbook):
    argv = [str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(EXAMPLE_INVENTORY), playbook]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr


def test_site_yml_only_imports_the_tier_playbooks():
    plays = yaml.safe_load((REPO_ROOT / "site.yml").read_text())
    imported = [play.get("ansible.builtin.import_playbook") for play in plays]
    assert all(imported), "site.yml holds only import_playbook entries"
    assert imported[:4] == [
        "playbooks/preflight.yml",
        "playbooks/redis.yml",
        "playbooks/app.yml",
        "playbooks/loadgen.yml",
    ]
    assert "playbooks/monitoring.yml" in imported


def test_example_inventory_has_every_group_the_playbooks_use():
    result = run([str(BIN / "ansible-inventory"), "-i", str(EXAMPLE_INVENTORY), "--list"])
    assert result.returncode == 0, result.stderr
    groups = yaml.safe_load(result.stdout)
    for group in ("redis", "app", "locust_master", "locust_workers", "monitoring"):
        assert groups[group]["hosts"], f"group {group} has no host in {EXAMPLE_INVENTORY}"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_variable_is_documented_in_argument_specs(role):
    """Every default documented, every optional option defaulted, names role-prefixed."""
    role_dir = REPO_ROOT / "roles" / role
    defaults = yaml.safe_load((role_dir / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    required = {name for name, option in options.items() if option.get("required")}
    assert sorted(set(defaults) - set(options)) == [], "undocumented variables"
    assert sorted(set(options) - set(defaults) - required) == [], "options without a default"
    assert all(name.startswith(f"{role}_") for name in options), "variables are role-prefixed"
    assert all(option.get("description") for option in options.values())


@pytest.mark.parametrize("role", SERVICE_ROLES)
def test_service_roles_are_split_into_preflight_install_configure(role):
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
    result = role_play(tmp_path, "grafana", ["-e", "grafana_admin_password=admin"])
    assert result.returncode != 0
    assert "Set grafana_admin_password" in result.stdout


def test_cadvisor_refuses_a_local_binary_with_another_sha256(tmp_path):
    binary = tmp_path / "cadvisor"
    binary.write_bytes(b"not the pinned cAdvisor release\n")
    result = role_play(tmp_path, "cadvisor", ["-e", f"cadvisor_local_binary={binary}"])
    assert result.returncode != 0
    assert "is missing or its sha256 is not cadvisor_binary_sha256" in result.stdout


def _third_party_imports(paths: list[Path]) -> set[str]:
    """Top-level modules imported by the code under `paths` that are neither stdlib nor ours."""
    names = set()
    for path in (p for root in paths for p in ([root] if root.is_file() else root.rglob("*.py"))):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in OUR_PACKAGES}


def _with_dependencies(packages: list[str]) -> set[str]:
    """The packages and everything they require (as installed here), normalised names."""
    seen, todo = set(), [canonicalize_name(p) for p in packages]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # the _release role's preflight refuses packages without a pin anyway
        for requirement in requirements:
            parsed = Requirement(requirement)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(parsed.name))
    return seen


@pytest.mark.parametrize("role", ["app", "locust"])
def test_role_installs_every_package_the_code_it_ships_imports(role):
    defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    installed = _with_dependencies(defaults[f"{role}_python_packages"])
    shipped = [REPO_ROOT / path for path in defaults[f"{role}_source_paths"]]
    distributions = importlib.metadata.packages_distributions()
    missing = {
        module: distributions.get(module, [module])
        for module in _third_party_imports(shipped)
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & installed
    }
    assert missing == {}, f"add to {role}_python_packages in roles/{role}/defaults/main.yml"


def test_release_role_deploys_once_per_code_and_keeps_the_newest(tmp_path):
    """_release on this box: a new release per code change, none for a rerun, old ones pruned."""
    source, base = tmp_path / "checkout", tmp_path / "base"
    (source / "pkg").mkdir(parents=True)
    (source / "pyproject.toml").write_text('dependencies = ["packaging==26.4"]\n')
    release = {
        "_release_title": "the test code",
        "_release_base_dir": str(base),
        "_release_current_dir": str(base / "current"),
        "_release_venv": str(base / "venv"),
        "_release_version": "1.0",
        "_release_source_dir": str(source),
        "_release_source_paths": ["pkg"],
        "_release_packages": ["packaging"],
        "_release_keep": 1,
        "_release_notify": ["Note the new release"],
    }
    task = {"ansible.builtin.include_role": {"name": "_release"}, "vars": release}
    handler = {"name": "Note the new release", "ansible.builtin.debug": {"msg": "NEW RELEASE"}}
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [task], "handlers": [handler]}
    recaps = []
    for code in ("x = 1\n", "x = 1\n", "x = 2\n"):
        (source / "pkg" / "__init__.py").write_text(code)
        result = local_play(tmp_path, play, ["-i", "localhost,"])
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        recaps.append(result.stdout)
    assert "NEW RELEASE" in recaps[0] and "changed=0" in recaps[1].split("PLAY RECAP")[1]
    assert "NEW RELEASE" not in recaps[1] and "NEW RELEASE" in recaps[2]
    releases = list((base / "releases").iterdir())
    assert len(releases) == 1 and (base / "current").resolve() == releases[0]
    assert (releases[0] / "pkg" / "__init__.py").read_text() == "x = 2\n"
    assert (releases[0] / "requirements.txt").read_text().splitlines()[-1] == "packaging==26.4"
    assert (base / "venv" / "bin" / "python").exists()

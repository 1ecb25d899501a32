"""The Ansible content without hosts: ansible-lint, yamllint, --syntax-check, role interfaces.

The fast suite: no lab hosts needed. The lab-in-a-box run is in test_lab_e2e.py.
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

BIN = Path(sys.executable).parent
OWN_ROLES = ["common", "redis", "app", "locust"]
PLAYBOOKS = [
    "site.yml",
    "playbooks/preflight.yml",
    "playbooks/redis.yml",
    "playbooks/app.yml",
    "playbooks/loadgen.yml",
]
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
    assert imported[:4] == [
        "playbooks/preflight.yml",
        "playbooks/redis.yml",
        "playbooks/app.yml",
        "playbooks/loadgen.yml",
    ]


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


def _third_party_imports(folder: Path) -> set[str]:
    """Top-level modules imported by the code in `folder` that are neither stdlib nor ours."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    ours = {"app", "loadgen", "rig", "reports", "tests"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in ours}


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
            continue  # the role's preflight refuses packages without a pin anyway
        for requirement in requirements:
            parsed = Requirement(requirement)
            if parsed.marker is None or parsed.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(parsed.name))
    return seen


@pytest.mark.parametrize(
    ("role", "variable", "folder"),
    [("app", "app_python_packages", "app"), ("locust", "locust_python_packages", "loadgen")],
)
def test_role_installs_every_package_its_code_imports(role, variable, folder):
    listed = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    installed = _with_dependencies(listed[variable])
    distributions = importlib.metadata.packages_distributions()
    missing = {
        module: distributions.get(module, [module])
        for module in _third_party_imports(REPO_ROOT / folder)
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & installed
    }
    assert missing == {}, f"add to {variable} in roles/{role}/defaults/main.yml"


def _own_imports(path: Path, package: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == package
        ):
            modules.add(node.module)
    return modules


def test_locust_role_deploys_every_rig_module_the_load_generator_imports():
    defaults = yaml.safe_load((REPO_ROOT / "roles/locust/defaults/main.yml").read_text())
    deployed = [REPO_ROOT / p for p in defaults["locust_source_paths"]]

    def is_deployed(path: Path) -> bool:
        return any(path == d or d in path.parents for d in deployed)

    todo = list((REPO_ROOT / "loadgen").rglob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in _own_imports(path, "rig"):
            parts = module.split(".")
            candidates = [REPO_ROOT.joinpath(*parts).with_suffix(".py")]
            candidates.append(REPO_ROOT.joinpath(*parts, "__init__.py"))
            target = next((c for c in candidates if c.exists()), None)
            assert target is not None, f"{path} imports {module}, which does not exist"
            assert is_deployed(target), f"{path} imports {module}: add it to locust_source_paths"
            todo.append(target)
            todo.append(REPO_ROOT / "rig" / "__init__.py")

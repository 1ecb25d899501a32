"""Lab-in-a-box naming, addressing and inventory: what keeps two labs apart (no root needed)."""

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rig import cli
from rig.errors import RigError
from rig.lab import inventory, rootfs, system
from rig.lab.config import INVENTORY_ROOT, LabConfig, groups_of


def test_default_lab_uses_the_documented_inventory_path(monkeypatch):
    monkeypatch.delenv("RIG_LAB_NAME", raising=False)
    lab = LabConfig.from_options()
    assert lab.name == "rig"
    assert lab.hosts == ("app", "loadgen", "monitor")
    assert lab.inventory_path == INVENTORY_ROOT / "lab-in-a-box" / "hosts.yml"


def test_two_labs_share_no_bridge_subnet_chain_state_or_inventory():
    one, two = LabConfig.from_options(name="rig"), LabConfig.from_options(name="mon")
    attributes = ("bridge", "data_bridge", "chain", "subnet", "data_subnet", "state_dir")
    for attribute in (*attributes, "inventory_path", "gateway", "data_gateway"):
        assert getattr(one, attribute) != getattr(two, attribute), attribute
    host_one, host_two = one.host("app"), two.host("app")
    assert one.netns(host_one) != two.netns(host_two)
    assert one.veth(host_one) != two.veth(host_two)
    assert one.data_veth(host_one) != two.data_veth(host_two)
    assert not one.subnet.overlaps(two.subnet)
    assert not one.data_subnet.overlaps(two.data_subnet)
    assert not one.subnet.overlaps(one.data_subnet)


def test_interface_and_chain_names_fit_the_kernel_limits():
    lab = LabConfig.from_options(name="abcdefgh", hosts=",".join(f"h{i}" for i in range(40)))
    assert len(lab.bridge) <= 15 and len(lab.data_bridge) <= 15
    assert all(len(lab.veth(h)) <= 15 for h in lab.lab_hosts())
    assert all(len(lab.data_veth(h)) <= 15 for h in lab.lab_hosts())
    assert len(lab.chain) <= 28


def test_name_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RIG_LAB_NAME", "ci")
    assert LabConfig.from_options().name == "ci"


@pytest.mark.parametrize("name", ["Rig", "toolongname", "1lab", "a_b", "a-b", ""])
def test_bad_lab_names_are_refused(name, monkeypatch):
    monkeypatch.delenv("RIG_LAB_NAME", raising=False)
    if name == "":
        assert LabConfig.from_options(name=name).name == "rig"  # empty means the default
        return
    with pytest.raises(RigError, match="lab name"):
        LabConfig.from_options(name=name)


@pytest.mark.parametrize("hosts", ["app,app", "App", ",", "a b"])
def test_bad_host_lists_are_refused(hosts):
    with pytest.raises(RigError):
        LabConfig.from_options(hosts=hosts)


@pytest.mark.parametrize("subnet", ["8.8.8.0/24", "10.0.0.0/16", "not-a-net"])
def test_bad_subnets_are_refused(subnet):
    with pytest.raises(RigError, match="subnet"):
        LabConfig.from_options(subnet=subnet)


def test_hosts_get_consecutive_addresses_after_the_gateway():
    lab = LabConfig.from_options(name="x", hosts="app,loadgen", subnet="10.231.9.0/24")
    assert lab.gateway == "10.231.9.1"
    assert [h.address for h in lab.lab_hosts()] == ["10.231.9.10", "10.231.9.11"]
    data = LabConfig.from_options(name="x", hosts="app,loadgen", data_subnet="10.232.9.0/24")
    assert data.data_gateway == "10.232.9.1"
    assert [h.data_address for h in data.lab_hosts()] == ["10.232.9.10", "10.232.9.11"]


def test_data_subnet_may_not_overlap_the_management_one():
    with pytest.raises(RigError, match="overlaps"):
        LabConfig.from_options(subnet="10.231.9.0/24", data_subnet="10.231.9.0/24")


def test_hosts_run_bookworm_unless_a_release_is_named():
    lab = LabConfig.from_options(hosts="app,loadgen", releases=["app=trixie"])
    assert {h.name: h.release for h in lab.lab_hosts()} == {"app": "trixie", "loadgen": "bookworm"}
    assert lab.suites == ("bookworm", "trixie")
    assert LabConfig.from_options(hosts="app", releases="app=bookworm").suites == ("bookworm",)
    both = LabConfig.from_options(hosts="app,loadgen", releases="app=trixie,loadgen=trixie")
    assert both.suites == ("trixie",)


@pytest.mark.parametrize(
    ("releases", "message"),
    [
        ("app", "HOST=RELEASE"),
        ("=trixie", "HOST=RELEASE"),
        ("app=", "HOST=RELEASE"),
        ("monitor=trixie", "not in --hosts"),
        ("app=bullseye", "unknown release"),
        ("app=trixie,app=bookworm", "two releases"),
    ],
)
def test_bad_releases_are_refused(releases, message):
    with pytest.raises(RigError, match=message):
        LabConfig.from_options(hosts="app,loadgen", releases=releases)


@given(st.text(max_size=40))
def test_any_release_text_is_parsed_or_refused_cleanly(text):
    try:
        lab = LabConfig.from_options(hosts="app,loadgen", releases=text)
    except RigError:
        return
    assert all(h.release in ("bookworm", "trixie") for h in lab.lab_hosts())


def test_cli_refuses_a_bad_release_without_a_traceback(capsys):
    assert cli.main(["lab", "up", "--hosts", "app", "--release", "app=sid"]) == 2
    err = capsys.readouterr().err
    assert "unknown release 'sid'" in err or "needs root" in err


def test_well_known_hosts_join_the_groups_the_playbooks_use():
    assert groups_of("app") == ("redis", "app")
    assert groups_of("loadgen") == ("locust_master", "locust_workers")
    assert groups_of("monitor") == ("monitoring", "controller")
    assert groups_of("loadgen2") == ("locust_workers",)
    assert groups_of("misc") == ()


def test_inventory_has_connection_settings_groups_and_a_fresh_password():
    lab = LabConfig.from_options(name="x", hosts="app,loadgen,monitor")
    data = inventory.inventory_data(lab)
    app = data["all"]["hosts"]["app"]
    assert app["ansible_host"] == lab.host("app").address
    assert app["rig_data_address"] == lab.host("app").data_address
    assert app["ansible_user"] == "rig"  # unprivileged: root only through sudo
    assert app["ansible_ssh_private_key_file"] == str(lab.key_path)
    assert "StrictHostKeyChecking=no" in app["ansible_ssh_common_args"]
    assert "UserKnownHostsFile=/dev/null" in app["ansible_ssh_common_args"]
    children = data["all"]["children"]
    assert set(children["locust_workers"]["hosts"]) == {"loadgen"}
    assert set(children["controller"]["hosts"]) == {"monitor"}
    password = data["all"]["vars"]["redis_password"]
    assert len(password) >= 12
    assert inventory.inventory_data(lab)["all"]["vars"]["redis_password"] != password
    yaml.safe_dump(data)  # serialisable as written


def test_missing_tools_name_the_package_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # nothing is found
    with pytest.raises(RigError, match="apt-get install debootstrap systemd-container"):
        system.require_tools(["systemd-nspawn", "debootstrap"])


def test_cli_reports_a_bad_name_without_a_traceback(capsys):
    assert cli.main(["lab", "inventory", "--name", "NO_GOOD"]) == 2
    assert "lab name 'NO_GOOD' is not valid" in capsys.readouterr().err


def test_cli_prints_the_inventory_path_of_a_named_lab(capsys):
    assert cli.main(["lab", "inventory", "--name", "mon"]) == 0
    assert capsys.readouterr().out.strip().endswith("inventory/lab-in-a-box-mon/hosts.yml")


def test_lab_says_it_needs_root(monkeypatch):
    monkeypatch.setattr(system.os, "geteuid", lambda: 1000)
    with pytest.raises(RigError, match="needs root"):
        system.require_root()


def test_stale_base_images_are_removed_but_not_the_new_one(tmp_path):
    old, new = tmp_path / "rootfs-bookworm-old000000000", tmp_path / "rootfs-bookworm-new0000000000"
    for image in (old, new):
        (image / "etc").mkdir(parents=True)
        image.with_name(image.name + ".ok").write_text("{}")
    rootfs._remove_stale_images(tmp_path, keep=new)
    assert not old.exists() and not old.with_name(old.name + ".ok").exists()
    assert new.is_dir() and new.with_name(new.name + ".ok").exists()


def test_base_image_key_changes_with_the_package_list(monkeypatch):
    before = rootfs.cache_key()
    monkeypatch.setattr(rootfs, "PACKAGES", (*rootfs.PACKAGES, "htop"))
    assert rootfs.cache_key() != before


def test_each_release_has_its_own_cached_image(tmp_path):
    assert rootfs.cache_key("bookworm") != rootfs.cache_key("trixie")
    assert rootfs.rootfs_path(tmp_path, "trixie").name.startswith("rootfs-trixie-")


def test_stale_images_of_one_release_leave_the_other_release_alone(tmp_path):
    trixie, bookworm = tmp_path / "rootfs-trixie-aaa", tmp_path / "rootfs-bookworm-bbb"
    for image in (trixie, bookworm):
        (image / "etc").mkdir(parents=True)
    rootfs._remove_stale_images(tmp_path, keep=tmp_path / "rootfs-bookworm-new", suite="bookworm")
    assert trixie.is_dir() and not bookworm.exists()

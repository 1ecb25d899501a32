"""`rig lab up|down|status|ssh|inventory`: lab-in-a-box, a lab of systemd-nspawn hosts."""

import argparse
from pathlib import Path

from rig.lab import lab as lab_ops
from rig.lab.config import DEFAULT_HOSTS, LabConfig

EPILOG = """examples:
  sudo rig lab up                              hosts app, loadgen, monitor; writes the inventory
  sudo rig lab up --hosts app,loadgen --release app=trixie   app on Debian 13, loadgen on 12
  sudo rig lab up --name mon --hosts app,monitor   a second lab beside the first
  ansible-playbook -i inventory/lab-in-a-box site.yml
  sudo rig lab ssh app systemctl status rig-api
  sudo rig lab down                            removes hosts, bridge, mounts, iptables rules
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lab",
        help="lab-in-a-box: systemd-nspawn hosts to provision with Ansible",
        description="A multi-host lab of real systemd hosts (systemd-nspawn containers on a "
        "private bridge) on this machine, for site.yml. Needs root, debootstrap and "
        "systemd-container.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--name",
        help='lab name (1-8 of a-z0-9; default $RIG_LAB_NAME or "rig"): selects the bridge, '
        "subnet, state directory and inventory, so labs can coexist",
    )
    common.add_argument(
        "--state-dir",
        type=Path,
        help="where labs keep keys and host overlays (default $RIG_LAB_STATE_DIR or "
        "/var/lib/rig-lab)",
    )

    up = actions.add_parser("up", parents=[common], help="boot the lab, write its inventory")
    up.add_argument(
        "--hosts",
        default=",".join(DEFAULT_HOSTS),
        help=f"comma-separated host names (default {','.join(DEFAULT_HOSTS)})",
    )
    up.add_argument(
        "--cache-dir",
        type=Path,
        help="where the Debian base image is cached (default $RIG_LAB_CACHE_DIR or "
        "/var/cache/rig-lab)",
    )
    up.add_argument(
        "--release",
        action="append",
        metavar="HOST=RELEASE",
        help="Debian release of a host: bookworm (the default) or trixie; repeat or separate "
        "with commas, e.g. --release app=trixie",
    )
    up.add_argument(
        "--subnet", help="a private /24 for the management network (default: from --name)"
    )
    up.add_argument(
        "--data-subnet", help="a private /24 for the data network (default: from --name)"
    )
    up.set_defaults(func=run_up)

    down = actions.add_parser("down", parents=[common], help="stop the lab, remove every trace")
    down.set_defaults(func=run_down)

    status = actions.add_parser("status", parents=[common], help="list hosts and addresses")
    status.set_defaults(func=run_status)

    inventory = actions.add_parser(
        "inventory", parents=[common], help="print the path of the lab's inventory file"
    )
    inventory.set_defaults(func=run_inventory)

    ssh = actions.add_parser("ssh", parents=[common], help="a shell (or a command) on a host")
    ssh.add_argument("host", help="lab host name, e.g. app")
    ssh.add_argument("remote_command", nargs=argparse.REMAINDER, help="command to run")
    ssh.set_defaults(func=run_ssh)


def _config(args: argparse.Namespace) -> LabConfig:
    return LabConfig.from_options(
        name=args.name,
        hosts=getattr(args, "hosts", None),
        subnet=getattr(args, "subnet", None),
        state_root=args.state_dir,
        cache_dir=getattr(args, "cache_dir", None),
        data_subnet=getattr(args, "data_subnet", None),
        releases=getattr(args, "release", None),
    )


def run_up(args: argparse.Namespace) -> int:
    lab = _config(args)
    timings = lab_ops.up(lab)
    source = "built now" if timings["image_built"] else "from the cache"
    print(
        f"lab {lab.name!r} up in {timings['total']:.1f} s (base image {source}: "
        f"{timings['image']:.1f} s, hosts booted: {timings['boot']:.1f} s)"
    )
    _print_rows(lab_ops.status(lab))
    print(f"inventory: {lab.inventory_path}")
    return 0


def run_down(args: argparse.Namespace) -> int:
    lab = _config(args)
    removed = lab_ops.down(lab)
    print(f"lab {lab.name!r} down" + (f": removed {', '.join(removed)}" if removed else ""))
    return 0


def run_status(args: argparse.Namespace) -> int:
    lab = _config(args)
    rows = lab_ops.status(lab)
    if not rows:
        print(f"lab {lab.name!r} is not up")
        return 1
    _print_rows(rows)
    print(f"inventory: {lab.inventory_path}")
    return 0


def run_inventory(args: argparse.Namespace) -> int:
    print(_config(args).inventory_path)
    return 0


def run_ssh(args: argparse.Namespace) -> int:
    return lab_ops.ssh(_config(args), args.host, args.remote_command)


def _print_rows(rows: list[dict]) -> None:
    print(f"{'HOST':<12} {'ADDRESS':<15} {'DATA ADDRESS':<15} {'RELEASE':<9} {'STATE':<8} GROUPS")
    for row in rows:
        print(
            f"{row['host']:<12} {row['address']:<15} {row['data_address']:<15} "
            f"{row['release']:<9} {row['state']:<8} {row['groups']}"
        )

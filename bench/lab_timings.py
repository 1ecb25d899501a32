"""How long lab-in-a-box and site.yml take: prints the figures of docs/lab.md (as root).

The lab is the mixed one of the end-to-end tests by default: the app host on Debian 13
(trixie), the others on Debian 12, so "from nothing" builds two base images.

1. `rig lab up` from nothing: the base images built into an empty cache directory.
2. `rig lab down`, then `rig lab up` again from that cache.
3. The first site.yml run on the fresh hosts, then the second run (and its changed= count).
4. `rig lab down`.

The lab gets a name of its own and the cache is a temporary directory, so neither the
default lab nor the shared base image is touched. The aims are those of the issue.

examples:
  sudo .venv/bin/python bench/lab_timings.py                      # app (trixie), loadgen; ~6 min
  sudo .venv/bin/python bench/lab_timings.py --release ""          # all on Debian 12
  sudo .venv/bin/python bench/lab_timings.py --hosts app,loadgen,monitor
  sudo .venv/bin/python bench/lab_timings.py --cache-dir /var/cache/rig-lab   # skip the build
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rig.lab.config import LabConfig
from rig.paths import REPO_ROOT

BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def timed(argv: list[str], what: str) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(
            f"{what} failed (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr}"
        )
    return seconds, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", default="bench", help="lab name (default bench)")
    parser.add_argument("--hosts", default="app,loadgen", help="lab hosts (default app,loadgen)")
    parser.add_argument(
        "--release", default="app=trixie", help='per-host releases (default app=trixie; "": none)'
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="an existing image cache (skips the from-nothing figure)"
    )
    args = parser.parse_args()

    lab = LabConfig.from_options(name=args.name, hosts=args.hosts, releases=args.release)
    rig = [str(BIN / "rig"), "lab"]
    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="rig-lab-bench-", dir="/var/tmp"))
    up = [*rig, "up", "--name", lab.name, "--hosts", args.hosts, "--cache-dir", str(cache)]
    up += ["--release", args.release] if args.release else []
    down = [*rig, "down", "--name", lab.name]
    playbook = [str(BIN / "ansible-playbook"), "-i", str(lab.inventory_dir), "site.yml"]
    rows = []
    try:
        if args.cache_dir is None:
            seconds, _ = timed(up, "rig lab up (from nothing)")
            rows.append(("rig lab up from nothing", seconds, "< 90 s"))
            timed(down, "rig lab down")
        seconds, _ = timed(up, "rig lab up (from the cache)")
        rows.append(("rig lab up from the cache", seconds, "< 10 s"))
        seconds, output = timed(playbook, "first site.yml run")
        rows.append(("first site.yml run", seconds, "< 180 s"))
        seconds, output = timed(playbook, "second site.yml run")
        changed = {host: int(c) for host, c, _, _ in RECAP.findall(output)}
        rows.append((f"second site.yml run (changed={changed})", seconds, "< 60 s"))
        seconds, _ = timed(down, "rig lab down")
        rows.append(("rig lab down", seconds, ""))
    finally:
        subprocess.run(down, capture_output=True, check=False)
        if args.cache_dir is None:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"lab-in-a-box timings, hosts {args.hosts}")
    for what, seconds, aim in rows:
        print(f"  {what:<56} {seconds:7.1f} s  {aim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

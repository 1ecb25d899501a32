"""Where the API's CPU goes: py-spy samples of its process tree, summed by function and package.

Used by api_throughput.py --profile; on its own: `python bench/api_profile.py RAW_FILE`.
"""

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The venv's own py-spy (the dev extra) even when the venv is not on PATH.
PY_SPY = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")

# A frame in py-spy's raw (collapsed) output: "function (path/to/file.py:123)".
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")
PACKAGES = ("gevent", "gunicorn", "granian", "werkzeug", "flask", "redis", "hiredis",
            "prometheus_client", "simdjson", "orjson", "app")  # fmt: skip


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy on `pid` and its children for `seconds`: samples of the thread holding the GIL
    only, so a thread blocked on a Redis reply (GIL released) does not count as CPU."""
    argv = [PY_SPY or "py-spy", "record", "--pid", str(pid), "--subprocesses", "--gil",
            "--duration", str(seconds), "--rate", "200", "--format", "raw",
            "--output", str(out), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def package_of(frame: str) -> str:
    if frame.startswith("process "):
        # py-spy's root frame with nothing under it: the GIL was held by native code with no
        # Python frame of its own (a server's Rust or C side).
        return "native code without a Python frame"
    match = _FRAME.match(frame.strip())
    path = match.group("file") if match else frame
    if (path.startswith("app/") or "/app/" in path) and "site-packages" not in path:
        return "app (the API's own code)"
    for name in PACKAGES:
        if f"/{name}/" in path or path.startswith(f"{name}/"):
            return name
    return "python stdlib and others"


def summarize(raw: Path, top: int = 12) -> list[str]:
    """Self time per function and per package (the innermost frame of each sample)."""
    by_function: collections.Counter = collections.Counter()
    by_package: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        by_function[re.sub(r":\d+\)$", ")", leaf)] += int(count)  # per function, not line
        by_package[package_of(leaf)] += int(count)
    total = sum(by_package.values()) or 1
    lines = [f"{total} samples (Python frames; time in native code is under its caller)"]
    lines += ["self time by package:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in by_package.most_common()]
    lines += ["self time by function:"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in by_function.most_common(top)]
    return lines


if __name__ == "__main__":
    print("\n".join(summarize(Path(sys.argv[1]))))

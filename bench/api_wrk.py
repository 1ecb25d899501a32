"""wrk's Lua scripts for the API benchmark and the figures parsed from wrk's output."""

import re
from pathlib import Path


def wrk_script(endpoint, doc_path: Path, workdir: Path) -> Path:
    lines = [
        f'wrk.method = "{endpoint.method}"',
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if endpoint.body == "doc":
        lines.append(f'local f = io.open("{doc_path}", "rb"); wrk.body = f:read("*a"); f:close()')
    elif endpoint.body is not None:
        lines.append(f"wrk.body = '{endpoint.body}'")
    script = workdir / f"{endpoint.name}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict:
    def percentile(p: str) -> float:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    requests_match = re.search(r"(\d+) requests in", output)
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": int(requests_match.group(1)) if requests_match else 0,
        "rps": float(rps_match.group(1)) if rps_match else 0.0,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def paced_script(script: Path, connections: int, rps: float) -> Path:
    """The same requests at about `rps` in all: each connection waits between requests.

    wrk's delay() holds a connection before its next request; the wait ignores the service
    time, so the rate reached is a little under `rps` (it is measured and printed).
    """
    delay_ms = max(1, round(connections * 1000 / rps))
    paced = script.with_name(f"{script.stem}-paced.lua")
    paced.write_text(script.read_text() + f"function delay() return {delay_ms} end\n")
    return paced

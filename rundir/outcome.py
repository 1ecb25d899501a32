"""How a Locust run ended: the master's exit codes and the saturation limit its verdict records.

The load generator sets them, `rig local` and the report read them; written once, here.
"""

SLO_FAILED_EXIT = 3  # the master's exit code when an SLO gate was missed (loadgen/plugins/slo.py)
REQUESTS_FAILED_EXIT = 1  # Locust's own: some requests failed
# Exit codes after which the run directory is complete; the report says what went wrong.
LOCUST_OK_CODES = (0, REQUESTS_FAILED_EXIT, SLO_FAILED_EXIT)

# Past about this much CPU a Locust process measures its own queueing, not the service.
SATURATION_CPU_PERCENT = 90.0


def saturation_threshold(slo: dict | None) -> float:
    """The CPU limit the run's saturation guard used (its verdict file), else the default."""
    guard = (slo or {}).get("load_generator") or {}
    try:
        value = float(guard["cpu_threshold_percent"])
    except (KeyError, TypeError, ValueError):
        return SATURATION_CPU_PERCENT
    return value if 0 < value <= 100 else SATURATION_CPU_PERCENT

"""The API's connection limits as bottleneck lines: its connection slots, its accept rate.

The slots are Gunicorn's worker_connections or Granian's backpressure (per worker, summed over
the workers); the gauges are the same under both (app/metrics.py, app/granian_gauges.py).
"""

from reports import resources

# Open connections at this share of the slots count as all slots taken: the gauges are
# sampled, so the very peak may fall between two scrapes.
FULL_SHARE = 0.95
# What to raise when the slots are full, per server (run.json's config.server).
SLOT_SETTINGS = {"gunicorn": "RIG_WORKER_CONNECTIONS", "granian": "RIG_BACKPRESSURE"}


def _peak(metrics: dict, key: str, stat: str = "max") -> float | None:
    values = [
        resources.summarize(s["points"])[stat]
        for s in metrics.get("series", [])
        if s["key"] == key and s["points"]
    ]
    return max(values) if values else None


def connection_limit(metrics: dict, server: str | None = None) -> str | None:
    """The connection-limit line when the API's open connections reached its slots."""
    opened = _peak(metrics, "api_open_connections")
    slots = _peak(metrics, "api_connection_slots")
    if opened is None or not slots or opened < FULL_SHARE * slots:
        return None
    queue = _peak(metrics, "api_listen_queue")
    limit = _peak(metrics, "api_listen_queue_limit")
    setting = SLOT_SETTINGS.get(server or "gunicorn", SLOT_SETTINGS["gunicorn"])
    waiting = ""
    if queue:
        of = f" (queue limit {limit:,.0f})" if limit else ""
        waiting = f", up to {queue:,.0f} more waiting in the listen queue{of}"
    return (
        f"the API's connection slots: {opened:,.0f} of {slots:,.0f} connections open"
        f"{waiting}; clients wait for a slot and time out (raise {setting}, "
        "shorten RIG_KEEPALIVE, or let idle clients close: docs/seed-run.md)"
    )


def accept_limit(metrics: dict) -> str | None:
    """The listen-queue line: the queue filled up while connection slots were free, so the
    workers did not accept fast enough (starved of CPU, or blocked)."""
    queue = _peak(metrics, "api_listen_queue")
    limit = _peak(metrics, "api_listen_queue_limit")
    opened = _peak(metrics, "api_open_connections")
    slots = _peak(metrics, "api_connection_slots")
    if not queue or not limit or queue < FULL_SHARE * limit or opened is None or not slots:
        return None
    if opened >= FULL_SHARE * slots:
        return None  # the slots are the limit: connection_limit() says so
    cpu = _peak(metrics, "api_cpu_percent", "avg")
    host = _peak(metrics, "cpu_percent", "avg")
    why = f" (API CPU avg {cpu:.0f} % of one core, host CPU avg {host:.0f} %)" if cpu else ""
    return (
        f"the API's accept rate: its listen queue was full ({queue:,.0f} of {limit:,.0f}) while "
        f"only {opened:,.0f} of {slots:,.0f} connection slots were in use; the workers did not "
        f"get to accept connections{why}, and new ones were reset or timed out"
    )


def bottlenecks(metrics: dict, server: str | None = None) -> list[str]:
    lines = (connection_limit(metrics, server), accept_limit(metrics))
    return [line for line in lines if line]

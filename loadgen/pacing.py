"""The open model's pacing: seconds between one user's task starts for an arrival rate.

Kept apart from loadgen/options.py (which imports Locust, and Locust patches the standard
library with gevent on import) so that the report side and tests can use it as it is.
"""

import math


def pacing_of(options) -> float:
    """users / arrival rate from Locust's parsed options; 0 without a usable arrival rate.

    The users are the whole test's: `arrival_users`, which the master sets for its workers
    (Locust sends them its custom options, not --users), else --users (a local run)."""
    try:
        rate = float(getattr(options, "arrival_rate", 0.0) or 0.0)
        users = int(getattr(options, "arrival_users", 0) or getattr(options, "num_users", 0) or 0)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(rate) or rate <= 0 or users < 1:
        return 0.0
    return users / rate

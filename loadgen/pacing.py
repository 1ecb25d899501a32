"""Pacing: the open model's seconds between one user's task starts, and a crowd's first waits.

Kept apart from loadgen/options.py (which imports Locust, and Locust patches the standard
library with gevent on import) so that the report side and tests can use it as it is.
"""

import math
import random
from collections.abc import Callable


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


def first_wait(
    wait_min: float, wait_max: float, draw: Callable[[], float] = random.random
) -> float:
    """A user's first wait: what is left of a think time already under way (--wait-first).

    Think times drawn uniformly from [wait_min, wait_max] with mean m give a user one request
    every m seconds. A crowd started at once reaches that rate from the first second only if
    each user's first wait is the residual of a think time caught at a random moment (the
    renewal process's equilibrium): density P(think > x) / m, flat at 1/m below wait_min,
    falling linearly to 0 at wait_max. A plain uniform(0, wait_max) would give users /
    wait_max requests/s at first (833 instead of 1,000 for the seed scenario).
    """
    if not (math.isfinite(wait_min) and math.isfinite(wait_max)):
        return 0.0  # no think time to be part-way through
    low, high = max(0.0, wait_min), max(0.0, wait_min, wait_max)
    mean = (low + high) / 2
    if mean <= 0:
        return 0.0
    if draw() < low / mean:
        return low * draw()
    return high - (high - low) * math.sqrt(draw())

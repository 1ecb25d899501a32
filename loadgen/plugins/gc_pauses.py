"""Garbage-collector pauses of a large crowd kept short.

A Locust worker holding 25,000 users (the seed scenario) keeps about 400,000 long-lived
objects. CPython's full collection walks all of them, and while the crowd grows it runs again
each time the long-lived objects grow by a quarter: measured on a seed run here, 17 full
collections of about 0.3 s each per worker, a pause in which none of the worker's users
sends or reads anything, and 15-25 % of the worker's CPU in the collector.

So, as large Python services do (gc.freeze, Python 3.7+): the collector is off while the
users spawn (they make no cyclic garbage worth a pause), and when the spawn completes one
full collection runs and what survives it is frozen: moved out of the collector's sight for
good. Young collections then run as before and free the requests' short-lived cycles, but
no full collection runs until the test stops: the users' first requests each build a
connection pool that lives as long as the user, 25,000 of them per worker after the freeze,
and a full collection over them stalled the workers long enough, 150 s into a 5-minute seed
run, to miss their heartbeats. At the stop the thresholds are restored and one full
collection runs. Measured on a 100 s seed run: one full collection per worker instead of 17,
the collector's CPU 1.1 s instead of 5-8 s (docs/seed-run.md).
"""

import gc

from locust import events

NO_FULL_COLLECTION = 1 << 30  # young collections before a full one: never, in a run
_thresholds: list[tuple[int, int, int]] = []  # the ones to restore at the stop


@events.test_start.add_listener
def _pause_during_spawn(**_kwargs) -> None:
    gc.disable()


@events.spawning_complete.add_listener
def _freeze_the_crowd(**_kwargs) -> None:
    gc.collect()
    gc.freeze()
    young, middle, full = gc.get_threshold()
    if full != NO_FULL_COLLECTION:
        _thresholds[:] = [(young, middle, full)]
    gc.set_threshold(young, middle, NO_FULL_COLLECTION)
    gc.enable()


@events.test_stop.add_listener
def _resume(**_kwargs) -> None:
    # Also a run stopped before its spawn completed must not keep the collector off.
    if _thresholds:
        gc.set_threshold(*_thresholds.pop())
        gc.collect()
    gc.enable()

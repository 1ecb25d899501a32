"""Garbage-collector pauses of a large crowd kept short.

A Locust worker holding 25,000 users (the seed scenario) keeps about 400,000 long-lived
objects. CPython's full collection walks all of them, and while the crowd grows it runs again
each time the long-lived objects grow by a quarter: measured on a seed run here, 17 full
collections of about 0.3 s each per worker, a pause in which none of the worker's users
sends or reads anything, and 15-25 % of the worker's CPU in the collector.

So, as large Python services do (gc.freeze, Python 3.7+): the collector is off while the
users spawn (they make no cyclic garbage worth a pause), and when the spawn completes one
full collection runs and what survives it is frozen: moved out of the collector's sight for
good. A full collection then needs 100 younger ones before it (Python's default: 10), so the
users' first requests, which each build a connection pool that lives as long as the user,
do not set it off every few seconds either. Measured on the same seed run: one full
collection per worker instead of 17, the collector's CPU 1.1 s instead of 5-8 s
(docs/seed-run.md). Cyclic garbage is still collected: young collections run as before.
"""

import gc

from locust import events

FULL_COLLECTION_EVERY = 100  # younger collections between two full ones (CPython's: 10)


@events.test_start.add_listener
def _pause_during_spawn(**_kwargs) -> None:
    gc.disable()


@events.spawning_complete.add_listener
def _freeze_the_crowd(**_kwargs) -> None:
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    gc.enable()


@events.test_stop.add_listener
def _resume(**_kwargs) -> None:
    # A run stopped before its spawn completed must not keep the collector off.
    gc.enable()

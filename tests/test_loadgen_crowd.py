"""What lets one box hold the seed scenario's crowd: the first wait that gives the steady rate at
once, gevent's c-ares resolver, and the garbage collector frozen after the spawn."""

import collections
import math
import random
import socket
import subprocess
import sys
import textwrap

import gevent
import pytest
from gevent.resolver.ares import Resolver as AresResolver
from hypothesis import given, settings
from hypothesis import strategies as st

from loadgen.pacing import first_wait
from rig.paths import REPO_ROOT


def arrivals(users: int, low: float, high: float, until: float, seed: int) -> list[float]:
    """Every request time of `users` users, each first waiting first_wait(), then thinking."""
    rng = random.Random(seed)
    times = []
    for _ in range(users):
        t = first_wait(low, high, rng.random)
        while t < until:
            times.append(t)
            t += rng.uniform(low, high)
    return times


@pytest.mark.parametrize(("low", "high"), [(80, 120), (0, 60), (30, 30), (5, 400)])
def test_a_crowd_sends_users_over_mean_think_time_from_the_first_second(low, high):
    users, until, width = 50_000, 3 * high, high / 5
    rate = users / ((low + high) / 2)
    per_bin = collections.Counter(int(t // width) for t in arrivals(users, low, high, until, 7))
    rates = [per_bin[i] / width for i in range(int(until // width))]
    # 5 sigma of the Poisson-like count noise in one bin, at least 2 %.
    tolerance = max(0.02, 5 / math.sqrt(rate * width))
    assert all(abs(r / rate - 1) <= tolerance for r in rates), (rate, rates)


@given(st.floats(), st.floats(), st.floats(min_value=0, max_value=1, exclude_max=True))
def test_a_first_wait_is_never_negative_nor_beyond_the_longest_think_time(low, high, u):
    """Any floats, NaN and infinities included: a finite wait within the think time."""
    wait = first_wait(low, high, lambda: u)
    assert math.isfinite(wait) and wait >= 0
    if math.isfinite(low) and math.isfinite(high):
        assert wait <= max(0.0, low, high)


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses(), st.integers(min_value=1, max_value=65535))
def test_c_ares_answers_an_address_as_the_system_resolver_does(address, port):
    resolver = AresResolver(hub=gevent.get_hub())
    try:
        ours = resolver.getaddrinfo(str(address), port, 0, socket.SOCK_STREAM, socket.SOL_TCP)
    finally:
        resolver.close()
    system = socket.getaddrinfo(str(address), port, 0, socket.SOCK_STREAM, socket.SOL_TCP)
    assert [(i[0], i[4][:2]) for i in ours] == [(i[0], i[4][:2]) for i in system]


def python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()[-1]


def test_the_plugin_installs_c_ares_and_keeps_a_resolver_the_user_chose():
    code = "import loadgen.plugins.resolver as r; print(r.install())"
    assert python(code) == "gevent.resolver.ares"
    assert python(code, GEVENT_RESOLVER="block") == "gevent.resolver.blocking"


def test_the_collector_is_off_during_the_spawn_and_frozen_after_it():
    """A real Locust LocalRunner in a process of its own (the collector's state is global)."""
    state = python("""
        import gc, gevent
        from locust import User, constant, events, task
        from locust.env import Environment
        import loadgen.plugins.gc_pauses as gp

        class Idle(User):
            wait_time = constant(1)
            @task
            def nothing(self):
                pass

        env = Environment(user_classes=[Idle], events=events)  # the plugins' hooks
        runner = env.create_local_runner()
        before = gc.isenabled()
        runner.start(40, spawn_rate=20)  # two seconds of spawning
        gevent.sleep(0.5)
        during = (gc.isenabled(), runner.user_count < 40)
        gevent.sleep(3)
        after = (gc.isenabled(), gc.get_freeze_count() > 0, gc.get_threshold()[2] == 1 << 30)
        gc.disable()  # as if a spawn had been cut short: the stop turns it back on
        runner.quit()
        stopped = (gc.isenabled(), gc.get_threshold()[2])
        print(repr((before, during, after, stopped)).replace(" ", ""))
    """)
    assert state == "(True,(False,True),(True,True,True),(True,10))"

"""--wait-min, --wait-max, --server-keepalive, --request-timeout, --arrival-rate: finite, >= 0."""

import argparse
import math
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

# Importing locust monkey-patches the whole process with gevent, and pytest runs every other
# test in this process too: import it unpatched (the option parser needs no gevent).
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    import locust  # noqa: F401
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

from tests import loadgen_support as lg  # isort: skip

from loadgen import runner  # isort: skip
from loadgen.options import seconds_or_rate  # isort: skip

OPTIONS = ["--wait-min", "--wait-max", "--server-keepalive", "--request-timeout", "--arrival-rate"]


@given(st.one_of(st.text(max_size=20), st.floats().map(repr), st.integers().map(str)))
def test_any_text_is_a_finite_non_negative_number_or_argparse_s_error(text):
    try:
        value = seconds_or_rate(text)
    except argparse.ArgumentTypeError as exc:
        assert repr(text) in str(exc)
    else:
        assert math.isfinite(value) and value >= 0
        assert value == float(text)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e999", "-1", "-0.5", "NaN", " infinity"])
def test_non_finite_and_negative_values_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        seconds_or_rate(text)


@pytest.mark.parametrize("option", OPTIONS)
def test_locust_refuses_a_nan_with_the_option_named_and_no_traceback(option, tmp_path):
    argv = runner.master_argv("get_doc", "http://127.0.0.1:9", tmp_path / "run", 0, "1s")
    log = tmp_path / "locust.log"
    code = lg.run([*argv, f"{option}=nan"], log, tmp_path, timeout=60)
    assert code == 2
    assert option in lg.tail(log) and "finite" in lg.tail(log)
    assert "Traceback" not in lg.tail(log)

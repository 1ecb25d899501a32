"""The API benchmark's pure helpers: configuration names and the profile summary."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import api_configs  # bench/ is a folder of scripts, not a package
import api_profile


@pytest.mark.parametrize(
    ("text", "server", "worker_class", "threads", "settings"),
    [
        ("gunicorn-gevent", "gunicorn", "gevent", 4, {"RIG_WORKER_CLASS": "gevent"}),
        ("gunicorn-gthread-16", "gunicorn", "gthread", 16, {"RIG_THREADS": "16"}),
        ("granian", "granian", None, 8, {"RIG_THREADS": "8"}),
        ("granian-32", "granian", None, 32, {"RIG_THREADS": "32"}),
    ],
)
def test_configuration_names_become_server_settings(text, server, worker_class, threads, settings):
    config = api_configs.parse_config(text)
    assert (config.server, config.worker_class, config.threads) == (server, worker_class, threads)
    assert settings.items() <= config.settings(workers=2).items()
    assert config.settings(workers=2)["RIG_WORKERS"] == "2"


@given(st.text(max_size=30))
def test_any_configuration_name_is_a_configuration_or_a_value_error(text):
    try:
        config = api_configs.parse_config(text)
    except ValueError:
        return
    assert config.server in ("gunicorn", "granian") and config.threads >= 0


def test_a_profile_is_summed_by_package_and_function(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        'process 1:"python -m app.granian_conf";_runner (granian/wsgi.py:62);'
        "wsgi_app (flask/app.py:1500);add_document (app/views/documents.py:30) 6\n"
        'process 1:"python -m app.granian_conf";_runner (granian/wsgi.py:64) 3\n'
        'process 1:"python -m app.granian_conf" 1\n'
        "garbage line without a count\n"
    )
    lines = api_profile.summarize(raw)
    assert lines[0].startswith("10 samples")
    assert "   60.0 %  app (the API's own code)" in lines
    assert "   30.0 %  granian" in lines
    assert "   10.0 %  native code without a Python frame" in lines
    assert "   30.0 %  _runner (granian/wsgi.py)" in lines  # lines 62 and 64: one function


REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("where", ["missing", "a-file", "empty-dir"])
def test_against_refuses_what_is_not_a_checkout(tmp_path, where, capsys):
    import api_throughput

    target = tmp_path / where
    if where == "a-file":
        target.write_text("x")
    elif where == "empty-dir":
        target.mkdir()
    with pytest.raises(SystemExit) as stopped:
        api_throughput.parse_args(["--against", str(target)])
    assert stopped.value.code == 2
    assert f"--against {target}: not a checkout of the rig" in capsys.readouterr().err


def test_against_interleaves_each_configuration_with_the_other_checkout_first():
    import api_throughput

    args = api_throughput.parse_args(["--configs", "gunicorn-gevent,granian-8",
                                      "--against", str(REPO)])  # fmt: skip
    assert [(c.label, c.checkout) for c in args.configs] == [
        (f"gunicorn-gevent@{REPO.name}", REPO), ("gunicorn-gevent", None),
        (f"granian-8@{REPO.name}", REPO), ("granian-8", None),
    ]  # fmt: skip


def test_ratios_are_medians_of_the_paired_runs_ratios(capsys):
    """Run i of a configuration is compared with run i of the baseline (they ran seconds
    apart): here the pairs' ratios are 1.5, 1.1 and 0.9 (median 1.1), while the medians' ratio
    would be 0.9."""
    import api_report
    import api_throughput

    args = api_throughput.parse_args(["--configs", "granian-8,granian-16", "--repeat", "3",
                                      "--endpoints", "get_json_field"])  # fmt: skip

    def runs(values):
        return [{"rps": v, "p50_ms": 1.0, "p99_ms": 2.0, "per_api_cpu_s": v, "non_2xx": 0}
                for v in values]  # fmt: skip

    results = {("granian-8", "get_json_field"): runs([100, 300, 200]),
               ("granian-16", "get_json_field"): runs([150, 330, 180])}  # fmt: skip
    chosen = [e for e in api_throughput.ENDPOINTS if e.name == "get_json_field"]
    api_report.report(results, {}, chosen, args)
    ratios = capsys.readouterr().out.split("paired runs' ratios")[1]
    assert "x 1.10 per CPU-s  x 1.10 req/s  x 1.00 p99" in ratios


@pytest.mark.parametrize("what", ["missing", "not-a-program", "python-without-the-api"])
def test_python_against_refuses_what_cannot_run_the_api(tmp_path, what, capsys):
    import api_throughput

    venv_python = str(tmp_path / "venv" / "bin" / "python")
    python = {"missing": str(tmp_path / "python"), "not-a-program": str(tmp_path),
              "python-without-the-api": venv_python}[what]  # fmt: skip
    if what == "python-without-the-api":  # a Python, but one without Flask and the servers
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")],
                       check=True)  # fmt: skip
    with pytest.raises(SystemExit) as stopped:
        api_throughput.parse_args(["--python-against", python])
    assert stopped.value.code == 2
    refusal = capsys.readouterr().err
    assert f"--python-against {python}: not a Python that can run the API" in refusal


def test_python_against_pairs_each_configuration_with_the_other_interpreter():
    import platform

    import api_throughput

    args = api_throughput.parse_args(["--configs", "granian-8", "--python-against",
                                      sys.executable])  # fmt: skip
    version = platform.python_version()
    assert [(c.label, c.python) for c in args.configs] == [
        (f"granian-8@py{version}", sys.executable), ("granian-8", None),
    ]  # fmt: skip


def test_against_and_python_against_exclude_each_other(capsys):
    import api_throughput

    with pytest.raises(SystemExit) as stopped:
        api_throughput.parse_args(["--against", str(REPO), "--python-against", sys.executable])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err

"""The report's environment section names the API server and its settings in its own words."""

from pathlib import Path

from reports.render import environment_rows
from reports.run_dir import Run

VERSIONS = {"gunicorn": "27.0.1", "granian": "2.8.7", "flask": "3.1.3"}


def _run(config: dict) -> Run:
    return Run(Path("r"), {"versions": VERSIONS, "config": config}, [])


def test_a_granian_run_names_granian_its_workers_and_blocking_threads():
    rows = dict(environment_rows(_run({"server": "granian", "worker_class": "gevent",
                                       "workers": 1, "threads": 8})))  # fmt: skip
    assert rows["API server"] == "granian"
    assert rows["Granian"] == "2.8.7"
    assert rows["Granian workers"] == "1"
    assert rows["Granian blocking threads per worker"] == "8"
    assert "Gunicorn" not in rows and "Gunicorn worker class" not in rows


def test_a_gunicorn_run_keeps_gunicorn_s_names():
    rows = dict(environment_rows(_run({"server": "gunicorn", "worker_class": "gthread",
                                       "workers": 2, "threads": 4})))  # fmt: skip
    assert rows["API server"] == "gunicorn"
    assert rows["Gunicorn"] == "27.0.1" and "Granian" not in rows
    assert rows["Gunicorn worker class"] == "gthread"
    assert rows["Gunicorn workers"] == "2"

"""Grafana dashboards in dashboards/: well-formed, on the provisioned datasource, valid PromQL."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from rig.paths import REPO_ROOT
from tests.support import require_binary

DASHBOARDS_DIR = REPO_ROOT / "dashboards"
EXPECTED = {"locust", "hosts", "redis", "api"}
GRAFANA_DATASOURCES = REPO_ROOT / "roles" / "grafana" / "templates" / "datasources.yml.j2"

# Grafana's own variables, replaced the way Grafana would for a 15-minute view at 5 s scrapes.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "15m",
    "$instance": ".+",  # the Host variable set to All
}
# The job each dashboard shows; its Host variable lists that job's instances.
DASHBOARD_JOBS = {"hosts": "node", "redis": "redis", "locust": "locust", "api": "app"}


def load_dashboards() -> dict[str, dict]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def panels(dashboard: dict) -> list[dict]:
    """Every panel, including those nested in collapsed rows."""
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []))
    return [p for p in found if p.get("type") != "row"]


def concrete(expr: str, rate_interval: str = GRAFANA_VARIABLES["$__rate_interval"]) -> str:
    for name, value in {**GRAFANA_VARIABLES, "$__rate_interval": rate_interval}.items():
        expr = expr.replace(name, value)
    return expr


def dashboard_queries(rate_interval: str = "1m") -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL with Grafana's variables filled in) for every target."""
    return [
        (name, panel["title"], concrete(target["expr"], rate_interval))
        for name, dashboard in load_dashboards().items()
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def provisioned_datasource_uid() -> str:
    """The uid of the datasource the grafana role provisions (its template's only datasource;
    its Jinja expressions are values: the file parses as YAML with null in their place)."""
    text = re.sub(r"\{\{.*?\}\}", "null", GRAFANA_DATASOURCES.read_text(encoding="utf-8"))
    sources = yaml.safe_load(text).get("datasources") or []
    assert len(sources) == 1 and sources[0].get("uid"), f"{GRAFANA_DATASOURCES}: {sources}"
    return sources[0]["uid"]


def test_the_four_dashboards_exist_with_unique_uids():
    dashboards = load_dashboards()
    assert set(dashboards) == EXPECTED
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids), uids
    for name, dashboard in dashboards.items():
        assert dashboard["title"], name
        assert dashboard.get("id") is None, f"{name}: an exported id breaks provisioning"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_panel_uses_the_provisioned_datasource_and_has_queries(name):
    uid = provisioned_datasource_uid()
    dashboard = load_dashboards()[name]
    ids = [p["id"] for p in panels(dashboard)]
    assert len(set(ids)) == len(ids), f"{name}: duplicate panel ids {ids}"
    for panel in panels(dashboard):
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], f"{name}/{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
            assert target["expr"].strip(), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]


def test_locust_dashboard_shows_what_the_issue_asks_for():
    exprs = " ".join(t["expr"] for p in panels(load_dashboards()["locust"]) for t in p["targets"])
    for metric in (
        "locust_requests_total",
        "locust_failures_total",
        "locust_response_time_seconds",
        "locust_users",
        "locust_workers",
    ):
        assert metric in exprs, metric
    titles = " ".join(p["title"].lower() for p in panels(load_dashboards()["locust"]))
    for word in ("requests per second", "failures", "p50", "p95", "users", "workers"):
        assert word in titles, word


def test_every_query_is_valid_promql(tmp_path: Path):
    """promtool parses each expression as a recording rule; one bad query fails the file."""
    promtool = require_binary("promtool", "prometheus")
    queries = dashboard_queries()
    assert len(queries) >= 30
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [
                    {"record": f"dashboard:q{i}", "expr": expr}
                    for i, (_d, _t, expr) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(queries)} rules found" in done.stdout


def test_no_query_is_left_with_an_unknown_variable():
    for name, title, expr in dashboard_queries():
        assert not re.search(r"\$\w+", expr), f"{name}/{title}: {expr}"


def test_promtool_rejects_a_broken_query(tmp_path: Path):
    """The validity check above can fail: a broken expression is refused."""
    promtool = require_binary("promtool", "prometheus")
    path = tmp_path / "rules.yml"
    broken = {"record": "r", "expr": "sum(rate(x[1m])"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [broken]}]}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode != 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_host_can_be_picked_and_every_query_follows_the_pick(name):
    dashboard = load_dashboards()[name]
    (variable,) = dashboard["templating"]["list"]
    job = DASHBOARD_JOBS[name]
    assert variable["name"] == "instance" and variable["type"] == "query"
    assert variable["datasource"]["uid"] == provisioned_datasource_uid()
    assert re.fullmatch(rf'label_values\(\w+\{{job="{job}"\}}, instance\)', variable["definition"])
    assert variable["query"]["query"] == variable["definition"]
    assert variable["includeAll"] and variable["allValue"] == ".+"
    for panel in panels(dashboard):
        for target in panel["targets"]:
            selectors = re.findall(r"\{[^}]*\}", target["expr"])
            assert selectors, panel["title"]
            for selector in selectors:  # other jobs too: the lab labels all by host name
                assert re.match(r'\{(job="\w+",)?instance=~"\$instance"', selector), (
                    panel["title"], selector,
                )  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_benchmark_runs_show_as_annotations(name):
    (annotation,) = load_dashboards()[name]["annotations"]["list"]
    assert annotation["enable"] and annotation["datasource"]["type"] == "grafana"
    assert annotation["target"] == {"type": "tags", "tags": ["rig-run"], "matchAny": True,
                                    "limit": 100}  # fmt: skip

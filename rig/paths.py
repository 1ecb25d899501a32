"""Where the checkout's parts live, so commands work from any working directory."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_DIR = REPO_ROOT / "app"
LOADGEN_DIR = REPO_ROOT / "loadgen"
SCENARIOS_DIR = LOADGEN_DIR / "scenarios"
REPORTS_DIR = REPO_ROOT / "reports"
DEFAULT_RESULTS_DIR = REPO_ROOT / "results"
GUNICORN_CONF = APP_DIR / "gunicorn.conf.py"

"""Where the checkout's parts live, so commands work from any working directory.

The load generator's own paths are loadgen.runner's (it runs without rig on its hosts).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS_DIR = REPO_ROOT / "results"

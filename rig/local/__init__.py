"""`rig local`: the whole bench on one box (bench.py), its run directory (results.py)."""

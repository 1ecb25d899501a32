"""`rig sweep`: one `rig local` run per server setting, compared side by side in sweep.md."""

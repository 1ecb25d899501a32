"""The `rig` command and the glue shared by the rig's parts."""

"""Lab-in-a-box: a multi-host lab of systemd-nspawn containers on one Linux machine."""

"""The CPU split of `rig local` (options, automatic split) and the live saturation warning."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig import cli
from rig.commands import cpu_options
from rig.errors import RigError
from rig.local import cpu_split
from rig.local.saturation_watch import WINDOW_SECONDS, SaturationWatch


@pytest.mark.parametrize(
    ("cpus", "loadgen", "service"),
    [
        ([0, 1, 2, 3], (3,), (0, 1, 2)),
        (list(range(8)), (6, 7), tuple(range(6))),
    ],
)
def test_the_automatic_split_gives_locust_a_quarter_at_least_one(cpus, loadgen, service):
    split = cpu_split.choose(None, None, allowed=cpus)
    assert (split.loadgen, split.service) == (loadgen, service)
    assert split.separate and "automatic split" in split.how
    assert split.run_json() == {"locust": list(loadgen), "app": list(service),
                                "redis": list(service)}  # fmt: skip


def test_a_small_box_or_no_split_shares_and_says_the_run_will_be_suspect():
    for split in (
        cpu_split.choose(None, None, allowed=[0]),
        cpu_split.choose(None, None, allowed=[0, 1]),
        cpu_split.choose(None, None, split=False, allowed=list(range(8))),
    ):
        assert split.loadgen is None and not split.separate and split.run_json() == {}
        assert "will be SUSPECT" in split.how
    assert "no automatic split on 2 CPU(s)" in cpu_split.choose(None, None, allowed=[0, 1]).how
    # Asked for, a 2-CPU box is split all the same.
    assert cpu_split.choose("1", "0", allowed=[0, 1]).separate


def test_one_side_given_takes_the_rest_for_the_other():
    split = cpu_split.choose("0-1", None, allowed=[0, 1, 2, 3])
    assert (split.loadgen, split.service) == ((0, 1), (2, 3))
    split = cpu_split.choose(None, "1,3", allowed=[0, 1, 2, 3])
    assert (split.loadgen, split.service) == ((0, 2), (1, 3))


def test_overlapping_cpus_are_allowed_but_called_suspect():
    split = cpu_split.choose("0", "0-1", allowed=[0, 1])
    assert not split.separate and "sharing CPU 0: the run will be SUSPECT" in split.how


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repeat", "0"], "--repeat must be between 2 and 100"),
        (["--repeat", "1000"], "--repeat must be between 2 and 100"),
        (["--cpus-loadgen", "x"], "is not a CPU list"),
        (["--cpus-loadgen", "3-1"], "runs backwards"),
        (["--cpus-service", "99999"], "are not available here"),
        (["--cpus-loadgen", "0-99999999"], "beyond any machine"),
    ],
)
def test_hostile_repeat_and_cpu_options_are_clear_errors(tmp_path, capsys, args, message):
    assert cli.main(["local", "--results-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir()), "nothing is started or written for a wrong option"


@pytest.mark.parametrize("command", ["local", "sweep"])
def test_both_commands_read_the_same_cpu_options(command):
    args = cli.build_parser().parse_args([command, "--cpus-loadgen", "1", "--cpus-service", "0"])
    assert (args.cpus_loadgen, args.cpus_service) == ("1", "0")
    assert cpu_options.cpu_split_options(args)["cpus_loadgen"] == "1"


def test_only_rig_local_may_share_the_cpus(capsys):
    assert cpu_options.cpu_split_options(cli.build_parser().parse_args(["local"]))["cpu_split"]
    shared = cli.build_parser().parse_args(["local", "--no-cpu-split"])
    assert cpu_options.cpu_split_options(shared)["cpu_split"] is False
    # a sweep point on shared CPUs would be SUSPECT and never recommended: no such option
    sweep = cli.build_parser().parse_args(["sweep"])
    assert "cpu_split" not in cpu_options.cpu_split_options(sweep)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sweep", "--no-cpu-split"])
    assert "unrecognized arguments: --no-cpu-split" in capsys.readouterr().err


@given(st.text(max_size=12))
def test_any_cpu_list_text_parses_or_is_a_rig_error(text):
    try:
        cpus = cpu_split.parse_cpus(text, [0, 1, 2, 3], "--cpus-loadgen")
    except RigError as exc:
        assert "--cpus-loadgen" in str(exc)
    else:
        assert cpus and set(cpus) <= {0, 1, 2, 3}


def test_the_watch_warns_once_after_a_sustained_window_above_the_limit():
    watch = SaturationWatch((1,))
    assert watch.busy([10.0, 95.0]) == 95.0
    assert SaturationWatch(None).busy([80.0, 100.0]) == 90.0
    # Busy for less than the window: no average yet; a spike does not count.
    assert watch.add(0.0, 100.0) is None
    assert watch.add(1.0, 100.0) is None
    for t in range(2, int(WINDOW_SECONDS) + 1):
        average = watch.add(float(t), 96.0)
    assert average == pytest.approx(
        (100 * 2 + 96 * (int(WINDOW_SECONDS) - 1)) / (WINDOW_SECONDS + 1)
    )
    # Old readings leave the window.
    for t in range(10, 20):
        average = watch.add(float(t), 50.0)
    assert average == 50.0

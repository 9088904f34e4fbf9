"""MiniMalloc CSV instances read as PlanningProblems."""

import os
import pathlib
import re
import stat

import pytest

import planner
from planner import ConfigurationError, Location
from planner.csvio import atomic_write, buffer_name, capacity_from_name, load_minimalloc_csv, read_json

CHALLENGING = pathlib.Path("/work/shared/benchmarks/minimalloc-challenging")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tiny_instance_reads_as_pinned_shared_block_one(tmp_path):
    path = write(tmp_path, "tiny.12.csv", "id,lower,upper,size\n0,0,3,4\n1,2,5,4\n2,3,6,8\n")
    problem = load_minimalloc_csv(path)
    assert problem.block_size == 1
    assert problem.shared_capacity == 12 and problem.capacity_elems == 12
    assert [b.name for b in problem.buffers] == ["b0", "b1", "b2"]
    assert [b.lifetime for b in problem.buffers] == [((0, 3),), ((2, 5),), ((3, 6),)]
    assert [b.size_elems for b in problem.buffers] == [4, 4, 8]
    assert all(b.location is Location.SHARED for b in problem.buffers)
    # b1 lives with both others, b0 and b2 never meet: the optimum is 12 = the lower bound.
    for name in ("cpsat", "greedy"):
        plan = planner.solve(problem, name, time_limit_s=5)
        plan.verify(problem)
        assert plan.shared_elements == plan.provenance.lower_bound == 12
    # Without reuse the three need 16 > 12.
    with pytest.raises(planner.InfeasibleError, match="over by 4"):
        planner.solve(problem, "sequential")


def test_capacity_argument_beats_file_name_and_columns_may_be_reordered(tmp_path):
    path = write(tmp_path, "x.100.csv", "size,upper,lower,id\n5,10,0,a\n\n7,3,1,b.c\n")
    problem = load_minimalloc_csv(path, capacity=64)
    assert problem.shared_capacity == 64
    assert [(b.name, b.size_elems, b.lifetime) for b in problem.buffers] == [
        ("a", 5, ((0, 10),)), ("bb_c", 7, ((1, 3),))]


def test_capacity_from_name():
    assert capacity_from_name("A.1048576.csv") == 1048576
    assert capacity_from_name("/some/dir/K.2048.csv") == 2048
    assert capacity_from_name("plain.csv") is None
    assert capacity_from_name("1024.csv") is None  # the number must sit between name and extension
    assert buffer_name("17") == "b17" and buffer_name("x_1") == "x_1"


@pytest.mark.parametrize("name, text, needle", [
    ("e.8.csv", "", "empty file"),
    ("h.8.csv", "id,start,end,size\n0,0,1,1\n", "header"),
    ("n.8.csv", "id,lower,upper,size\n0,0,1\n", "line 2: expected 4 values"),
    ("i.8.csv", "id,lower,upper,size\n0,0,x,1\n", "line 2: upper 'x' is not an integer"),
    ("f.8.csv", "id,lower,upper,size\n0,0,1,2.5\n", "size '2.5' is not an integer"),
    ("s.8.csv", "id,lower,upper,size\n0,0,1,-3\n", "size: expected an integer >= 0"),
    ("r.8.csv", "id,lower,upper,size\n0,5,2,1\n", "lower 5 is not below upper 2, so its interval [5, 2) is reversed"),
    ("z.8.csv", "id,lower,upper,size\n0,4,4,1\n", "lower 4 is not below upper 4, so its interval [4, 4) is empty"),
    ("d.8.csv", "id,lower,upper,size\n0,0,1,1\n0,1,2,1\n", "line 3: duplicate id '0' (first on line 2)"),
    ("nocap.csv", "id,lower,upper,size\n0,0,1,1\n", "no capacity"),
    # a broken file says what is wrong with it even when the capacity is missing too
    ("nocap_empty.csv", "id,lower,upper,size\n", "a header and no rows"),
    ("nocap_bad.csv", "id,lower,upper,size\n0,0,1,a\n", "line 2: size 'a' is not an integer"),
])
def test_bad_rows_name_the_line(tmp_path, name, text, needle):
    with pytest.raises(ConfigurationError, match=None) as info:
        load_minimalloc_csv(write(tmp_path, name, text))
    assert needle in str(info.value)


def test_binary_file_is_a_configuration_error(tmp_path):
    path = tmp_path / "bin.8.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigurationError, match="unreadable CSV"):
        load_minimalloc_csv(path)


def test_unreadable_file_is_a_configuration_error_naming_it(tmp_path):
    with pytest.raises(ConfigurationError, match=r"cannot access '.*missing\.8\.csv': No such file or directory"):
        load_minimalloc_csv(tmp_path / "missing.8.csv")


@pytest.mark.parametrize("load", [planner.load_plan, planner.load_problem])
def test_loaders_name_a_path_they_cannot_read(tmp_path, load):
    """A folder, a missing file, None or an empty name: the planner's error, naming the path or argument."""
    for path, reason in ((tmp_path, "Is a directory"), (str(tmp_path), "Is a directory"),
                         (tmp_path / "nope.json", "No such file or directory")):
        with pytest.raises(ConfigurationError) as info:
            load(path)
        assert str(info.value) == f"cannot access {str(path)!r}: {reason}"
    for path, needle in ((None, "expected a file name (str or os.PathLike), got None"),
                         ("", "expected a file name, got an empty one")):
        with pytest.raises(ConfigurationError, match=re.escape(f"{load.__name__}: path: {needle}")):
            load(path)
    if load is planner.load_problem:  # a CSV problem too
        with pytest.raises(ConfigurationError, match=r"cannot access '.*nope\.8\.csv': No such file"):
            load(tmp_path / "nope.8.csv")


@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc benchmarks not present")
def test_real_instance_greedy_stays_above_the_lower_bound():
    problem = load_minimalloc_csv(CHALLENGING / "A.1048576.csv", capacity=2 * 1048576)
    assert len(problem.buffers) == 154
    plan = planner.solve(problem, "greedy")
    plan.verify(problem)
    lower = planner.live_peak(problem, [b.name for b in problem.buffers])
    assert lower <= 1048576  # the paper's solver fits it in the capacity the name gives
    assert plan.provenance.lower_bound == lower <= plan.shared_elements


def test_atomic_write_replaces_whole_files_with_the_usual_mode(tmp_path):
    target = tmp_path / "out.json"
    atomic_write(target, b"first")
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask

    def half_then_fail(handle):
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"first"           # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # and no temporary file is left
    with pytest.raises(FileNotFoundError) as info:
        atomic_write(tmp_path / "missing" / "x.json", b"x")
    assert info.value.filename == str(tmp_path / "missing" / "x.json")


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_atomic_write_keeps_a_replaced_files_mode(tmp_path, mode):
    """Replacing a private (0600) file made it 0644: the temporary file's mode replaced the user's."""
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    target.chmod(mode)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    link = tmp_path / "link.json"  # through a link: the mode of the file it names
    link.symlink_to(target)
    atomic_write(link, b"newer")
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.parametrize("name, text, hinted", [
    ("m.txt", "id,lower,upper,size\n0,0,2,4\n", True),
    ("m.json", "\n  a,b\n", True),
    ("m.json", "[1, 2,", False),  # JSON with commas: no CSV hint
    ("m.json", '{"a": }', False),
    ("m.json", "hello", False),
])
def test_csv_content_under_another_name_says_it_needs_csv_suffix(tmp_path, name, text, hinted):
    """A CSV named m.txt (or /dev/stdin) said only "malformed JSON: Expecting value at line 1 column 1"."""
    with pytest.raises(ConfigurationError) as info:
        planner.load_problem(write(tmp_path, name, text), capacity=8)
    assert "malformed JSON" in str(info.value)
    hint = "it looks like CSV: a MiniMalloc CSV problem is read only from a file whose name ends in .csv"
    assert (hint in str(info.value)) == hinted, str(info.value)
    with pytest.raises(ConfigurationError) as info:  # a plan is no CSV: read_json alone gives no hint
        read_json(tmp_path / name)
    assert "looks like CSV" not in str(info.value)


def test_read_json_errors(tmp_path):
    cases = {'{"a": 1, "a": 2}': "duplicate key(s) ['a']", '{"a": }': "malformed JSON: Expecting value at line 1"}
    for text, needle in cases.items():
        path = tmp_path / "x.json"
        path.write_text(text)
        with pytest.raises(ConfigurationError) as info:
            read_json(path)
        assert needle in str(info.value)
    path.write_bytes(b"\xff")
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        read_json(path)


def test_an_empty_row_interval_is_written_half_open(tmp_path):
    """A user's trial: the row ``1,2,2,4`` was refused as "interval [2, 2] is empty", a half-open [lower, upper)
    printed as closed (which would hold one point)."""
    path = write(tmp_path, "t.8.csv", "id,lower,upper,size\n0,0,2,4\n1,2,2,4\n")
    with pytest.raises(ConfigurationError) as info:
        load_minimalloc_csv(path)
    assert str(info.value) == (f"{path} line 3: id '1': lower 2 is not below upper 2, so its interval [2, 2) is "
                               "empty; a buffer is alive on [lower, upper): give upper > lower")


def test_an_id_that_is_not_ascii_is_refused_with_the_rule(tmp_path):
    """A user's trial (2026-12-06): id 'é' was planned as buffer 'b_' without a word."""
    path = write(tmp_path, "uni.100.csv", "id,lower,upper,size\né,0,2,4\n1,1,3,4\n")
    with pytest.raises(ConfigurationError, match=r"uni.100.csv line 2: id 'é' has characters that are not ASCII "
                                                 r"\('é'\); buffer names are ASCII identifiers .*\(this one 'b_'\), "
                                                 r"losing it: give ASCII ids"):
        load_minimalloc_csv(path)

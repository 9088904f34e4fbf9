"""Buffer construction: a misspelt keyword, or a problem file's JSON key, is a declaration error.

A user's trial: ``Buffer(..., lifetme=...)`` and ``Buffer(..., view_offset=0)`` (the JSON key of
``view_offset_elems``) raised Python's bare TypeError, not the planner's ConfigurationError.
"""

import copy
import dataclasses
import pickle
import re

import numpy as np
import pytest

from planner import Buffer, ConfigurationError, PlanningProblem
from planner import buffers as declared  # precision_name: its tests fail alone on code without it

_TAKES = ("it takes name, size_elems, location, persistent, lifetime, weight, precision, view_of, "
          "view_offset_elems, spans_invocations, storage")


@pytest.mark.parametrize("make, words", [
    (lambda: Buffer("k.a", 4, lifetme=((0, 2),)),
     "Buffer 'k.a': unknown keyword argument 'lifetme' (did you mean 'lifetime'?); "),
    (lambda: Buffer(name="k.a", size_elems=4, lifetime=((0, 2),), persistant=True),
     "Buffer 'k.a': unknown keyword argument 'persistant' (did you mean 'persistent'?); "),
    (lambda: Buffer("k.v", 2, view_of="k.a", view_offset=1),
     "Buffer 'k.v': unknown keyword argument 'view_offset' (the JSON key; the Python keyword is "
     "'view_offset_elems'); "),
    (lambda: Buffer("k.a", size=4, lifetime=((0, 2),)),
     "Buffer 'k.a': unknown keyword argument 'size' (the JSON key; the Python keyword is 'size_elems'); "),
    (lambda: Buffer("k.a", 4, lifetime=((0, 2),), colour="red"), "Buffer 'k.a': unknown keyword argument 'colour'; "),
])
def test_an_unknown_keyword_is_a_configuration_error_naming_the_right_one(make, words):
    with pytest.raises(ConfigurationError) as info:
        make()
    assert str(info.value) == words + _TAKES
    assert isinstance(info.value, TypeError)  # as Python's own was: code that caught a TypeError still does


def test_other_type_errors_stay_pythons():
    """Only unknown keywords are the planner's to word: a missing size is Python's own error, as before."""
    with pytest.raises(TypeError, match="size_elems"):
        Buffer("k.a")


def test_a_buffer_built_every_way_is_the_same_value():
    """The keyword check wraps the dataclass's __init__: positional and keyword construction, equality,
    hashing, replace, copies, pickling and the JSON round trip are unchanged."""
    positional = Buffer("k.a", 4, "shared", False, ((0, 2),), 2.0)
    keyword = Buffer(name="k.a", size_elems=4, location="shared", lifetime=((0, 2),), weight=2.0)
    assert positional == keyword and hash(positional) == hash(keyword)
    assert dataclasses.replace(keyword, size_elems=5).size_elems == 5
    assert copy.deepcopy(keyword) == pickle.loads(pickle.dumps(keyword)) == Buffer.from_json(keyword.to_json())


@pytest.mark.parametrize("buffer", [
    Buffer("x", 4, lifetime=(("a", "a"),)),
    Buffer("jac", 16, "local", lifetime=(("a", "b"), ("c", "c")), weight=3.0, precision="float32",
           spans_invocations=2, storage="memory"),
    Buffer("p", 2, persistent=True),
], ids=["phase", "spanning", "persistent"])
def test_a_component_buffer_round_trips_through_json(buffer):
    """A user's trial (2026-12-06): ``to_json`` of a declared buffer with a phase lifetime raised
    "TypeError: 'PhaseSpan' object is not iterable"; its phase spans are written as they are declared."""
    data = buffer.to_json()
    assert Buffer.from_json(data) == buffer
    if buffer.has_phase_lifetime:
        assert data["lifetime"] == [[s.first, s.last] for s in buffer.lifetime]


def test_a_component_buffer_s_json_is_no_problem_file_buffer():
    """Phase names and spans_invocations are a component's: a problem file still refuses them."""
    for buffer, words in ((Buffer("x", 4, lifetime=(("a", "a"),)), "buffers[0] lifetime: expected integer program "
                                                                    "points, got [['a', 'a']]"),
                          (Buffer("x", 4, lifetime=((0, 2),), spans_invocations=1),
                           "buffers[0]: 'spans_invocations' is a component's key")):
        with pytest.raises(ConfigurationError, match=re.escape(words)):
            PlanningProblem.from_json({"buffers": [buffer.to_json()]})


@pytest.mark.parametrize("interval, words", [((-1, 3), "interval [-1, 3) starts below 0"),
                                             ((0, 10 ** 19), "interval [0, 10000000000000000000): end")])
def test_lifetime_messages_write_intervals_half_open(interval, words):
    """Intervals are half-open everywhere else: these two wrote ``[-1, 3]``."""
    with pytest.raises(ConfigurationError, match=re.escape(words)):
        Buffer("k.a", 1, lifetime=(interval,))


@pytest.mark.parametrize("name, chars", [("état_δ", "'é', 'δ' are"), ("k.缓冲", "'缓', '冲' are"), ("naïve", "'ï' is")])
def test_a_non_ascii_name_is_told_the_rule_is_ascii(name, chars):
    """A user's trial (2026-12-06): 'état_δ' is a Python identifier, so "expected identifiers" read as wrong."""
    with pytest.raises(ConfigurationError, match=rf"buffer name '{re.escape(name)}': expected ASCII identifiers .*; "
                                                 rf"{chars} not ASCII: spell the name with ASCII letters"):
        Buffer(name, 3, lifetime=((0, 1),))
    with pytest.raises(ConfigurationError, match="expected ASCII identifiers"):
        PlanningProblem.from_json({"buffers": [{"name": name, "size": 3, "lifetime": [[0, 1]]}]})


def test_an_ascii_name_that_is_no_identifier_names_no_characters():
    with pytest.raises(ConfigurationError) as info:
        Buffer("a-b", 3, lifetime=((0, 1),))
    assert "expected ASCII identifiers" in str(info.value) and "not ASCII" not in str(info.value)


@pytest.mark.parametrize("precision", ["int32", "int64", "uint16", "int"])
def test_an_integer_precision_is_told_to_declare_its_bytes(precision):
    """A user's trial (2026-12-06): a kernel developer's int32 index buffer was only "unknown precision"."""
    with pytest.raises(ConfigurationError, match=rf"unknown precision '{precision}'; expected one of 'float16', "
                                                 r"'float32', 'float64'; the planner needs only bytes per element: "
                                                 r"declare a 4-byte integer buffer as float32 and an 8-byte one as "
                                                 r"float64"):
        Buffer("idx", 3, lifetime=((0, 1),), precision=precision)


def test_another_unknown_precision_gets_no_integer_advice():
    with pytest.raises(ConfigurationError) as info:
        Buffer("idx", 3, lifetime=((0, 1),), precision="banana")
    assert "bytes per element" not in str(info.value)


def test_a_problem_buffers_unknown_key_lists_only_keys_a_problem_takes():
    """A user's trial (2026-12-06): 'colour' listed spans_invocations as allowed, which a problem then refused."""
    with pytest.raises(ConfigurationError, match=r"buffers\[0\]: unknown key\(s\) \['colour'\]; allowed: ") as info:
        PlanningProblem.from_json({"buffers": [{"name": "a", "size": 3, "lifetime": [[0, 1]], "colour": 1}]})
    assert "spans_invocations" not in str(info.value) and "'view_offset'" in str(info.value)
    with pytest.raises(ConfigurationError, match=r"allowed: .*'spans_invocations'"):  # a component's buffer takes it
        Buffer.from_json({"name": "a", "size": 3, "lifetime": [[0, 1]], "colour": 1})


def test_one_span_without_its_outer_tuple_is_told_how_to_write_it():
    """A developer's trial: lifetime=("a", "b") was told "expected [start, end) pairs, got 'a'"."""
    with pytest.raises(ConfigurationError, match=re.escape("write lifetime=(('a', 'b'),)")):
        Buffer("x", 4, lifetime=("a", "b"))


@pytest.mark.parametrize("given", [np.float64, np.dtype("float64"), np.dtype(">f8"), "f8", "double", "float64"])
def test_a_numpy_float_precision_is_held_as_its_name(given):
    """A user's trial: kernels.Integrator takes precision=np.float64 and the planner refused it as an unknown
    precision; a NumPy float type, dtype or code is now held as the name (JSON, comparisons, itemsize read it)."""
    buffer = Buffer("k.a", 4, lifetime=((0, 2),), precision=given)
    assert buffer.precision == "float64" and buffer.to_json()["precision"] == "float64"
    assert buffer == Buffer("k.a", 4, lifetime=((0, 2),), precision="float64")
    assert declared.precision_name(given) == "float64" and declared.precision_name(np.float16) == "float16"


@pytest.mark.parametrize("given, words", [
    (float, "unknown precision <class 'float'> (read as 'float'); expected one of 'float16', 'float32', 'float64', "
            "or a NumPy float type or dtype of one (np.float64); 'float' is float64 to NumPy and float32 to C: name "
            "the one you mean"),
    (np.int32, "unknown precision <class 'numpy.int32'> (read as 'int32'); expected one of 'float16', 'float32', "
               "'float64', or a NumPy float type or dtype of one (np.float64); the planner needs only bytes per "
               "element"),
    (np.longdouble, "(read as 'longdouble'); expected one of"),
    (np.float32(1.0), "unknown precision np.float32(1.0); expected one of"),
])
def test_a_precision_of_no_float_width_names_what_to_pass(given, words):
    with pytest.raises(ConfigurationError) as info:
        Buffer("k.a", 4, lifetime=((0, 2),), precision=given)
    assert str(info.value).startswith("buffer 'k.a' precision: ") and words in str(info.value)


def test_itemsize_reads_names_only_and_names_the_one_to_pass():
    """A problem's or plan's precision is stored as given, so bytes are read from names alone; a NumPy type there
    is told its name."""
    assert declared.itemsize("float64") == 8
    with pytest.raises(ConfigurationError, match=r"expected a precision name \('float16', 'float32', 'float64'\), "
                                                 r"got <class 'numpy.float64'>: pass 'float64'"):
        declared.itemsize(np.float64)


@pytest.mark.parametrize("given", [np.float64, np.dtype("float64"), "f8"])
def test_to_problem_takes_a_numpy_precision(given):
    """A NumPy float type, dtype or code is held as its name in the problem, its JSON and its plan (kernels.Integrator
    takes np.float64; to_problem refused it: a user's trial)."""
    import kernels
    import planner

    tree = kernels.Integrator(kernels.oscillator_chain(3), "tsit5", precision=np.float64).buffer_settings()
    problem = tree.to_problem(precision=given, block_size=1, device="h200")
    assert problem.precision == "float64" and problem.to_json()["precision"] == "float64"
    assert problem == tree.to_problem(precision="float64", block_size=1, device="h200")
    assert planner.solve(problem).precision == "float64"

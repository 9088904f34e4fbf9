"""What a batch input (``y0``, ``params``) laid out or shaped otherwise than one row per trajectory most likely
meant, for :func:`kernels.validation.check_batch`'s messages: a dict of named columns, a list of dicts (one per
trajectory), a tuple of per-column arrays (the ``args`` habit of diffrax and SciPy), SciPy's column orientation, a
missing column."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from .errors import ConfigurationError
from .square_layout import COLUMNS as _COLUMNS
from .square_layout import constant_lines, rhs_reads, transposed_square_message

__all__ = ["check_layout", "array_items_message", "shared_and_columns_message", "sweep_hint", "is_pandas",
           "pandas_rows", "needs_flattening", "flattened_keys", "transposed_square_message", "constant_lines", "TEXT"]

TEXT = (str, bytes, bytearray)  # read as one value, not a sequence of characters


_SHOWN = 8  # arrays a stacking expression names before "..."


def _counted(count, noun):
    """``"1 trajectory"``, ``"3 trajectories"``: ``count`` with ``noun`` (ending in y) in its number."""
    return f"{count} {noun if count == 1 else noun[:-1] + 'ies'}"


def check_layout(value, what, width, name_width):
    """Refuse the layouts of diffrax's and SciPy's ``args`` habit that rows would misread: a dict of named columns, a
    list of dicts (one per trajectory: :func:`_dict_rows`), a tuple (or list) of per-parameter arrays of unlike shapes
    and one first dimension, ``(A, r)`` (:func:`_per_column_arrays`), and a tuple of ``width`` 1-D arrays of ``width``
    values each (one array per parameter, or per state, read as rows without a word: the batch came out transposed).  A
    list of arrays is rows, as ``np.array`` reads it (``[default_params] * N``; ``[M0, M1, M2, M3]``, a matrix per
    trajectory), unless only the per-column reading fits its arrays (:func:`_like_column_arrays`), or it holds a
    pandas Series (a DataFrame's column: ``[df.a, df.b]``) and is not a DataFrame's rows (``[df.iloc[0],
    df.iloc[1]]``)."""
    noun, letter = _COLUMNS.get(what, ("column", "x"))
    order = f"{letter}[0], {letter}[1], ..." if width > 2 else rhs_reads(letter, width)
    head = (f"{what} must be one row per trajectory, of shape (N, {width}) ({name_width}), in the order the rhs "
            f"reads {order}")
    if isinstance(value, Mapping) and width:
        raise ConfigurationError(f"{head}; got {_dict_columns(value, what, width, noun)}")
    if isinstance(value, (tuple, list)) and value and width and all(isinstance(row, Mapping) for row in value):
        raise ConfigurationError(f"{head}; got {_dict_rows(value, what)}")
    if isinstance(value, (tuple, list)) and width and (_per_column_arrays(value) or _like_column_arrays(value, width)):
        items = [(f"{what}[{i}]", item) for i, item in enumerate(value)]
        raise ConfigurationError(f"{head}; got a {type(value).__name__} of {len(value)} per-{noun} arrays, of shapes "
                                 f"{shapes_listed(items)}: {flat_stack(items, width, 'arrays')}")
    if isinstance(value, (tuple, list)) and len(value) == width > 1 and _square_of_arrays(value, type(value) is list):
        raise ConfigurationError(
            f"{what} is a {type(value).__name__} of {width} 1-D arrays of {width} values each, so the solver cannot "
            f"tell one array per {noun} from one row per trajectory: pass np.column_stack({what}) for one array per "
            f"{noun} ({order}), or np.array({what}) (or np.stack({what})) for one row per trajectory")


def _dict_columns(value, what, width, noun):
    """The words of a refused dict of named columns: np.column_stack of its values where each is one value per
    trajectory, else each flattened per trajectory and stacked (:func:`flat_stack`: a dict holding a matrix per
    trajectory, {"A": (N, n, n), "r": (N, n)}, was told np.column_stack, which NumPy refuses: an ecologist's trial)."""
    if not value:
        return "an empty dict"
    if needs_flattening(value.values()):
        return f"a dict {flattened_keys([(f'{what}[{key!r}]', value[key]) for key in value], width)}"
    shapes = _shapes_of(list(value.values()))
    if len(value) < width and shapes is not None and all(len(shape) <= 1 for shape in shapes):
        return _too_few_keys(value, what, width, noun)
    columns = ", ".join(f"{what}[{key!r}]" for key in list(value)[:3]) + (", ..." if len(value) > 3 else "")
    return f"a dict: pass np.column_stack([{columns}]) with the {noun}s in that order"


def _too_few_keys(value, what, width, noun):
    """The words of a dict of named columns (one value per trajectory each) with fewer keys than the system's
    ``width`` columns: all are needed, and a sweep of a few goes into a full table tiled from one row.  A dict of 2
    of 9 parameters was told np.column_stack of those 2, which the column count then refused (a laser physicist's
    trial)."""
    keys = list(value)
    lengths = {np.shape(column)[0] for column in value.values() if np.ndim(column) == 1}
    n = lengths.pop() if len(lengths) == 1 else "N"
    letter = _COLUMNS.get(what, ("column", "x"))[1]
    key = keys[0]
    defaults = ", such as the system's default_params" if what == "params" else ""
    return (f"a dict of {len(keys)} key{'s' * (len(keys) > 1)} ({', '.join(map(repr, keys[:_SHOWN]))}"
            f"{', ...' if len(keys) > _SHOWN else ''}) where all {width} {noun}s are needed, one column each: a dict "
            f"must hold every {noun}, stacked in the order the rhs reads {rhs_reads(letter, width)}; "
            f"to sweep only these, build the full table from one row of all {width} values: P = np.tile(base, ({n}, "
            f"1)), then P[:, j] = {what}[{key!r}] for each swept {noun}'s column j (base: one row of the {width} "
            f"values, {letter}[0] to {letter}[{width - 1}]{defaults}), and pass P")


def flattened_keys(items, width):
    """The words for a dict's columns ``items`` (``(text, value)`` pairs, in the order to stack them) that are not
    one value per trajectory each (:func:`needs_flattening`): their shapes, and the stacking that runs."""
    return (f"of arrays of shapes {shapes_listed(items)}, not one value per trajectory each: "
            f"{flat_stack(items, width, 'keys')}")


def needs_flattening(values):
    """True when ``values`` (a dict's columns) are not all one value per trajectory, so np.column_stack refuses
    them: one has more than 2 dimensions (a matrix per trajectory), or 2-D ones sit beside 1-D ones or numbers."""
    dims = [len(shape) for shape in _shapes_of(list(values)) or [()]]
    return max(dims) > 2 or (2 in dims and min(dims) < 2)


def _per_column_arrays(items):
    """True when ``items`` (a tuple or a list) are one array per parameter (or state) for a batch, diffrax's and
    SciPy's ``args`` habit, ``(A, r)`` with A of shape (N, n, n) and r of shape (N, n): arrays of unlike shapes
    with one first dimension, one of them 2-D or more (a ragged list of rows is never that; such a tuple was
    refused as "a ragged list", with a list of rows as the remedy: an ecologist's trial)."""
    if len(items) < 2 or any(isinstance(item, Mapping) or isinstance(item, TEXT) for item in items):
        return False
    shapes = _shapes_of(items)
    return (shapes is not None and all(shapes) and len({shape[0] for shape in shapes}) == 1
            and len(set(shapes)) > 1 and max(map(len, shapes)) >= 2)


def _like_column_arrays(items, width):
    """True when ``items`` are per-parameter (or per-state) arrays of one shape, ``(S, E, I, R)`` each of shape (N, 4)
    for a 16-state system: NumPy reads them as one 3-D array, whose refusal took each array for one trajectory and
    told np.reshape(y0, (4, -1)), a wrong fix (an epidemiologist's trial).

    Two readings: per column (``len(items)`` times the values of one array's row add up to ``width``) and per item
    (each item holds one trajectory's ``width`` values).  Where only the per-column one fits, it is taken for a list
    and a tuple alike.  Where both fit, a list is rows, as the README and :func:`check_layout` say (a list of N
    per-trajectory 4x4 matrices of a 16-param system was told np.hstack, which scrambles them: a regression hunt;
    the 3-D refusal tells np.reshape), and a tuple (the ``args`` habit) is columns.  A tuple is also columns where
    neither fits."""
    if len(items) < 2 or not all(hasattr(item, "shape") for item in items) or np.ndim(items[0]) < 2:
        return False
    shapes = _shapes_of(items)
    if shapes is None or len(set(shapes)) != 1:
        return False
    per_column = len(items) * math.prod(shapes[0][1:]) == width
    per_item = math.prod(shapes[0]) == width
    if isinstance(items, tuple):
        return per_column or not per_item
    return per_column and not per_item


def flat_stack(items, width, things):
    """How per-column arrays ``items`` (``(text, value)`` pairs, the text naming each in the user's input, such as
    ``params['A']``) become what a solve takes, as words with an expression that runs on them: each flattened per
    trajectory (C order) and stacked, np.hstack, over the first dimension N of the first array of 2 or more
    dimensions; or, where their values add up to the system's ``width`` and the per-trajectory reading does not,
    raveled and joined into the one row every trajectory shares.  ``things``: what the texts name (keys, arrays),
    which must come in the order the rhs reads their values."""
    shapes = [np.shape(value) for _, value in items]
    n = next(shape[0] for shape in shapes if len(shape) >= 2)
    per_row = sum(math.prod(s[1:]) if s and s[0] == n else math.prod(s) for s in shapes)
    shown = items[:_SHOWN]
    more = ", ..." if len(items) > _SHOWN else ""
    if per_row != width and sum(math.prod(s) for s in shapes) == width:
        joined = ", ".join(f"np.ravel({text})" for text, _ in shown)
        return (f"{width} values in all, one trajectory's: join them into the one row every trajectory shares, "
                f"np.concatenate([{joined}{more}]), with the {things} in the order the rhs reads their values")
    stacked = ", ".join(_flat_column(text, shape, n) for (text, _), shape in zip(shown, shapes))
    layout = (" (np.reshape lays out each trajectory's matrix row by row, C order)"
              if max(map(len, shapes)) > 2 else "")
    count = "" if per_row == width else f"; that is {per_row} values per trajectory, and the system has {width}"
    return (f"flatten each per trajectory and stack them, np.hstack([{stacked}{more}]), with the {things} in the "
            f"order the rhs reads their values{layout}{count}")


def _flat_column(text, shape, n):
    """The expression of one array of :func:`flat_stack` as ``n`` rows: a 2-D array of ``n`` rows as it is, one of
    ``n`` rows otherwise reshaped, anything else (a number, a row every trajectory shares) repeated ``n`` times."""
    if shape and shape[0] == n:
        return text if len(shape) == 2 else f"np.reshape({text}, ({n}, -1))"
    return f"np.tile({text}, ({n}, 1))" if len(shape) <= 1 else f"np.tile(np.ravel({text}), ({n}, 1))"


def array_items_message(value, what, width, name_width):
    """The words for ``value``, a list NumPy finds ragged, whose rows are lists of one length holding an array among
    their numbers (``[[beta, C], ...]`` with C a 4x4 contact matrix), or one such row (``[beta, C]``): which item is
    an array, and the flattening into numbers that runs.  Such rows were called "rows of unequal length", which they
    are not (an epidemiologist's trial).  None for anything else (a ragged list of numbers, say)."""
    one_row = isinstance(value, (list, tuple)) and not all(isinstance(row, (list, tuple)) for row in value)
    rows = [value] if one_row else value
    table = _item_shapes(rows)
    if table is None or (one_row and () not in table):  # [array, array] is rows (of unequal length)
        return None
    arrays = [j for j, shape in enumerate(table) if shape != ()]
    items = (f"item {arrays[0]}" if len(arrays) == 1 else
             "items " + ", ".join(map(str, arrays[:3])) + (", ..." if len(arrays) > 3 else ""))
    named = (f"{items} {'of each row ' * (not one_row)}{'is' if len(arrays) == 1 else 'are'} "
             + ", ".join(_array_words(table[j]) for j in arrays[:3]) + (", ..." if len(arrays) > 3 else "")
             + (", not a number" if len(arrays) == 1 else ", not numbers"))
    count = sum(math.prod(shape) for shape in table)
    numbers = (f"the {width} numbers ({name_width})" if count == width else
               f"{count} numbers, and the system has {width} ({name_width})")
    xs = [f"x{j}" for j in range(min(len(table), _SHOWN))]
    more = ", ..." if len(table) > _SHOWN else ""
    row = ", ".join(f"np.ravel({x})" if j in arrays else f"[{x}]" for j, x in enumerate(xs))
    example = f"np.concatenate([{row}{more}]) for a row [{', '.join(xs)}{more}]"
    if one_row:
        return (f"{what} is one row of {len(table)} items, and {named}: flatten it into {numbers}, "
                f"np.concatenate([np.ravel(v) for v in {what}]) ({example}; np.ravel takes a matrix row by row)")
    return (f"{what} has rows of {len(table)} items each (not of unequal length), and {named}: "
            f"flatten each row into its numbers, np.array([np.concatenate([np.ravel(v) for v in row]) for row in "
            f"{what}]) ({example}; np.ravel takes a matrix row by row), giving {numbers} per row, in the order the rhs "
            "reads them")


def shared_and_columns_message(value, what, width, name_width):
    """The words for ``value``, a tuple or list mixing numbers and 1-D arrays of one length N (diffrax's ``args``
    habit, ``(g, friction)``: a value every trajectory shares beside a column of one value per trajectory), as N
    rows of one value per item, np.column_stack with each number repeated N times; None for anything else, and
    where the values add up to ``width`` (then they are one trajectory's row: :func:`array_items_message`).  Such
    a tuple was told to flatten into N + 1 numbers (a diffrax user's trial)."""
    if not isinstance(value, (tuple, list)) or len(value) < 2 or not all(map(_number_or_array, value)):
        return None
    shapes = _shapes_of(value)
    if shapes is None or any(len(shape) > 1 for shape in shapes) or () not in shapes:
        return None
    lengths = {shape[0] for shape in shapes if shape}
    if len(lengths) != 1 or sum(math.prod(shape) for shape in shapes) == width:
        return None
    n = lengths.pop()
    noun = _COLUMNS.get(what, ("column", "x"))[0]
    columns = ", ".join(_column_text(what, i, item, n) for i, item in enumerate(value[:_SHOWN]))
    more = ", ..." if len(value) > _SHOWN else ""
    count = "" if len(value) == width else f"; that is {len(value)} values per trajectory, and the system has {width}"
    return (f"{what} is a {type(value).__name__} of numbers and 1-D arrays of {n} values, one {noun} each (diffrax's "
            f"args habit): a batch is one row per trajectory, of shape (N, {width}) ({name_width}); for {n} "
            f"trajectories, each number shared by all, pass np.column_stack([{columns}{more}]), with the {noun}s in "
            f"the order the rhs reads them{count}")


def _column_text(what, i, item, n):
    """Item ``i`` of :func:`shared_and_columns_message`'s ``what`` as a column of ``n`` values: an array as itself,
    a number repeated (by its value where it is a Python number, else by its place)."""
    if np.ndim(item):
        return f"{what}[{i}]"
    shown = repr(item) if type(item) in (int, float) else f"{what}[{i}]"
    return f"np.full({n}, {shown})"


def _array_words(shape):
    """``(4, 4)`` as "a 4x4 array", ``(3,)`` as "an array of 3 values"."""
    return f"an array of {shape[0]} values" if len(shape) == 1 else f"a {'x'.join(map(str, shape))} array"


def _item_shapes(rows):
    """The shape of each item of ``rows`` (lists of one length whose items are numbers or arrays, at least one an
    array, each position of one shape in every row), or None where they are not that."""
    if not rows or not all(isinstance(row, (list, tuple)) for row in rows) or len({len(row) for row in rows}) != 1:
        return None
    if not all(_number_or_array(item) for row in rows for item in row):
        return None
    shapes = _shapes_of([item for row in rows for item in row])
    size = len(rows[0])
    if shapes is None or not size or all(shape == () for shape in shapes):
        return None
    table = shapes[:size]
    return table if all(shapes[r * size:(r + 1) * size] == table for r in range(len(rows))) else None


def _number_or_array(item):
    """Whether ``item`` may stand in a row that the messages name items of: a number, or anything with a shape or a
    length that is no text nor dict (an array, a list).  Not None: ``[[1., 2.], None]`` was described as one row of 2
    items whose None was counted as a number (a regression hunt); it is ragged, as it was told before."""
    if item is None or isinstance(item, TEXT + (Mapping,)):
        return False
    return isinstance(item, (numbers.Number, np.number, np.bool_)) or hasattr(item, "shape") or hasattr(item, "__len__")


def _shapes_of(values):
    """Each value's shape, or None where one has none (a ragged list)."""
    try:
        return [np.shape(value) for value in values]
    except ValueError:
        return None


def shapes_listed(items):
    """The shapes of ``items`` (``(text, value)`` pairs) joined, the first :data:`_SHOWN` of them."""
    shapes = ", ".join(str(np.shape(value)) for _, value in items[:_SHOWN])
    return shapes + (f", ... ({len(items)} in all)" if len(items) > _SHOWN else "")


def _dict_rows(rows, what, shown=8):
    """The words of a refused list of dicts, one per trajectory (values arrays: {"C": a matrix, "beta": ...}): flatten
    each into its row, with the keys seen (up to ``shown``) in the expression, to be put in the order the rhs reads
    their values (a list of dicts was refused as "not an array of real numbers", with no way out: a user's trial)."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    few = len(keys) <= shown
    order, which = (repr(keys), "the keys") if few else ("ORDER", "ORDER the keys")
    seen = "" if few else f" (keys seen: {', '.join(map(repr, keys[:shown]))}, ... {len(keys)} in all)"
    return (f"a {type(rows).__name__} of {len(rows)} dict{'s' * (len(rows) > 1)}, one per trajectory: flatten each "
            f"into its row, np.array([np.concatenate([np.ravel(d[k]) for k in {order}]) for d in {what}]), with "
            f"{which} in the order the rhs reads their values{seen} (np.ravel takes a matrix row by row)")


def _square_of_arrays(items, series=False):
    """True when ``items`` (a tuple or a list) holds an array (a NumPy array, or any object with a shape or
    ``__array__``, such as a JAX array; with ``series``, a pandas Series), and every item is 1-D with as many values
    as there are items; never for a DataFrame's rows (:func:`pandas_rows`)."""
    arrays = [not isinstance(item, (list, tuple) + TEXT) and (hasattr(item, "shape") or hasattr(item, "__array__"))
              and (not series or is_pandas(item)) for item in items]
    try:
        return any(arrays) and all(np.shape(item) == (len(items),) for item in items) and not pandas_rows(items)
    except ValueError:  # a ragged item
        return False


def is_pandas(item, kind="Series"):
    """Whether ``item`` is a pandas ``kind`` ("Series" or "DataFrame"; pandas is not imported for it)."""
    return type(item).__name__ == kind and type(item).__module__.startswith("pandas")


def pandas_rows(items):
    """True when every item is a DataFrame's row, ``df.iloc[i]``: pandas Series over one index of column names
    (strings), each named by its integer row label ([df.iloc[0], df.iloc[1]] was refused as ambiguous; a regression
    hunt).  A column, ``df["k"]``, is the reverse (named by a column over the row labels); where labels and names
    are both strings or both integers (a DataFrame of a NumPy array), rows and columns look alike: not rows."""
    if not all(is_pandas(item) for item in items):
        return False
    index = list(items[0].index)
    return (all(isinstance(label, str) for label in index) and all(list(item.index) == index for item in items)
            and all(isinstance(item.name, (int, np.integer)) and not isinstance(item.name, bool) for item in items))


def sweep_hint(shape, what, width, n_traj=None, sequence=False, values=None):
    """What a wrongly shaped batch input most likely meant: a 1-D sweep of a single value (of one column among
    several: :func:`_one_row_hint`), a column for a row,
    SciPy's column orientation (only where the columns match the trajectories ``n_traj`` set elsewhere), or rows of
    the wrong width (``sequence``: the input was a list or tuple, which has no ``.T``).  ``values``: the input as a
    2-D array, whose shared columns put a missing column before the orientation (:func:`_missing_column_first`)."""
    if width == 0 and what == "params":
        return ": the system has no parameters (n_params=0), so leave params out (or give n_params to ODESystem)"
    if len(shape) == 1 and width == 1 and shape[0] > 1:
        return (f": for a sweep of {shape[0]} values give shape ({shape[0]}, 1), e.g. {what}[:, None] (a 1-D "
                f"{what} is the one row every trajectory shares)")
    if len(shape) == 1 and width > 1 and shape[0] not in (0, width, width + 1) and not sequence:
        if n_traj is not None and shape[0] != n_traj:  # not a value per trajectory: the row itself is short or long
            return _row_length_hint(shape[0], what, width)
        return _one_row_hint(shape[0], what, width)
    if len(shape) == 2 and shape == (width, 1) and width > 1:
        letter = _COLUMNS.get(what, ("column", "x"))[1]
        names = (", ".join(f"{letter}[{i}]" for i in range(width)) if width <= 3 else
                 f"{letter}[0], ..., {letter}[{width - 1}]")
        return (f": either a column holding the row of {width} values every trajectory shares, which has shape "
                f"({width},), {what}.ravel(); or {width} trajectories, one per row, where each row needs {width} "
                f"values ({names}), not 1 (a column is missing)")
    if len(shape) == 2 and width == 1 and shape[0] == 1 and shape[1] > 1 and n_traj in (None, shape[1]):
        return _one_value_row_hint(shape[1], what, sequence)
    if len(shape) == 2 and shape[0] == width and shape[1] != width and n_traj in (None, shape[1]):
        if n_traj is None and _missing_column_first(values):
            return _missing_column_hint(shape, what, width, sequence)
        rows = (f"; or, as {shape[0]} trajectories, each row needs {width} values, not {shape[1]}"
                if n_traj is None else "")
        return (f": that is {shape[1]} trajectories in columns, SciPy's orientation; here each trajectory is a row, "
                + (f"np.column_stack({what}) (or np.array({what}).T)" if sequence else f"{what}.T") + rows)
    if len(shape) == 2 and shape[1] != width:
        return (f": {_counted(shape[0], 'trajectory')} of {shape[1]} value{'s' * (shape[1] != 1)} each, where the "
                f"system has "
                f"{width} (each row holds one trajectory's {width} value{'s' * (width != 1)})")
    return ""


def _one_value_row_hint(count, what, sequence):
    """:func:`sweep_hint`'s words for ``count`` values of a system's one column given as a row, shape (1, count):
    a sweep of its one parameter (or state) laid out across, to be passed as a column.  Such a (1, 3) params of a
    one-parameter system was told "most likely 1 trajectories ... 2 columns are too many (an ID or a label?)
    ... p[0], ..., p[0]" (a PDE user's trial)."""
    noun = _COLUMNS.get(what, ("column", "x"))[0]
    column = (f"np.reshape({what}, (-1, 1))" if sequence else f"{what}.T or {what}.reshape(-1, 1)")
    return (f": that looks like {count} values of the system's one {noun} given as a row; pass them as a column, "
            f"shape ({count}, 1), one row per trajectory: {column}")


def _one_row_hint(length, what, width):
    """How a 1-D ``what`` of ``length`` values, not the ``width`` of the one row every trajectory shares, becomes the
    full table: a sweep of one column (a value per trajectory) goes into a tiled base row, and a multiple of
    ``width`` may be rows laid end to end.  A Kuramoto sweep of K alone, params of shape (8,) for 9 parameters, was
    told only the shapes it must have (a power-systems user's trial).  Not for a list or tuple (a row typed with a
    value missing, which the system's parameter names tell better) nor for one value too many (a row with an ID or a
    label, which a Series' note tells): :func:`sweep_hint` leaves those out."""
    noun, letter = _COLUMNS.get(what, ("column", "x"))
    rows = f"; or, {_end_to_end(length, what, width)}" if length % width == 0 else ""
    return (f": a 1-D {what} is the one row every trajectory shares, so it needs all {width} {noun}s; for a sweep "
            f"of one {noun} over {length} trajectories (a value each), build the full table of {length} rows of "
            f"{width}: P = np.tile({letter}_base, ({length}, 1)); P[:, j] = values ({letter}_base: one row's {width} "
            f"values, j: the swept {noun}'s column), or np.column_stack of the {width} columns in the order the rhs "
            f"reads them, a constant one as np.full({length}, value){rows}")


def _row_length_hint(length, what, width):
    """:func:`sweep_hint`'s words for a 1-D ``what`` of ``length`` values that is neither the shared row of ``width``
    nor a value per trajectory (the trajectories are counted elsewhere): a row with entries left out (or rows laid
    end to end).  A dark-cloud network's y0 without its electrons, 15 of 16, was told to tile a sweep of one state
    over 15 trajectories, of which there were 16 (an astrochemist's trial)."""
    noun = _COLUMNS.get(what, ("column", "x"))[0]
    if length % width == 0:
        return f": {_end_to_end(length, what, width)}"
    gap = width - length
    return (f": a 1-D {what} is the one row every trajectory shares, so it needs all {width} {noun}s in the order "
            f"the rhs reads them; this one has {length}, "
            + (f"{gap} short ({noun}s left out?)" if gap > 0 else f"{-gap} too many"))


def _end_to_end(length, what, width):
    """The reshape of a 1-D ``what`` of ``length`` values, a multiple of ``width``, read as rows laid end to end."""
    return f"if it holds {length // width} rows of {width} end to end, np.reshape({what}, ({length // width}, {width}))"


def _missing_column_first(values):
    """Whether a 2-D ``values`` of as many rows as the system has columns, and another count of columns, reads as
    rows of trajectories with a column missing (or one too many) rather than SciPy's orientation: more of its
    columns than rows hold one value repeated (parameters the trajectories share), and not every row does.  Such a
    (5, 4) params, the forcing column forgotten, was told params.T first, which ran 4 trajectories of nonsense
    parameters with success (a mechanical engineer's trial)."""
    if values is None or np.ndim(values) != 2 or not np.size(values):
        return False
    rows, columns = constant_lines(values)
    return columns > rows and rows < np.shape(values)[0]


def _missing_column_hint(shape, what, width, sequence):
    """:func:`sweep_hint`'s words for rows of trajectories of ``shape[1]`` values where the system has ``width``
    (:func:`_missing_column_first`): a column missing (or too many) first, SciPy's orientation second."""
    noun, letter = _COLUMNS.get(what, ("column", "x"))
    gap = width - shape[1]
    wrong = (f"{gap} column{'s are' if gap > 1 else ' is'} missing" if gap > 0 else
             f"{-gap} column{'s are' if gap < -1 else ' is'} too many (an ID or a label?)")
    transpose = f"np.column_stack({what}) (or np.array({what}).T)" if sequence else f"{what}.T"
    return (f": that is most likely {_counted(shape[0], 'trajectory')}, one per row, where {wrong}: each row needs the "
            f"system's {width} {noun}{'s' * (width != 1)} in the order the rhs reads {rhs_reads(letter, width)}, not "
            f"{shape[1]} (columns holding one value repeated are {noun}s the trajectories share); or, if its "
            f"{shape[1]} columns are trajectories (SciPy's orientation), {transpose}")

"""A solve's ``y0`` given with names, read by the state names of a system that knows them.

A system built by :func:`kernels.symbolic_system` records its states (``system.symbols[0]``, in the order the rhs
reads ``y[0], y[1], ...``); a system with a ``state_names`` attribute records them so too.  For it, ``y0`` given as a
pandas DataFrame whose column labels are strings is read by column name (:func:`states_by_name`), as params are by
the parameter names (:mod:`kernels.named_params`): a toggle switch's ``pd.DataFrame({"v": ..., "u": ...})`` for
states [u, v] was read by position, and the row that starts with v high ended in the other basin, success and no
word (a systems biologist's trial).  A Series (one row, ``df.iloc[i]``) and a list of a DataFrame's rows are read by
their index labels the same way.  A state without its column, or a column that names neither a state nor a
parameter (a misspelt state: ``"U"`` for ``"u"``), is refused with the names expected; the system's parameter
columns are left out in silence, so one table may serve as both ``y0`` and ``params``.

Where the system has no state names (an :class:`~kernels.ODESystem` of Python functions), a DataFrame or a Series
of string labels as many as the states is refused (:func:`refuse_read_by_position`): its columns would be read by
position, which the names suggest they are not.  A list of a DataFrame's rows stays read by position (the README
documents it for ``y0`` as for ``params``); integer labels (a DataFrame of a NumPy array) are positions, and one
state cannot be out of order.
"""

from __future__ import annotations

from .batch_layout import is_pandas, pandas_rows
from .errors import ConfigurationError
from .named_params import _all_text, _labels, _listed, case_renames, label_head, param_names

__all__ = ["state_names", "state_label", "states_by_name", "refuse_read_by_position"]


def state_names(system):
    """``system``'s state names in the order the rhs reads them (``state_names``, else a symbolic system's state
    symbols), or None where it has none or they could not tell columns apart (a count unlike n_states, a name
    twice: SymPy's ``k`` and ``k`` positive are two symbols of one name)."""
    names = getattr(system, "state_names", None)
    if names is None:
        symbols = getattr(system, "symbols", None)
        names = symbols[0] if isinstance(symbols, tuple) and symbols else None
    if names is None:
        return None
    names = tuple(str(name) for name in names)
    return names if len(names) == system.n_states == len(set(names)) and _all_text(names) else None


def state_label(system, i, names=None):
    """State ``i`` as a message names it: ``"prey (y[0])"`` where the system has state names (``names``, already
    read by :func:`state_names`, may be passed), else ``"y[0]"``."""
    names = state_names(system) if names is None else names
    return f"{names[i]} (y[{i}])" if names else f"y[{i}]"


def states_by_name(system, y0):
    """``y0`` with a DataFrame's columns (a Series' entries, each of a list of a DataFrame's rows) taken by the
    system's state names in its order; ``y0`` itself where the labels are not all strings, or the system has no
    names (then refused where a DataFrame or Series would be misread: :func:`refuse_read_by_position`)."""
    names = state_names(system)
    if names is None:
        refuse_read_by_position(system, y0)
        return y0
    if isinstance(y0, list) and y0 and pandas_rows(y0):
        return [_take(system, names, row) for row in y0]  # [df.iloc[0], df.iloc[1]]: rows
    if (is_pandas(y0, "DataFrame") or is_pandas(y0)) and _all_text(_labels(y0)):
        return _take(system, names, y0)
    return y0


def refuse_read_by_position(system, y0):
    """ConfigurationError where ``y0`` is a DataFrame (a Series) labelled with strings, as many as the states of a
    system without state names: its columns would be read by position, as y[0], y[1], ..., whatever their names say
    (a toggle switch's v-first table put v's start in u, success and the wrong basin); with another count the shape
    check refuses it anyway, and one state cannot be out of order."""
    frame = is_pandas(y0, "DataFrame")
    if system.n_states < 2 or not (frame or is_pandas(y0)):
        return
    labels = _labels(y0)
    if not _all_text(labels) or len(labels) != system.n_states:
        return
    what = "a DataFrame whose columns" if frame else "a pandas Series whose index labels"
    raise ConfigurationError(
        f"y0 is {what} {_listed(labels)} would be read by position, as y[0], y[1], ... in the order of system "
        f"{system.name!r}'s states, since it has no state names: pass y0[[...]].to_numpy() with the labels in the "
        "order the rhs reads its states, or build the system with kernels.symbolic_system, which reads them by name")


def _take(system, names, value):
    """``value``'s columns (a Series: its entries) named ``names``, in that order; refused where a state is missing
    or given twice (other labels, an ID or a parameter, are left out)."""
    labels = _labels(value)
    missing = [name for name in names if name not in labels]
    twice = [name for name in names if labels.count(name) > 1]
    others = [label for label in labels if label not in names and label not in (param_names(system) or ())]
    if missing or twice:  # other columns (an ID, a time, a dose) are left out, as params' are (a regression hunt)
        raise ConfigurationError(_label_message(system, names, value, labels, missing, twice, others))
    return value[list(names)]


def _label_message(system, names, value, labels, missing, twice, others):
    """Why ``value``'s labels do not name each state once, and what to pass instead."""
    frame = is_pandas(value, "DataFrame")
    head, noun, axis, twice_text = label_head(system, names, value, "y0", "state", "y")
    if twice:
        return twice_text(twice)
    rename = case_renames(missing, others)
    shape = f"(N, {len(names)})" if frame else f"({len(names)},)"
    positional = f"or pass a NumPy array of shape {shape} with the states in that order, which is read by position"
    if rename:
        fix = f"rename {'them' if len(rename) > 1 else 'it'}, y0.rename({axis}={rename!r}), {positional}"
    else:
        fix = f"give each state {'a' if frame else 'an'} {noun} (y0.rename({axis}={{...}})), {positional}"
    lacks = f"it has no {noun}{'s' * (len(missing) > 1)} {_listed(missing)}, and "
    besides = (f"{noun}{'s' * (len(others) > 1)} {_listed(others)} that name{'s' * (len(others) == 1)} no state"
               if others else f"no {noun}s besides {_listed([label for label in labels if label in names]) or 'none'}")
    return f"{head}; {lacks}{besides}: {fix}"

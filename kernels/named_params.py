"""A solve's ``params`` given with names, read by the names of a system that knows them.

A system built by :func:`kernels.symbolic_system`, or an :class:`~kernels.ODESystem` given ``param_names=``
(:func:`check_param_names`), records its parameters' names (``param_names``, in the order the rhs reads ``p[0],
p[1], ...``).  For it, ``params`` given as a pandas DataFrame whose column labels are strings is read by column name
(:func:`by_name`): a NONMEM table's columns in their own order (CL, V, ka) were read by position for params [ka, CL,
V], a wrong result without a word (a pharmacometrician's trial; an ODESystem of Python functions had no way to give
names).  Columns beside the parameters (ID, TIME, DV) are left out in silence: the names say which columns the rhs
reads, so nothing is misread, and a study's table holds such columns as a rule (a warning at every solve would teach
users to silence warnings).  A parameter without its column is refused, naming the missing and the other columns.  A
pandas Series (one patient's row, ``df.iloc[i]``) and a list of such rows are read by their index labels the same way;
a dict of columns stays refused, its message stacking the columns in the system's order.

Where the system has no names (an :class:`~kernels.ODESystem` of Python functions without ``param_names``), or the
labels are not all strings (a DataFrame of a NumPy array), columns are read by position as before, with a
:class:`kernels.ParamNamesWarning` where string labels as many as the parameters are read so
(:func:`warn_read_by_position`: alphabetical columns gave an SEIR model's beta a contact rate, an epidemiologist's
trial); where their count is wrong, :func:`positional_note` adds to :func:`kernels.validation.check_batch`'s refusal
that they are read by position, listing them, and that ``ODESystem(..., param_names=[...])`` has them read by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from .batch_layout import flattened_keys, is_pandas, needs_flattening, pandas_rows
from .errors import ConfigurationError, ParamNamesWarning, describe, warn_user

__all__ = ["check_param_names", "param_names", "entry_label", "by_name", "warn_read_by_position", "positional_note",
           "label_head", "case_renames"]

_SHOWN = 8  # labels a message lists before "..."


def check_param_names(value, n_params):
    """``value`` (:class:`~kernels.ODESystem`'s ``param_names``) as a tuple of ``n_params`` distinct, non-empty
    strings, or None where it is None; a ConfigurationError naming ``param_names`` otherwise.  The names are not
    required to be identifiers: they are a DataFrame's column labels (``"CL/F"``, ``"Vd (L)"``)."""
    if value is None:
        return None
    order = "in the order the rhs reads p[0], p[1], ..."
    try:
        names = None if isinstance(value, (str, bytes, Mapping, set, frozenset)) else tuple(value)
    except TypeError:
        names = None
    if names is None:
        split = tuple(value.replace(",", " ").split()) or (value,) if isinstance(value, str) else ()
        hint = (f" (param_names={split!r}, not one string)" if split else
                ", as a list: a set has no order" if isinstance(value, (set, frozenset)) else "")
        raise ConfigurationError(f"param_names must be a list or tuple of {n_params} strings, {order}; got "
                                 f"{describe(value)}: pass one name per parameter{hint}")
    if len(names) != n_params:
        count = f"param_names: {len(names)} name{'s' * (len(names) != 1)} for n_params = {n_params}"
        if n_params == 0:
            raise ConfigurationError(f"{count} (its default): pass n_params={len(names)} with them if the rhs reads "
                                     f"{len(names)} parameters, or leave param_names out")
        raise ConfigurationError(f"{count}; give one name for each of the {n_params} parameters, {order}")
    bad = [f"{describe(name)} at position {i}" for i, name in enumerate(names)
           if not isinstance(name, str) or not name.strip()]
    if bad:
        raise ConfigurationError(f"param_names must be non-empty strings (a DataFrame's column labels); got "
                                 f"{', '.join(bad[:_SHOWN])}: give each parameter a name, {order}")
    twice = list(dict.fromkeys(name for name in names if names.count(name) > 1))
    if twice:
        raise ConfigurationError(f"param_names has {_listed(twice)} more than once: give each of the {n_params} "
                                 f"parameters its own name, as a DataFrame's columns are read by these names")
    return tuple(str(name) for name in names)


def param_names(system):
    """``system``'s parameter names in the order the rhs reads them, or None where it has none, or where they could
    not tell columns apart (not strings, a count unlike n_params, a name twice)."""
    names = getattr(system, "param_names", None)
    if not system.n_params or names is None:
        return None
    names = tuple(names)
    usable = len(names) == system.n_params == len(set(names)) and _all_text(names)
    return names if usable else None


def entry_label(which, row, j, names=None):
    """Entry ``j`` of a batch's ``row`` of ``which`` (``"params"`` or ``"y0"``) as a message names it:
    ``"params[3, 2] (beta)"`` where ``names`` (the parameter or state names) are known, else ``"params[3, 2]"``."""
    return f"{which}[{row}, {int(j)}]" + (f" ({names[int(j)]})" if names else "")


def by_name(system, value):
    """``value`` (a solve's params) with a DataFrame's columns, or a Series' entries, taken by the system's parameter
    names in its order; ``value`` itself where the system has no names or the labels are not all strings.  A dict of
    named columns is refused with the stacking in the system's order (its own order was the advice: a misreading)."""
    names = param_names(system)
    if names is None:
        return value
    if isinstance(value, Mapping) and _all_text(list(value)):
        raise ConfigurationError(_dict_message(system, names, value))
    if isinstance(value, list) and value and (pandas_rows(value) or _named_rows(value, names)):
        return [_take(system, names, row) for row in value]  # [df.iloc[0], df.iloc[1]], df.loc["P01"]: rows
    if (is_pandas(value, "DataFrame") or is_pandas(value)) and _all_text(_labels(value)):
        return _take(system, names, value)
    return value


def warn_read_by_position(system, value, warned):
    """:class:`kernels.ParamNamesWarning` where a DataFrame (a Series, a list of Series) of params, named with
    strings and as many as the system's parameters, is read by position because the system has no names: a table
    in alphabetical order gave an SEIR model's beta the contact matrix's first entry, success and wrong results
    without a word (an epidemiologist's trial, after a pharmacometrician's).  Passing ``.to_numpy()`` in the rhs's
    order, or the names, silences it; ``warned``, a set the caller owns (an Integrator's), holds the labels already
    warned of, so that a solve in a loop warns once (each solve's own checks reset Python's once-per-line record).
    A single parameter cannot be out of order: no warning."""
    if system.n_params < 2 or param_names(system) is not None:
        return
    if isinstance(value, list) and value and pandas_rows(value):
        value = value[0]
    if not (is_pandas(value, "DataFrame") or is_pandas(value)):
        return
    labels = _labels(value)
    if not _all_text(labels) or len(labels) != system.n_params or tuple(labels) in warned:
        return
    warned.add(tuple(labels))
    what = "the DataFrame's columns" if is_pandas(value, "DataFrame") else "the Series' entries"
    warn_user(f"params: {what} {_listed(labels)} are read by position, as p[0], p[1], ... (system {system.name!r} "
              "has no parameter names): where they are not in the order the rhs reads them the results are wrong "
              "without an error. Build the system with kernels.ODESystem(..., param_names=[...]) to have them "
              "read by name, or pass params[[...]].to_numpy() in the rhs's order", ParamNamesWarning)


@contextmanager
def positional_note(system, value):
    """Add to a ConfigurationError raised inside (check_batch refusing ``value``, a solve's params) that a
    DataFrame's columns (a Series' entries) are read by position, listing them, where they are named with strings
    and as many as the parameters they are not: the user named them and may think the names are read; for other
    values, the system's parameter names in order where it has them (:func:`param_names`)."""
    try:
        yield
    except ConfigurationError as err:
        note = _position_note(system, value)
        if note and err.args:
            err.args = (f"{err.args[0]}{note}",) + err.args[1:]
        raise


def _position_note(system, value):
    """The note of :func:`positional_note`, or "" where it does not apply."""
    frame = is_pandas(value, "DataFrame")
    if not (frame or is_pandas(value)) or not system.n_params:
        names = param_names(system)  # a symbolic system's: which value goes where (a chemist's trial read "(N, 5)")
        return f"; the system's params are, in order, [{', '.join(names)}]" if names else ""
    labels = _labels(value)
    if not _all_text(labels) or len(labels) == system.n_params:
        return ""
    what = "the DataFrame's columns" if frame else "the Series' entries"
    return (f"; {what} are read by position, as p[0], p[1], ... (system {system.name!r} has no parameter names), "
            f"and it has {len(labels)}: {_listed(labels)}: pass the {system.n_params} the rhs reads, in its order, "
            f"as params[[...]], or build the system with kernels.ODESystem(..., param_names=[...]) to have {what} "
            "read by name")


def _take(system, names, value):
    """``value``'s columns (a Series: its entries) named ``names``, in that order; refused where one is missing or
    appears more than once."""
    labels = _labels(value)
    missing = [name for name in names if name not in labels]
    twice = [name for name in names if labels.count(name) > 1]
    if missing or twice:
        raise ConfigurationError(_label_message(system, names, value, labels, missing, twice))
    return value[list(names)]


def label_head(system, names, value, argument, kind, slot):
    """``(head, noun, axis, twice_text)`` of a refusal of ``value``'s labels (``argument`` a DataFrame or Series read
    by the system's ``kind`` names ``names`` into ``slot[0], slot[1], ...``): the one wording of params' and y0's
    (:mod:`kernels.named_states`); ``twice_text(twice)`` the sentence for labels given more than once."""
    frame = is_pandas(value, "DataFrame")
    what, noun, axis = ("a DataFrame", "column", "columns") if frame else ("a pandas Series", "index label", "index")
    head = (f"{argument} is {what} whose {noun}s system {system.name!r} reads by its {kind} names, {_listed(names)} "
            f"(in the order of {slot}[0], {slot}[1], ...)")

    def twice_text(twice):
        return f"{head}; it has the {noun}{'s' * (len(twice) > 1)} {_listed(twice)} more than once: keep one of each"

    return head, noun, axis, twice_text


def case_renames(missing, others):
    """``{label: name}`` for each label of ``others`` that is a ``missing`` name in another case."""
    return {other: name for name in missing for other in others if other.lower() == name.lower()}


def _label_message(system, names, value, labels, missing, twice):
    """Why ``value``'s labels do not name each parameter once, and what to pass instead."""
    frame = is_pandas(value, "DataFrame")
    head, noun, axis, twice_text = label_head(system, names, value, "params", "parameter", "p")
    if twice:
        return twice_text(twice)
    others = [label for label in labels if label not in names]
    rename = case_renames(missing, others)
    fix = (f"rename {'them' if len(rename) > 1 else 'it'}, params.rename({axis}={rename!r})" if rename else
           f"give each parameter {'a' if frame else 'an'} {noun} (params.rename({axis}={{...}}))")
    shape = f"(N, {len(names)})" if frame else f"({len(names)},)"
    named = [label for label in labels if label in names]
    besides = (f"and its other {noun}s are {_listed(others)}" if others else
               f"and no {noun}s besides {_listed(named)}" if named else f"and no {noun}s")
    return (f"{head}; it has no {noun}{'s' * (len(missing) > 1)} {_listed(missing)}, {besides}: {fix}, or pass a NumPy array of shape {shape} with the "
            f"parameters in that order, which is read by position")


def _dict_message(system, names, value):
    """The refusal of a dict of named columns, stacked in the system's order (its missing keys named); where its
    values are not one number per trajectory each (:func:`~kernels.batch_layout.needs_flattening`), each flattened
    per trajectory and stacked, in the system's order, or the dict's where its keys are not the names."""
    keys = list(value)
    stacked = ", ".join(f"params[{name!r}]" for name in names)
    missing = [name for name in names if name not in keys]
    lacks = (f" without {_listed(missing)} (its other keys: {_listed([k for k in keys if k not in names]) or 'none'})"
             if missing else "")
    head = (f"params must be one row per trajectory, of shape (N, {len(names)}) (n_params), in the order system "
            f"{system.name!r} reads its parameters, {_listed(names)}; got a dict{lacks}")
    items = [(f"params[{key!r}]", value[key]) for key in (keys if missing else names)]
    if needs_flattening(item for _, item in items):
        return f"{head}, {flattened_keys(items, system.n_params)}"
    return (f"{head}: {'add them, then ' if missing else ''}pass np.column_stack([{stacked}]), or "
            "pd.DataFrame(params), whose columns a solve reads by name")


def _named_rows(items, names):
    """True when ``items`` are a DataFrame's rows by any row label (``df.loc["P01"]``, ``iterrows()``'s rows: a
    patient-ID index read by position was 1e8 tolerances off; a regression hunt): pandas Series over string labels,
    not all named by a parameter (``[df["ka"], df["CL"]]`` are columns)."""
    return (all(is_pandas(item) and _all_text(list(item.index)) for item in items)
            and not all(item.name in names for item in items))


def _labels(value):
    """A DataFrame's column labels, a Series' index labels, as a list."""
    return list(value.columns if is_pandas(value, "DataFrame") else value.index)


def _all_text(labels):
    """True when there are labels and every one is a string (a name, not a position)."""
    return len(labels) > 0 and all(isinstance(label, str) for label in labels)


def _listed(labels):
    """``labels`` quoted and joined, the first :data:`_SHOWN` of them."""
    shown = ", ".join(repr(str(label)) for label in labels[:_SHOWN])
    return shown + (f", ... ({len(labels)} in all)" if len(labels) > _SHOWN else "")

"""Fit the cost model's register constants to a placement sweep's records (``planner calibrate``).

A sweep (benchmarks/placement_sweep.py) writes one JSON record per configuration
with the plan's totals and the compiled kernel's registers and local bytes.
Records whose kernel kept everything in registers (no local memory, under the
register limit) fit ``registers = base[family] + rate[precision] * words`` by
least squares, where ``words`` are the plan's local and persistent-local
32-bit words (the records carry totals, not lifetimes, so the live footprint
the model uses is bounded by them from above) and the family is the step
component named in the plan's buffers (``loop.erk.*``). The access costs need
each buffer's access weight, which sweep records do not carry: they are kept.
The report says which register bases were fitted and which kept from the preset
(a family without records), and notes a sweep run on another card than the
preset fitted (its ``run`` record's device name), which is allowed: cards of
one architecture, such as the H100 and H200, compile alike.
"""

import dataclasses
import json
import math
from fractions import Fraction

from .device import LOCAL_BYTES_PER_THREAD_LIMIT, get_device
from .errors import ConfigurationError

_ITEMSIZE = {"float16": 2, "float32": 4, "float64": 8}
_FIX = "fix or drop the record (benchmarks/placement_sweep.py writes them)"
_SWEEP_MORE = ("run a placement sweep over several sizes of each method and precision (python -m "
               "benchmarks.placement_sweep --sizes 3,16,64,128)")


@dataclasses.dataclass(frozen=True)
class Sample:
    family: str
    precision: str
    words: float
    registers: int


@dataclasses.dataclass(frozen=True)
class Calibration:
    """The fitted device model, the samples used, and the error before and after (registers)."""

    device: object
    samples: tuple
    skipped: int
    error_before: tuple
    error_after: tuple
    sweep_device: str = ""  # the card the sweep ran on, from its run record ("" where none names one)
    sweep_capability: tuple = ()  # its compute capability, (major, minor), where the run record gives it

    def report(self):
        d = self.device
        return "\n".join([
            f"calibrated {d.name} from {len(self.samples)} records kept in registers ({self.skipped} others skipped: "
            "not ok, with local memory, at the register limit, or no plan totals)",
            *self._device_note(),
            f"register bases: {self._bases()}; {self._rates()}",
            "registers predicted vs compiled: mean |error| {:.1f} ({:.1f} %), worst {:.0f} before; "
            "{:.1f} ({:.1f} %), worst {:.0f} after".format(*self.error_before, *self.error_after),
            "access costs (shared, spill), saturation occupancy, the L2 term and the local-traffic bound "
            "(local_byte_cost, traffic_occupancy) kept: the records carry no access weights"])

    def _bases(self):
        """Each family's register base, marked kept where no record of that family was fitted (the preset's)."""
        fitted = {s.family for s in self.samples}
        return ", ".join(f"{k} {v}{_kept(k in fitted)}" for k, v in self.device.register_bases)

    def _rates(self):
        """The registers per word per precision class, marked kept where the sweep had no record of that class."""
        wide = {s.precision == "float64" for s in self.samples}  # True: a float64 record, False: a float32 one
        d = self.device
        return (f"rate float32 {d.registers_per_word:.3f}{_kept(False in wide)}, "
                f"float64 {d.registers_per_word_64:.3f}{_kept(True in wide)} registers/word")

    def _device_note(self):
        """A note where the sweep ran on another card than the preset fitted: allowed (cards of one architecture
        compile alike, as the H100 and H200 do), but the model written is named for the preset, so say so."""
        if not self.sweep_device or same_card(self.sweep_device, self.device.name):
            return []
        ours = ".".join(map(str, self.device.compute_capability))
        if not self.sweep_capability:
            alike = f"register counts carry over only from a card of compute capability {ours}"
        elif tuple(self.sweep_capability) == tuple(self.device.compute_capability):
            alike = f"both compute capability {ours}, which ptxas compiles alike"
        else:
            theirs = ".".join(map(str, self.sweep_capability))
            alike = f"compute capability {theirs} against {ours}: the register counts may not carry over"
        return [f"note: the sweep ran on {self.sweep_device}, fitted here as --device {self.device.name} ({alike})"]


def _kept(fitted):
    """What the report adds to a constant the sweep had no records to fit (the preset's value, kept)."""
    return "" if fitted else " (kept: no records)"


def same_card(sweep_device, preset_name):
    """Whether a sweep's device name (``NVIDIA H100 80GB HBM3``) names the preset (``h100``), letters and digits
    compared without case or punctuation."""
    def squeeze(text):
        return "".join(c for c in text.lower() if c.isalnum())
    return squeeze(preset_name) in squeeze(sweep_device)


def _document_hint(path):
    """Where the whole file at ``path`` is one JSON document (a planning problem, a plan: indented, so its first line
    alone is not JSON), what calibrate reads instead; else ''.  ``planner calibrate prob.json`` said only "prob.json:1:
    not JSON" (an integrator developer's trial)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            json.load(handle)
    except (OSError, ValueError):
        return ""
    return ("; the file is one JSON document (a problem or a plan?): calibrate reads a placement sweep's JSONL, one "
            "record per line (python -m benchmarks.placement_sweep writes it)")


def read_samples(path, device):
    """Samples from a sweep's JSONL records, the count of records skipped and the device its run record
    gives (name and compute capability: ``("", ())`` if none); ConfigurationError if there is no sample,
    or naming FILE:LINE and the field of a configuration record whose fields are not a sweep's."""
    samples, skipped, card = [], 0, ("", ())
    try:
        handle = open(path, encoding="utf-8-sig")  # a byte-order mark is allowed, as in JSON and CSV inputs
    except OSError as exc:
        raise ConfigurationError(f"sweep {path!r}: cannot read it ({exc.strerror or exc})") from None
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigurationError(f"sweep {path}:{number}: not JSON ({exc.msg}){_document_hint(path)}"
                                             ) from None
                if isinstance(record, dict) and record.get("record") == "run":
                    card = card if card[0] else _card(record)
                if not isinstance(record, dict) or record.get("record") != "config":
                    continue
                sample = _sample(record, device, f"{path}:{number}")
                if sample is None:
                    skipped += 1
                else:
                    samples.append(sample)
        except UnicodeDecodeError as exc:
            raise ConfigurationError(f"sweep {path}: not UTF-8 text ({exc.reason} at byte {exc.start}); give a "
                                     "placement sweep's JSONL") from None
    if not samples:
        raise ConfigurationError(f"sweep {path}: no configuration record with a kernel kept in registers "
                                 "(status ok, 0 local bytes, plan totals); give a placement sweep's JSONL")
    return samples, skipped, card


def _card(run):
    """The device name and compute capability of a sweep's run record (``device.name``, ``compute_capability``);
    ``("", ())`` where it names none."""
    device = run.get("device") if isinstance(run.get("device"), dict) else {}
    name, capability = device.get("name"), device.get("compute_capability")
    if not isinstance(name, str):
        return "", ()
    valid = isinstance(capability, list) and len(capability) == 2 and all(isinstance(v, int) for v in capability)
    return name, tuple(capability) if valid else ()


def _sample(record, device, where):
    """The Sample of one configuration record, or None where the fit does not use it (not ok, with local memory,
    at the register limit, or a plan without its totals ``local_elements`` and ``persistent_local_elements``).

    Every field it reads is checked first, a ConfigurationError naming ``where`` (FILE:LINE) and the field:
    a zero, a string or a float where a count belongs gave a ZeroDivisionError, a TypeError or a fit of nonsense.
    """
    if record.get("status") != "ok":
        return None
    kernel = _section(record, "kernel", where)
    registers = _count(kernel, "kernel.registers_per_thread", where, 1)
    local = _count(kernel, "kernel.local_bytes_per_thread", where, 0)
    precision = record.get("precision")
    if not isinstance(precision, str) or precision not in _ITEMSIZE:
        raise ConfigurationError(f"sweep {where}: precision: expected one of {', '.join(_ITEMSIZE)}, got "
                                 f"{precision!r}; {_FIX}")
    plan = _section(record, "plan", where) if "plan" in record else {}
    most = LOCAL_BYTES_PER_THREAD_LIMIT // _ITEMSIZE[precision]
    why = f" (CUDA's 512 KiB of local memory a thread, at {_ITEMSIZE[precision]} B an element)"
    totals = [_count(plan, f"plan.{k}", where, 0, (most, why)) for k in ("local_elements", "persistent_local_elements")
              if k in plan]
    family = _family(plan, where)
    if len(totals) < 2 or local != 0 or registers >= device.max_registers_per_thread:
        return None  # without both plan totals (they were read as 0), with local memory, at the register limit
    elems = sum(totals)
    return Sample(family, precision, elems * _ITEMSIZE[precision] / 4, registers)


def _section(record, key, where):
    """The object ``record[key]`` (``plan``, ``kernel``) of a record with status ok, else ConfigurationError."""
    value = record.get(key)
    if not isinstance(value, dict):
        raise ConfigurationError(f"sweep {where}: {key}: expected an object, as a record with status ok has, got "
                                 f"{json.dumps(value)[:60]}; {_FIX}")
    return value


def _count(section, field, where, least, most=None):
    """The integer ``section[field]`` (``field``: its dotted name), from ``least`` (to ``most``: (bound, why)),
    else ConfigurationError naming FILE:LINE and the field (booleans, floats and strings are refused)."""
    value = section.get(field.split(".")[-1])
    top, why = most or (None, "")
    if isinstance(value, int) and not isinstance(value, bool) and value >= least and (top is None or value <= top):
        return value
    bound = f">= {least}" if top is None else f"from {least} to {top}"
    raise ConfigurationError(f"sweep {where}: {field}: expected an integer {bound}{why}, got "
                             f"{json.dumps(value)[:60]}; {_FIX}")


def _family(plan, where):
    """The step family named in the plan's buffers (``loop.erk.stage_rhs``: ``erk``), ``default`` if none."""
    placements = plan.get("placements", {})
    if not isinstance(placements, dict):
        raise ConfigurationError(f"sweep {where}: plan.placements: expected an object of buffer names, got "
                                 f"{json.dumps(placements)[:60]}; {_FIX}")
    key = next((k for k in placements if k.count(".") >= 2), None)
    if key is None:
        return "default"
    if not all(part.isidentifier() for part in key.split(".")):
        raise ConfigurationError(f"sweep {where}: plan.placements: key {key!r}: expected identifiers joined by '.' "
                                 f"(loop.erk.stage_rhs), whose second names the method family; {_FIX}")
    return key.split(".")[1]


def fit(samples, device):
    """Least squares for one base per family and one rate per precision class (32-bit, 64-bit)."""
    families = sorted({s.family for s in samples})
    wide = [s.precision == "float64" for s in samples]
    columns = families + ["rate32", "rate64"]
    rows = [[1.0 if s.family == f else 0.0 for f in families]
            + [0.0 if w else s.words, s.words if w else 0.0] for s, w in zip(samples, wide)]
    solution = _least_squares(rows, [float(s.registers) for s in samples], len(columns))
    bases = dict(device.register_bases)
    bases.update({f: max(0, round(solution[i])) for i, f in enumerate(families)})
    rate32 = solution[-2] if any(not w for w in wide) and solution[-2] > 0 else device.registers_per_word
    rate64 = solution[-1] if any(wide) and solution[-1] > 0 else device.registers_per_word_64
    return dataclasses.replace(device, register_bases=tuple(sorted(bases.items())), registers_per_word=rate32,
                               registers_per_word_64=rate64)


def _least_squares(rows, values, width):
    """Normal equations with a small ridge (columns absent from the data stay near 0)."""
    a = [[sum(r[i] * r[j] for r in rows) + (1e-9 if i == j else 0.0) for j in range(width)] for i in range(width)]
    b = [sum(r[i] * v for r, v in zip(rows, values)) for i in range(width)]
    for col in range(width):  # Gauss-Jordan with partial pivoting
        pivot = max(range(col, width), key=lambda k: abs(a[k][col]))
        a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
        for k in range(width):
            if k != col and a[col][col]:
                factor = a[k][col] / a[col][col]
                a[k] = [x - factor * y for x, y in zip(a[k], a[col])]
                b[k] -= factor * b[col]
    return [b[i] / a[i][i] if a[i][i] else 0.0 for i in range(width)]


def errors(samples, device):
    """(mean |error|, mean relative error in %, worst |error|) of the model's registers on ``samples``."""
    diffs, rel = [], []
    for s in samples:
        itemsize = _ITEMSIZE[s.precision]
        predicted = min(device.max_registers_per_thread,
                        math.ceil(device.register_base(s.family) + device.word_registers(itemsize) * s.words))
        diffs.append(abs(predicted - s.registers))
        rel.append(100.0 * diffs[-1] / s.registers)
    return sum(diffs) / len(diffs), sum(rel) / len(rel), max(diffs)


def check_determined(samples, path):
    """ConfigurationError unless the samples fix every constant fitted (one base per family, one rate per precision
    class present): a sweep of one size per precision gave a base of 0 and a rate of 2.2 registers a word."""
    families = sorted({s.family for s in samples})
    classes = sorted({s.precision == "float64" for s in samples})
    rows = {tuple([Fraction(s.family == f) for f in families]
                  + [Fraction(s.words) if (s.precision == "float64") == c else Fraction(0) for c in classes])
            for s in samples}
    if _rank(rows) == len(families) + len(classes):
        return
    sizes = {}  # (class, family) -> the words a thread of its records
    for s in samples:
        sizes.setdefault((s.precision == "float64", s.family), set()).add(s.words)
    flat = [c for c in classes if all(len(w) < 2 for (k, _), w in sizes.items() if k == c)]
    names = " and ".join("/".join(sorted({s.precision for s in samples if (s.precision == "float64") == c}))
                         for c in flat)
    seen = ", ".join(f"{f} {min(w):g}" for (k, f), w in sorted(sizes.items()) if k in flat)
    raise ConfigurationError(
        f"sweep {path}: the {names} records of each method family have one plan size only (words a thread: {seen}), "
        f"so the register base and the registers per word cannot both be fitted and nothing is written; {_SWEEP_MORE}")


def _rank(rows):
    """The rank of a set of rows of Fractions (exact: the words are multiples of 1/2)."""
    rows, rank = [list(r) for r in rows], 0
    for col in range(len(rows[0]) if rows else 0):
        at = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if at is None:
            continue
        rows[rank], rows[at] = rows[at], rows[rank]
        pivot = rows[rank]
        for r in rows[rank + 1:]:
            factor = r[col] / pivot[col]
            r[:] = [x - factor * y for x, y in zip(r, pivot)]
        rank += 1
    return rank


def calibrate(path, device_name):
    """A Calibration of the preset ``device_name`` from the sweep at ``path``.

    ConfigurationError where the records cannot fix the constants (:func:`check_determined`) or where the fit
    predicts their registers worse than the preset does (mean |error|): such a fit is not worth writing.
    """
    device = get_device(device_name)
    samples, skipped, card = read_samples(path, device)
    check_determined(samples, path)
    fitted = fit(samples, device)
    before, after = errors(samples, device), errors(samples, fitted)
    if after[0] > before[0]:
        raise ConfigurationError(
            f"sweep {path}: the fitted constants predict the {len(samples)} records' registers worse than the "
            f"{device.name} preset (mean |error| {after[0]:.1f} against {before[0]:.1f}), so nothing is written and "
            f"the preset stays the better model; check the records for outliers, or {_SWEEP_MORE}")
    return Calibration(fitted, tuple(samples), skipped, before, after, *card)

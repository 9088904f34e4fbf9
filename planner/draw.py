"""Pictures of a Plan: address (y) over program point (x), one rectangle per buffer interval.

Buffers that share an address range at different program points are the
reuse the planner found; the dashed line is the per-thread peak. Needs
matplotlib (the ``plot`` extra: ``pip install 'bufferplan[plot]'``).
"""

import os

from .buffers import Placement
from .csvio import atomic_write
from .errors import ConfigurationError, PlannerError

FORMATS = ("png", "svg")
_LABEL_ALL_UP_TO = 40  # rectangles; above this, smaller type


class PlotUnavailableError(PlannerError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailableError(
            "drawing needs matplotlib, which is not installed; install the plot extra: "
            "pip install 'bufferplan[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return matplotlib, plt


def output_format(path):
    """``png`` or ``svg`` from the file name's extension; ConfigurationError otherwise (there is no other
    way to choose: a name without one, like ``/dev/stdout``, is refused)."""
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in FORMATS:
        has = f"its extension is {'.' + ext!r}" if ext else "it has no extension"
        raise ConfigurationError(f"--out {os.fspath(path)!r}: show writes PNG or SVG, chosen by the file name's "
                                 f"extension (.png or .svg), and {has}; give a path ending in .png or .svg "
                                 "(like 'plan.svg')")
    return ext


def _component(name):
    return name.rsplit(".", 1)[0] if "." in name else ""


def _panels(plan):
    """(title, region size, buffers) for the shared region and, if used, the persistent-local one."""
    panels = [(f"shared: peak {plan.shared_elements}, stride {plan.shared_stride} elements/thread",
               plan.shared_elements, Placement.SHARED)]
    if plan.persistent_local_elements:
        panels.append((f"persistent local: {plan.persistent_local_elements} elements/thread",
                       plan.persistent_local_elements, Placement.PERSISTENT_LOCAL))
    for b in plan.buffers:
        if b.placement is not Placement.LOCAL and b.offset_elems is None:
            raise ConfigurationError(f"plan: buffer {b.name!r} is placed {b.placement.value} but has no offset")
    return [(title, size, [b for b in plan.buffers if b.placement is placement and b.size_elems])
            for title, size, placement in panels]


def draw_plan(plan, path, title=None, write=atomic_write):
    """Draw ``plan`` to ``path`` (.png or .svg), written atomically (by ``write(path, write_to_handle)``).

    Raises
    ------
    PlotUnavailableError
        matplotlib is missing.
    ConfigurationError
        The file name ends in neither .png nor .svg, or a placed buffer has no offset.
    OSError
        The file cannot be written.
    """
    fmt = output_format(path)
    panels = _panels(plan)
    matplotlib, plt = _pyplot()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG labels stay searchable text
        fig = _figure(matplotlib, plt, plan, panels, title)
        try:
            write(path, lambda handle: fig.savefig(handle, format=fmt, dpi=150))
        finally:
            plt.close(fig)


def _colours(matplotlib, plan):
    """(colour of a buffer name, legend entries): by component, or by buffer when there is one component."""
    cmap = matplotlib.colormaps["tab20"]
    components = sorted({_component(b.name) for b in plan.buffers})
    if len(components) > 1:
        by_component = {c: cmap(i % 20) for i, c in enumerate(components)}
        legend = list(by_component.items()) if len(components) <= 20 else []
        return (lambda name: by_component[_component(name)]), legend
    by_buffer = {b.name: cmap(i % 20) for i, b in enumerate(plan.buffers)}
    return by_buffer.__getitem__, []


def _figure(matplotlib, plt, plan, panels, title):
    from matplotlib.patches import Rectangle

    colour, legend = _colours(matplotlib, plan)
    horizon = max((iv[1] for b in plan.buffers for iv in b.lifetime), default=1)
    biggest = max(max(size, 1) for _, size, _ in panels)
    fig, axes = plt.subplots(len(panels), 1, squeeze=False, figsize=(14, 3 + 4 * len(panels)),
                             gridspec_kw={"height_ratios": [max(size, biggest / 6) for _, size, _ in panels]})
    labels = []
    for ax, (panel_title, size, buffers) in zip(axes[:, 0], panels):
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, max(size, 1) * 1.04)
        for b in buffers:
            view = b.view_of is not None  # drawn as a dashed outline inside its parent
            for start, end in b.lifetime:
                ax.add_patch(Rectangle((start, b.offset_elems), end - start, b.size_elems,
                                       facecolor="none" if view else colour(b.name), edgecolor="black",
                                       linewidth=0.6, alpha=1.0 if view else 0.85, linestyle="--" if view else "-"))
                if not view:
                    labels.append((ax, b, start, end))
        if size:
            ax.axhline(size, color="black", linestyle=":", linewidth=1)
        ax.set_xlabel("program point")
        ax.set_ylabel("address (elements/thread)")
        ax.set_title(panel_title, fontsize=10)
    if legend:
        axes[0, 0].legend([Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black", linewidth=0.6) for _, c in legend],
                          [name or "(top level)" for name, _ in legend], fontsize=7, loc="upper left",
                          bbox_to_anchor=(1.01, 1.0), title="component", title_fontsize=8)
    p = plan.provenance
    local = sum(1 for b in plan.buffers if b.placement is Placement.LOCAL and b.view_of is None)
    fig.suptitle(title or f"{p.planner} plan ({p.status}): {plan.shared_bytes_per_block} B shared per block "
                 f"at block size {plan.block_size}, {plan.precision}; lower bound {p.lower_bound}; "
                 f"{local} local buffer{'' if local == 1 else 's'}, {plan.local_elements} elements", fontsize=10)
    fig.tight_layout()
    many = len(labels) > _LABEL_ALL_UP_TO
    for ax, b, start, end in labels:  # after the layout, so the rectangles' sizes on the page are known
        _label(fig, ax, b, start, end, 6 if many else 7)
    return fig


def _label(fig, ax, buffer, start, end, fontsize, smallest=5):
    """Write the buffer's leaf name in its rectangle: across, else upright, else shortened with '~'."""
    text = buffer.name.rsplit(".", 1)[-1]
    (x0, y0), (x1, y1) = ax.transData.transform([(start, buffer.offset_elems),
                                                 (end, buffer.offset_elems + buffer.size_elems)])
    width_px, height_px = abs(x1 - x0), abs(y1 - y0)
    char_px = 0.62 * fig.dpi / 72  # per point of font size
    line_px = 1.25 * fig.dpi / 72
    choice = None
    for size in range(fontsize, smallest - 1, -1):
        for rotation, along, across in ((0, width_px, height_px), (90, height_px, width_px)):
            if across >= size * line_px and along >= size * char_px * len(text):
                choice = (text, size, rotation)
                break
        if choice:
            break
    if choice is None:
        rotation, along, across = max((0, width_px, height_px), (90, height_px, width_px), key=lambda t: t[1])
        fits = int(along // (smallest * char_px))
        if across < smallest * line_px or fits < 4:
            return
        choice = (text[:fits - 1] + "~", smallest, rotation)
    text, size, rotation = choice
    ax.text(start + (end - start) / 2, buffer.offset_elems + buffer.size_elems / 2, text, ha="center",
            va="center", fontsize=size, rotation=rotation, clip_on=True)

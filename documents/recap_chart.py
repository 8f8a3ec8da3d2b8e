"""The /rekap chart: progress per participant and milestone horizon, overdue in red, as PNG.

Drawn with matplotlib's object API (Figure + the Agg canvas), never pyplot: pyplot keeps
global state and is not safe in the worker threads the bot renders in.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from domain.enums import Horizon
from domain.i18n import Translator, format_datetime, translator
from domain.project_term import term_params
from domain.text import shorten
from services.recap import ParticipantRecap, Recap

# Telegram keeps a photo at most 1280 px on its longer side in most clients; a page of this
# many participants stays under that at DPI, so labels stay sharp when read on a phone.
PER_PAGE = 15
DPI = 120
WIDTH_IN = 9.0
GROUP_IN = 0.56  # height of one participant's three bars with the gap below them
TOP_IN = 1.15  # title, subtitle and legend
BOTTOM_IN = 0.55  # the axis and its label
LEFT_IN = 2.2  # names
RIGHT_IN = 0.15
NAME_WIDTH = 24

HORIZON_COLOURS = {Horizon.SHORT: "#08519c", Horizon.MEDIUM: "#3182bd", Horizon.LONG: "#9ecae1"}
OVERDUE_COLOUR = "#d62728"  # red against blues: distinct also for red-green colour blindness
OVERDUE_FILL = "#fbe3e3"
TRACK_COLOUR = "#eeeeee"
MUTED = "#777777"
BAR_HEIGHT = 0.26
# Bars of one group, top to bottom; x runs to 100 %, the rest of the width holds the labels.
OFFSETS = {Horizon.SHORT: 0.29, Horizon.MEDIUM: 0.0, Horizon.LONG: -0.29}
X_MAX = 172

# Titles before a name ("Dr. Ir. H.") and degrees after it ("M.Si.", ", S.T.").
_TITLES = frozenset({"dr", "drs", "dra", "drg", "ir", "h", "hj", "prof", "apt", "ns", "kh"})
_DEGREE = re.compile(r"^[A-Za-z]{1,4}\.([A-Za-z]{1,5}\.?)+$")


def short_name(full_name: str, width: int = NAME_WIDTH) -> str:
    """ "Dr. Ir. H. Budi Santoso, M.Si." -> "Budi Santoso", cut to `width` characters."""
    words = full_name.split(",", 1)[0].split()
    while words and words[0].rstrip(".").casefold() in _TITLES:
        words.pop(0)
    while words and _DEGREE.match(words[-1]):
        words.pop()
    return shorten(" ".join(words) or full_name, width)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key reading digits as numbers, so "Kelompok 2" comes before "Kelompok 10"."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _labels(participants: Sequence[ParticipantRecap]) -> list[tuple[str, ParticipantRecap]]:
    """Short names, sorted; a name shared by two people gets a number so bars stay told apart."""
    named = sorted(
        ((short_name(p.name), p) for p in participants),
        key=lambda pair: (_natural(pair[0]), pair[1].name, pair[1].participant_id),
    )
    seen: dict[str, int] = {}
    result = []
    for name, participant in named:
        seen[name] = seen.get(name, 0) + 1
        result.append((name if seen[name] == 1 else f"{name} ({seen[name]})", participant))
    return result


def recap_charts(
    recap: Recap, language: str, zone: ZoneInfo, per_page: int = PER_PAGE
) -> list[bytes]:
    """The chart as PNG pages of at most `per_page` participants each, in name order.

    Pages are filled evenly (17 participants: 9 and 8, not 15 and 2). Raises ValueError for a
    recap without participants: there is nothing to draw.
    """
    rows = _labels(recap.participants)
    if not rows:
        raise ValueError("a recap without participants has no chart")
    count = -(-len(rows) // max(1, per_page))
    size = -(-len(rows) // count)
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    return [
        _render(recap, chunk, translator(language), zone, page, len(chunks))
        for page, chunk in enumerate(chunks, start=1)
    ]


def recap_chart(recap: Recap, language: str, zone: ZoneInfo) -> bytes:
    """Every participant in one PNG; the figure grows with the cohort."""
    return recap_charts(recap, language, zone, per_page=max(1, len(recap.participants)))[0]


def _render(
    recap: Recap,
    rows: list[tuple[str, ParticipantRecap]],
    t: Translator,
    zone: ZoneInfo,
    page: int,
    pages: int,
) -> bytes:
    height = TOP_IN + BOTTOM_IN + GROUP_IN * max(len(rows), 2)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes(
        (
            LEFT_IN / WIDTH_IN,
            BOTTOM_IN / height,
            1 - (LEFT_IN + RIGHT_IN) / WIDTH_IN,
            1 - (TOP_IN + BOTTOM_IN) / height,
        )
    )
    any_overdue = False
    for index, (_, participant) in enumerate(rows):
        centre = -index
        if index % 2:  # a faint band behind every other participant guides the eye across
            ax.axhspan(centre - 0.5, centre + 0.5, color="#f7f7f7", zorder=0, lw=0)
        for horizon in Horizon:
            any_overdue |= _bar(ax, t, participant, horizon, centre + OFFSETS[horizon])

    ax.set_ylim(-len(rows) + 0.5, 0.5)
    ax.set_xlim(0, X_MAX)
    ax.set_yticks([-i for i in range(len(rows))], [name for name, _ in rows], fontsize=10)
    ax.tick_params(axis="y", length=0)
    ax.set_xticks([0, 25, 50, 75, 100], [f"{x}%" for x in (0, 25, 50, 75, 100)], fontsize=8)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.spines["bottom"].set_bounds(0, 100)
    ax.set_xlabel(t("recap.chart.axis"), fontsize=8, loc="left", color=MUTED)
    for x in (25, 50, 75, 100):
        ax.axvline(x, color="#dddddd", lw=0.6, zorder=0.5)

    title = t("recap.chart.title", cohort=recap.cohort_name, **term_params(t, recap.project_term))
    subtitle = format_datetime(recap.at, zone, t.language)
    if recap.scoped:
        subtitle = t("recap.chart.own", at=subtitle)
    if pages > 1:
        subtitle = t("recap.chart.page", text=subtitle, page=page, pages=pages)
    fig.text(0.5, 1 - 0.22 / height, title, ha="center", va="top", fontsize=13, weight="bold")
    fig.text(0.5, 1 - 0.52 / height, subtitle, ha="center", va="top", fontsize=9, color=MUTED)
    handles = [Patch(facecolor=HORIZON_COLOURS[h], label=t(f"horizon.{h.value}")) for h in Horizon]
    if any_overdue:
        handles.append(
            Patch(
                facecolor=OVERDUE_FILL,
                edgecolor=OVERDUE_COLOUR,
                hatch="///",
                label=t("recap.chart.overdue"),
            )
        )
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.76 / height),
        ncol=len(handles),
        frameon=False,
        fontsize=9,
        handlelength=1.6,
        columnspacing=1.4,
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _bar(
    ax: Axes, t: Translator, participant: ParticipantRecap, horizon: Horizon, y: float
) -> bool:
    """One horizon's bar: a track to 100 %, red and hatched when a milestone is overdue."""
    figures = participant.figures(horizon)
    overdue = figures.overdue > 0
    if overdue:
        ax.barh(
            y,
            100,
            height=BAR_HEIGHT,
            color=OVERDUE_FILL,
            edgecolor=OVERDUE_COLOUR,
            hatch="///",
            lw=1.2,
            zorder=1,
        )
    else:
        ax.barh(y, 100, height=BAR_HEIGHT, color=TRACK_COLOUR, lw=0, zorder=1)
    if figures.milestones == 0:
        label, colour = t("recap.chart.no_milestones"), MUTED
    else:
        ax.barh(
            y, figures.progress, height=BAR_HEIGHT, color=HORIZON_COLOURS[horizon], lw=0, zorder=2
        )
        label = t(
            "recap.chart.value",
            percent=figures.progress,
            approved=figures.approved,
            total=figures.milestones,
        )
        colour = "#333333"
        if overdue:
            label = t("recap.chart.with_overdue", text=label, n=figures.overdue)
            colour = OVERDUE_COLOUR
    ax.text(102, y, label, va="center", ha="left", fontsize=7.5, color=colour)
    return overdue

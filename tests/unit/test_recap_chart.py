"""The /rekap chart: a real PNG, sized for a phone, with overdue milestones in red."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from PIL import Image

from documents.recap_chart import (
    DPI,
    OVERDUE_COLOUR,
    PER_PAGE,
    WIDTH_IN,
    recap_chart,
    recap_charts,
    short_name,
)
from domain.enums import Horizon
from domain.timezones import WIB
from services.recap import CohortFigures, HorizonFigures, ParticipantRecap, Recap

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
RED = tuple(int(OVERDUE_COLOUR[i : i + 2], 16) for i in (1, 3, 5))


def person(index: int, *, overdue: int = 0, name: str | None = None) -> ParticipantRecap:
    return ParticipantRecap(
        participant_id=index,
        name=name or f"Dr. Peserta {index}, M.Si.",
        joined=True,
        horizons=MappingProxyType(
            {
                Horizon.SHORT: HorizonFigures(
                    milestones=3, approved=1, progress=(index * 17) % 101, overdue=overdue
                ),
                Horizon.MEDIUM: HorizonFigures(milestones=2, approved=0, progress=20, overdue=0),
            }
        ),
        reports=2,
        last_report_at=NOW - timedelta(days=1),
        waiting=0,
    )


def recap(participants: list[ParticipantRecap]) -> Recap:
    return Recap(
        cohort_id=1,
        cohort_name="PKN II Angkatan XXXVII",
        at=NOW,
        scoped=False,
        participants=participants,
        figures=CohortFigures(len(participants), len(participants), 0, 0, 0, 0),
    )


def image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png)).convert("RGB")


def red_pixels(img: Image.Image) -> int:
    """Pixels close to the overdue red (antialiasing blends the edges of lines and text)."""
    colours = img.getcolors(maxcolors=1_000_000) or []
    return sum(
        count
        for count, (r, g, b) in colours
        if abs(r - RED[0]) < 30 and abs(g - RED[1]) < 30 and abs(b - RED[2]) < 30
    )


def test_a_chart_is_a_readable_png_with_overdue_milestones_in_red() -> None:
    img = image(recap_chart(recap([person(1, overdue=2), person(2)]), "id", WIB))

    assert img.size[0] == int(WIDTH_IN * DPI)
    assert 250 < img.size[1] < 1280
    colours = img.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # not blank: bars, text, antialiasing
    white = max(colours)[1]
    assert sum(count for count, c in colours if c != white) > img.size[0] * img.size[1] * 0.05
    assert red_pixels(img) > 200


def test_without_overdue_milestones_there_is_no_red() -> None:
    img = image(recap_chart(recap([person(1), person(2), person(3)]), "en", WIB))
    assert red_pixels(img) == 0
    assert len(img.getcolors(maxcolors=1_000_000) or []) > 50


def test_sixty_participants_grow_into_pages_a_phone_can_show() -> None:
    many = recap([person(i, overdue=1 if i == 59 else 0) for i in range(60)])
    pages = [image(png) for png in recap_charts(many, "id", WIB)]

    assert len(pages) == -(-60 // PER_PAGE)
    for page in pages:
        assert page.size[0] == int(WIDTH_IN * DPI) and page.size[1] <= 1280  # Telegram's size
    # Sorted by name; participant 59 ("Peserta 59") falls on the last page only.
    assert red_pixels(pages[-1]) > 0 and all(red_pixels(p) == 0 for p in pages[:-1])
    # One figure of everyone grows instead, for a file rather than a chat photo.
    tall = image(recap_chart(many, "id", WIB))
    assert tall.size[1] > 3 * pages[0].size[1]


def test_pages_are_filled_evenly() -> None:
    pages = recap_charts(recap([person(i) for i in range(PER_PAGE + 2)]), "id", WIB)
    heights = [image(p).size[1] for p in pages]
    assert len(heights) == 2 and abs(heights[0] - heights[1]) <= 70  # one participant


def test_an_empty_cohort_has_no_chart() -> None:
    with pytest.raises(ValueError):
        recap_charts(recap([]), "id", WIB)


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("Dr. Ir. H. Bambang Wijaya, M.Si.", "Bambang Wijaya"),
        ("Hj. Nurhayati Umasugi, S.K.M., M.Kes.", "Nurhayati Umasugi"),
        ("Prof. Teguh Santoso S.T. M.M.", "Teguh Santoso"),
        ("Budi Santoso", "Budi Santoso"),
        ("Muh. Rizal Ramli", "Muh. Rizal Ramli"),
        ("Dr.", "Dr."),
        ("Ir. Raden Mas Bagus Hadiningrat Wiryokusumo", "Raden Mas Bagus Hadinin…"),
    ],
)
def test_names_lose_their_titles(full: str, short: str) -> None:
    assert short_name(full) == short

"""The portfolio PDF renderer on plain data: text, pages, photos and what happens to bad ones."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pypdf import PdfReader

from documents.portfolio_pdf import MAX_IMAGE_PIXELS, file_slug, render_portfolio
from domain.enums import (
    AdvisorKind,
    EvidenceKind,
    FeedbackKind,
    Horizon,
    MilestoneStatus,
    UpdateStatus,
)
from domain.roles import Role
from services.portfolio import (
    AdvisorEntry,
    EvidenceRef,
    MilestoneEntry,
    Portfolio,
    ReportEntry,
    SignOff,
    ThreadNote,
)

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 10.00 WIT in Sofifi
MM_PER_PT = 25.4 / 72


def jpeg(width: int, height: int, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def photo(file_id: str, caption: str | None = None) -> EvidenceRef:
    return EvidenceRef(EvidenceKind.PHOTO, file_id, None, caption, None)


def note(
    n: int, name: str, role: Role | None, kind: FeedbackKind, words: str, *replies: ThreadNote
) -> ThreadNote:
    return ThreadNote(n, name, role, kind, AT, words, tuple(replies))


def report(n: int, words: str, evidence: tuple[EvidenceRef, ...] = (), *thread: ThreadNote):  # type: ignore[no-untyped-def]
    return ReportEntry(
        n, "Sosialisasi Posyandu Digital", words, 60, AT, UpdateStatus.SUBMITTED, evidence, thread
    )


def portfolio(*reports: ReportEntry) -> Portfolio:
    return Portfolio(
        participant_id=2,
        name="Nurhayati Umasugi",
        nip="198203102006042002",
        agency="Dinkes Malut",
        position="Kepala Seksi",
        timezone=ZoneInfo("Asia/Jayapura"),
        cohort_id=1,
        cohort_name="PKP Angkatan IV",
        programme="PKP",
        organizer="BPSDM",
        project_title="Posyandu Digital",
        problem="Data balita tercatat di buku, sering hilang.",
        goal="Seluruh posyandu mencatat secara digital.",
        advisors=(
            AdvisorEntry("Dr. Ir. Bambang Wijaya", AdvisorKind.MENTOR),
            AdvisorEntry("Dr. Lina Marliani", AdvisorKind.COACH),
        ),
        milestones=(
            MilestoneEntry(
                1,
                "Sosialisasi Posyandu Digital",
                Horizon.SHORT,
                date(2026, 11, 12),
                "Daftar hadir",
                MilestoneStatus.APPROVED,
                100,
                "Dr. Ir. Bambang Wijaya",
                AT,
            ),
            MilestoneEntry(
                2,
                "Uji coba aplikasi",
                Horizon.MEDIUM,
                date(2027, 3, 1),
                None,
                MilestoneStatus.PLANNED,
                0,
                None,
                None,
            ),
        ),
        reports=tuple(reports),
        sign_offs=(
            SignOff("Sosialisasi Posyandu Digital", "Dr. Ir. Bambang Wijaya", Role.MENTOR, AT),
        ),
    )


def read(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def drawn_sizes_mm(reader: PdfReader) -> list[tuple[float, float]]:
    """(width, height) in mm of every image drawn, from the `w 0 0 h x y cm /I Do` operators."""
    sizes = []
    for page in reader.pages:
        content = page.get_contents()
        assert content is not None
        stream = content.get_data().decode("latin-1")
        for w, h in re.findall(r"([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s*/I\w* Do", stream):
            sizes.append((float(w) * MM_PER_PT, float(h) * MM_PER_PT))
    return sizes


def render(pf: Portfolio, images: dict[str, bytes] | None = None, language: str = "id") -> bytes:
    return render_portfolio(pf, images=images or {}, language=language, generated_at=AT)


def test_everything_is_in_it_in_order_with_page_numbers() -> None:
    thread = (
        note(
            1,
            "Dr. Ir. Bambang Wijaya",
            Role.MENTOR,
            FeedbackKind.FEEDBACK,
            "Lengkapi daftar hadir.",
            note(2, "Nurhayati Umasugi", Role.PARTICIPANT, FeedbackKind.REPLY, "Baik, Pak."),
        ),
        note(3, "Dr. Ir. Bambang Wijaya", Role.MENTOR, FeedbackKind.APPROVAL, ""),
    )
    pf = portfolio(
        report(
            1,
            "Sosialisasi di 14 posyandu Kecamatan Jailolo.",
            (
                photo("p1", "Sosialisasi di Posyandu Mawar"),
                EvidenceRef(EvidenceKind.DOCUMENT, "d1", "daftar-hadir.pdf", None, None),
                EvidenceRef(EvidenceKind.LINK, None, None, None, "https://example.go.id/berita"),
            ),
            *thread,
        )
    )
    reader, words = read(render(pf, {"p1": jpeg(640, 480)}))
    pages = len(reader.pages)
    assert pages >= 2
    for page in range(1, pages + 1):
        assert f"Halaman {page} dari {pages}" in words
    for expected in (
        "Portofolio Proyek Perubahan",
        "Nurhayati Umasugi",
        "19820310 200604 2 002",
        "Dinkes Malut",
        "PKP Angkatan IV",
        "Posyandu Digital",
        "Data balita tercatat di buku, sering hilang.",
        "Dr. Lina Marliani",
        "Tahapan Kegiatan",
        "Jangka pendek",
        "Kamis, 12 November 2026",
        "disetujui (100%)",
        "Sosialisasi di 14 posyandu Kecamatan Jailolo.",
        "Keterangan foto: Sosialisasi di Posyandu Mawar",
        "Dokumen: daftar-hadir.pdf",
        "Tautan: https://example.go.id/berita",
        "Dr. Ir. Bambang Wijaya (Mentor) · umpan balik · Senin, 2 November 2026, 10.00 WIT",
        "Lengkapi daftar hadir.",
        "Nurhayati Umasugi (Peserta) · tanggapan",
        "Menyetujui penyelesaian tahapan ini.",
        "Persetujuan Tahapan",
        "(WIT)",
    ):
        assert expected in words, expected
    # The thread in its order: feedback, the answer to it, then the sign-off.
    assert (
        words.index("Lengkapi daftar hadir.")
        < words.index("Baik, Pak.")
        < words.index("Menyetujui penyelesaian")
    )
    assert sum(len(p.images) for p in reader.pages) == 1
    assert reader.metadata is not None and "Nurhayati Umasugi" in (reader.metadata.title or "")


def test_english_when_asked() -> None:
    reader, words = read(render(portfolio(report(1, "Done.")), language="en"))
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in words
    for expected in ("Change Project Portfolio", "Progress Reports", "Milestone Sign-offs"):
        assert expected in words
    assert "Halaman" not in words


def test_missing_and_broken_photos_are_placeholders_not_errors() -> None:
    pf = portfolio(
        report(1, "Tiga foto.", (photo("good"), photo("broken"), photo("gone"), photo("empty")))
    )
    images = {"good": jpeg(300, 200), "broken": b"\xff\xd8 not really a jpeg", "empty": b""}
    reader, words = read(render(pf, images))
    assert sum(len(p.images) for p in reader.pages) == 1
    assert words.count("[Foto tidak dapat dimuat ke dalam dokumen ini.]") == 3


def test_photos_fit_the_width_and_at_most_eight_centimetres_high() -> None:
    pf = portfolio(report(1, "Foto.", (photo("wide"), photo("tall"))))
    reader, _ = read(render(pf, {"wide": jpeg(3000, 1000), "tall": jpeg(600, 2400)}))
    (wide_w, wide_h), (tall_w, tall_h) = drawn_sizes_mm(reader)
    assert wide_w == pytest.approx(173, abs=1) and wide_h == pytest.approx(wide_w / 3, abs=1)
    assert tall_h == pytest.approx(80, abs=0.5) and tall_w == pytest.approx(20, abs=0.5)
    # Big photos are shrunk before embedding: the PDF stays small enough to send.
    sizes = sorted(img.image.size for p in reader.pages for img in p.images if img.image)
    assert max(max(s) for s in sizes) == MAX_IMAGE_PIXELS


def test_an_empty_record_still_renders() -> None:
    pf = replace(
        portfolio(),
        project_title=None,
        problem=None,
        goal=None,
        nip=None,
        advisors=(),
        milestones=(),
        sign_offs=(),
    )
    reader, words = read(render(pf))
    assert "(judul belum diisi)" in words
    assert "Belum ada tahapan kegiatan." in words
    assert "Belum ada laporan kemajuan." in words
    assert "Belum ada tahapan yang disetujui." in words
    assert f"Halaman 1 dari {len(reader.pages)}" in words


def test_odd_text_does_not_break_it() -> None:
    words = "Emoji 🙏🏽 dan\tTab\r\nbaris baru \x00\x07 kontrol; " + "sangatpanjangtanpaspasi" * 20
    pf = portfolio(report(1, words, (photo("p"),)))
    reader, text = read(render(pf, {"p": jpeg(10, 10)}))
    assert "kontrol;" in text and "sangatpanjang" in text
    # Many reports flow over many pages, numbered throughout.
    many = portfolio(*(report(n, f"Laporan nomor {n}. " * 30) for n in range(1, 25)))
    reader, text = read(render(many))
    assert len(reader.pages) > 5 and f"Halaman {len(reader.pages)} dari {len(reader.pages)}" in text
    assert "Laporan 24: Sosialisasi Posyandu Digital" in text


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Dr. Ir. Bambang Wijaya, M.Si.", "dr-ir-bambang-wijaya-m-si"),
        ("Nurhayati Umasugi", "nurhayati-umasugi"),
        ("Hj. Siti Nur’aini", "hj-siti-nuraini"),
        ("Zoë Lefèvre", "zoe-lefevre"),
        ("✨", "peserta"),
    ],
)
def test_file_names(name: str, slug: str) -> None:
    assert file_slug(name) == slug

"""The portfolio PDF renderer on plain data: text, pages, photos and what happens to bad ones."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
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
from domain.project_term import ProjectTerm
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
            AdvisorEntry(
                "Dr. Ir. Bambang Wijaya",
                AdvisorKind.MENTOR,
                "197005051995031003",
                "Pembina Utama Muda (IV/c)",
            ),
            AdvisorEntry("Dr. Lina Marliani", AdvisorKind.COACH, "197209092000122004"),
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
        rank="Penata Tingkat I (III/d)",
        cohort_year=2026,
    )


def read(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def page_words(reader: PdfReader, n: int) -> str:
    """The text of page `n` (1-based), whitespace collapsed."""
    return " ".join(reader.pages[n - 1].extract_text().split())


def heights_mm(reader: PdfReader, n: int) -> dict[str, float]:
    """Each text run on page `n` with its distance from the top of the page in mm (of its
    last occurrence, when a text appears twice)."""
    top = float(reader.pages[n - 1].mediabox.top)
    found: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            found[" ".join(text.split())] = (top - tm[5]) * MM_PER_PT

    reader.pages[n - 1].extract_text(visitor_text=visit)
    return found


def frames_mm(reader: PdfReader) -> list[tuple[float, float]]:
    """(width, height) in mm of every stroked rectangle: the frames of unshown photos."""
    frames = []
    for page in reader.pages:
        content = page.get_contents()
        assert content is not None
        stream = content.get_data().decode("latin-1")
        for w, h in re.findall(r"[\d.-]+ [\d.-]+ ([\d.]+) ([\d.-]+) re S", stream):
            frames.append((float(w) * MM_PER_PT, abs(float(h)) * MM_PER_PT))
    return frames


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


def test_kendala_rencana_and_a_correction_are_in_the_report() -> None:
    corrected = replace(
        report(1, "Sosialisasi di 14 posyandu."),
        obstacles="Jaringan internet di dua desa lemah.",
        next_steps="Pelatihan kader pekan depan.",
        corrected_at=AT + timedelta(hours=3),
    )
    plain = report(2, "Rapat evaluasi.")
    _, words = read(render(portfolio(corrected, plain)))
    for expected in (
        "Kendala",
        "Jaringan internet di dua desa lemah.",
        "Rencana berikutnya",
        "Pelatihan kader pekan depan.",
        "Dikoreksi oleh peserta pada",
    ):
        assert expected in words
    # The second report has neither field and no correction: no empty labels for it.
    assert words.count("Kendala") == 1 and words.count("Dikoreksi") == 1


def test_english_when_asked() -> None:
    reader, words = read(render(portfolio(report(1, "Done.")), language="en"))
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in words
    for expected in ("Change Project Portfolio", "Progress Reports", "Milestone Sign-offs"):
        assert expected in words
    assert "Halaman" not in words


def test_photos_that_cannot_be_shown_are_labelled_frames_not_errors() -> None:
    named = EvidenceRef(EvidenceKind.PHOTO, "named", "IMG_2041.jpg", "Rapat di aula", None)
    pf = portfolio(
        report(
            1,
            "Empat foto.",
            (
                photo("good", "Foto yang baik"),
                photo("broken", "Posyandu Mawar"),
                photo("gone", "Posyandu Melati"),
                photo("empty"),
                named,
            ),
        )
    )
    images = {
        "good": jpeg(300, 200),
        "broken": b"\xff\xd8 not really a jpeg",
        "empty": b"",
        "named": jpeg(300, 200)[:200],  # cut off in transfer
    }
    reader, words = read(render(pf, images))
    assert sum(len(p.images) for p in reader.pages) == 1
    # Each unshown photo is named by its file name, else its caption, else only said to be gone.
    assert "Foto tidak dapat ditampilkan: Posyandu Mawar" in words
    assert "Foto tidak dapat ditampilkan: Posyandu Melati" in words
    assert "Foto tidak dapat ditampilkan: IMG_2041.jpg" in words
    assert "Foto tidak dapat ditampilkan." in words
    assert words.count("Foto tidak dapat ditampilkan") == 4
    # The caption is not said twice; a named file keeps its caption line.
    assert "Keterangan foto: Posyandu Mawar" not in words
    assert "Keterangan foto: Rapat di aula" in words
    assert "Keterangan foto: Foto yang baik" in words
    # A thin frame as wide as a photo may be, where each photo would have been.
    frames = [f for f in frames_mm(reader) if f[0] > 100]  # not the tables' cell borders
    assert len(frames) == 4
    for width, height in frames:
        assert width == pytest.approx(173, abs=0.5) and height == pytest.approx(25, abs=0.5)
    # In English too.
    _, english = read(render(pf, images, language="en"))
    assert "Photo cannot be shown: Posyandu Mawar" in english


def test_a_transparent_photo_is_shown_on_white_not_as_a_black_square() -> None:
    buffer = io.BytesIO()
    clear = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    clear.paste((20, 90, 200, 255), (0, 0, 60, 80))  # left half opaque blue
    clear.save(buffer, "PNG")
    reader, words = read(
        render(
            portfolio(report(1, "Tangkapan layar.", (photo("png"),))), {"png": buffer.getvalue()}
        )
    )
    [embedded] = [img.image for page in reader.pages for img in page.images]
    assert embedded is not None
    rgb = embedded.convert("RGB")
    right = rgb.getpixel((100, 40))
    left = rgb.getpixel((10, 40))
    assert isinstance(right, tuple) and isinstance(left, tuple)
    assert min(right) > 240  # the transparent half is white
    assert left[2] > 150 and left[0] < 80  # the opaque half keeps its colour
    assert "Foto tidak dapat ditampilkan" not in words


def test_the_cover_is_a_title_page_with_the_participant_and_the_project() -> None:
    reader, _ = read(render(portfolio(report(1, "Sosialisasi."))))
    cover = page_words(reader, 1)
    for expected in (
        "PORTOFOLIO PROYEK PERUBAHAN",
        "“Posyandu Digital”",
        "Disusun oleh:",
        "Nurhayati Umasugi",
        "NIP 19820310 200604 2 002",
        "Pangkat/Golongan Penata Tingkat I (III/d)",
        "Jabatan Kepala Seksi",
        "Instansi Dinkes Malut",
        "PKP Angkatan IV",
        "BPSDM",
        "2026",
        "Halaman 1 dari",
    ):
        assert expected in cover, expected
    # Only the cover: the record itself starts after the approval sheet.
    assert "Tahapan Kegiatan" not in cover and "Sosialisasi." not in cover
    # The blocks are spread over the page (title high, cohort and year low), not huddled
    # at the top with two thirds of the page left empty.
    at = heights_mm(reader, 1)
    assert at["PORTOFOLIO PROYEK PERUBAHAN"] < 60
    assert 90 < at["Nurhayati Umasugi"] < 150
    assert at["PKP Angkatan IV"] > 190 and at["2026"] > 200


def test_the_rank_is_left_out_when_the_roster_had_none() -> None:
    reader, words = read(render(replace(portfolio(), rank=None)))
    assert "Pangkat/Golongan" not in words
    assert "Jabatan Kepala Seksi" in page_words(reader, 1)


def test_the_approval_sheet_has_signature_blocks_for_mentor_coach_and_participant() -> None:
    reader, _ = read(render(portfolio(report(1, "Sosialisasi."))))
    sheet = page_words(reader, 2)
    for expected in (
        "LEMBAR PERSETUJUAN",
        "“Posyandu Digital”",
        "Nama Nurhayati Umasugi",
        "NIP 19820310 200604 2 002",
        "Pangkat/Golongan Penata Tingkat I (III/d)",
        "Angkatan PKP Angkatan IV",
        "disetujui sebagai bahan seminar laporan proyek perubahan.",
        "Menyetujui,",
        "Dr. Ir. Bambang Wijaya",
        "Pembina Utama Muda (IV/c)",
        "NIP. 19700505 199503 1 003",
        "Dr. Lina Marliani",
        "NIP. 19720909 200012 2 004",
        "Peserta,",
        "NIP. 19820310 200604 2 002",
    ):
        assert expected in sheet, expected
    # A place and date to write by hand, with the cohort's year.
    assert re.search(r"\.{10,}, \.{10,} 2026", sheet)
    # Mentor and coach side by side, each over their own name; the participant below them.
    at = heights_mm(reader, 2)
    assert at["Mentor,"] == pytest.approx(at["Coach,"])
    assert at["Mentor,"] < at["Dr. Ir. Bambang Wijaya"]
    assert at["Dr. Ir. Bambang Wijaya"] == pytest.approx(at["Dr. Lina Marliani"])
    assert at["NIP. 19720909 200012 2 004"] < at["Peserta,"] < at["Nurhayati Umasugi"]
    # Room to sign between the role and the name.
    assert at["Dr. Lina Marliani"] - at["Coach,"] > 20
    # A PKP cohort's participants lead an aksi perubahan, and the sheet says so.
    reader, _ = read(render(replace(portfolio(), project_term=ProjectTerm.AKSI_PERUBAHAN)))
    sheet = page_words(reader, 2)
    assert "PORTOFOLIO AKSI PERUBAHAN" in sheet
    assert "Portofolio aksi perubahan ini telah diperiksa" in sheet
    assert "proyek perubahan" not in sheet.lower()


def test_the_approval_sheet_in_english_and_with_advisors_not_on_record() -> None:
    pf = replace(portfolio(), advisors=(), rank=None)
    reader, _ = read(render(pf, language="en"))
    sheet = page_words(reader, 2)
    for expected in ("APPROVAL SHEET", "Approved by,", "Mentor,", "Coach,", "Participant,"):
        assert expected in sheet, expected
    assert "Place and date:" in sheet
    # Blank name and NIP lines to fill in for the mentor and the coach.
    assert sheet.count("(......") == 2
    assert sheet.count("NIP ......") == 2
    assert "NIP 19820310 200604 2 002" in sheet
    assert "LEMBAR" not in sheet


def test_the_record_flows_from_page_three_without_empty_pages() -> None:
    """Cover, approval sheet, then project, milestones, reports and sign-offs run on: two
    short reports fit on the third page."""
    pf = portfolio(report(1, "Sosialisasi di 14 posyandu."), report(2, "Uji coba di 3 posyandu."))
    reader, _ = read(render(pf))
    assert len(reader.pages) == 3
    record = page_words(reader, 3)
    for expected in (
        "Proyek Perubahan",
        "Rumusan masalah",
        "Tahapan Kegiatan",
        "Laporan 1: Sosialisasi Posyandu Digital",
        "Laporan 2: Sosialisasi Posyandu Digital",
        "Persetujuan Tahapan",
        "Halaman 3 dari 3",
    ):
        assert expected in record, expected
    at = heights_mm(reader, 3)
    assert at["Proyek Perubahan"] < 40  # the record starts at the top of its page


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

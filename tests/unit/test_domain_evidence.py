"""Unit tests for which evidence files (bukti dukung) are accepted."""

from decimal import Decimal

import pytest

from domain.evidence import (
    ACCEPTED_DESCRIPTION_KEY,
    BOT_DOWNLOAD_LIMIT,
    MEGABYTE,
    EvidenceFile,
    EvidenceKind,
    EvidenceRejected,
    check_evidence,
)
from domain.i18n import translator

LIMIT = 20 * MEGABYTE


def _rejected(f: EvidenceFile, max_bytes: int = LIMIT) -> EvidenceRejected:
    with pytest.raises(EvidenceRejected) as caught:
        check_evidence(f, max_bytes=max_bytes)
    return caught.value


def test_a_photo_is_always_an_accepted_type() -> None:
    check_evidence(EvidenceFile("photo", size=2 * MEGABYTE), max_bytes=LIMIT)
    check_evidence(EvidenceFile("photo"), max_bytes=LIMIT)


@pytest.mark.parametrize(
    "mime",
    [
        "application/pdf",
        "image/jpeg",
        "image/jpg",
        "image/png",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "text/plain",
        "text/csv",
        "text/comma-separated-values",
        "Application/PDF",
        "text/plain; charset=utf-8",
    ],
)
def test_documents_accepted_by_mime_type(mime: str) -> None:
    # The name does not matter when the MIME type is known.
    check_evidence(EvidenceFile("document", "berkas", mime, 1000), max_bytes=LIMIT)


@pytest.mark.parametrize(
    "mime",
    [
        "application/zip",
        "application/x-rar-compressed",
        "application/x-7z-compressed",
        "application/x-msdownload",
        "application/x-dosexec",
        "application/vnd.android.package-archive",
        "application/javascript",
        "application/x-sh",
        "video/mp4",
        "audio/mpeg",
        "image/gif",
        "image/svg+xml",
        "text/html",
        "application/vnd.ms-word.document.macroenabled.12",
    ],
)
def test_documents_refused_by_mime_type(mime: str) -> None:
    # A harmless-looking name does not overrule what the MIME type says.
    error = _rejected(EvidenceFile("document", "laporan.pdf", mime, 1000))
    assert (error.code, error.params) == ("evidence.error.unsupported", {"name": "laporan.pdf"})


@pytest.mark.parametrize(
    "name",
    [
        "laporan.pdf",
        "FOTO.JPG",
        "foto.jpeg",
        "scan.png",
        "scan.webp",
        "IMG_0001.HEIC",
        "rancangan.doc",
        "rancangan.docx",
        "anggaran.xls",
        "anggaran.xlsx",
        "paparan.ppt",
        "paparan.pptx",
        "notulen.odt",
        "data.ods",
        "paparan.odp",
        "catatan.txt",
        "peserta.csv",
        "Laporan Akhir v2.final.pdf",
        "C:\\Users\\budi\\Dokumen\\laporan.docx",
    ],
)
@pytest.mark.parametrize("mime", [None, "", "application/octet-stream"])
def test_documents_accepted_by_extension_when_mime_says_nothing(
    name: str, mime: str | None
) -> None:
    check_evidence(EvidenceFile("document", name, mime, 1000), max_bytes=LIMIT)


@pytest.mark.parametrize(
    "name",
    ["setup.exe", "arsip.zip", "arsip.rar", "data.7z", "skrip.bat", "app.apk", "laporan", None],
)
@pytest.mark.parametrize("mime", [None, "application/octet-stream"])
def test_documents_refused_by_extension_when_mime_says_nothing(
    name: str | None, mime: str | None
) -> None:
    error = _rejected(EvidenceFile("document", name, mime, 1000))
    assert error.code == "evidence.error.unsupported"
    assert error.params == {"name": name or mime or "document"}


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("document", "laporan.pdf.exe"),
        ("document", "makro.xlsm"),
        ("document", "skrip.JS"),
        ("photo", "foto.scr"),
    ],
)
def test_executable_names_are_refused_even_with_an_accepted_mime_type(
    kind: EvidenceKind, name: str
) -> None:
    f = EvidenceFile(kind, name, "application/pdf", 1000)
    assert _rejected(f).code == "evidence.error.unsupported"


def test_file_at_the_limit_is_accepted() -> None:
    check_evidence(EvidenceFile("document", "a.pdf", "application/pdf", LIMIT), max_bytes=LIMIT)


def test_unknown_size_is_not_refused() -> None:
    check_evidence(EvidenceFile("document", "a.pdf", "application/pdf", None), max_bytes=LIMIT)


def test_too_large_names_limit_and_size_in_megabytes() -> None:
    size = int(23.4 * MEGABYTE)
    error = _rejected(EvidenceFile("document", "a.pdf", "application/pdf", size))

    assert error.code == "evidence.error.too_large"
    assert error.params == {"limit_mb": Decimal("20"), "size_mb": Decimal("23.4")}
    assert error.params_for("id") == {"limit_mb": "20", "size_mb": "23,4"}
    assert error.params_for("en") == {"limit_mb": "20", "size_mb": "23.4"}
    assert translator("id")(error.code, **error.params_for("id")).startswith(
        "Ukuran berkas 23,4 MB melebihi batas 20 MB."
    )
    assert translator("en")(error.code, **error.params_for("en")).startswith(
        "The file is 23.4 MB, over the limit of 20 MB."
    )


def test_a_file_just_over_the_limit_never_reads_as_equal_to_it() -> None:
    error = _rejected(EvidenceFile("photo", size=LIMIT + 1))
    assert error.params == {"limit_mb": Decimal("20"), "size_mb": Decimal("20.1")}


def test_a_fractional_limit_keeps_its_decimal() -> None:
    error = _rejected(EvidenceFile("photo", size=3 * MEGABYTE), max_bytes=int(2.5 * MEGABYTE))
    assert error.params_for("id") == {"limit_mb": "2,5", "size_mb": "3,0"}


def test_large_sizes_group_thousands() -> None:
    error = _rejected(EvidenceFile("photo", size=1500 * MEGABYTE))
    assert error.params_for("id")["size_mb"] == "1.500,0"
    assert error.params_for("en")["size_mb"] == "1,500.0"


def test_type_is_checked_before_size() -> None:
    error = _rejected(EvidenceFile("document", "arsip.zip", "application/zip", 10 * LIMIT))
    assert error.code == "evidence.error.unsupported"


def test_bot_download_limit() -> None:
    assert BOT_DOWNLOAD_LIMIT == 20 * 1024 * 1024


@pytest.mark.parametrize("language", ["id", "en"])
def test_refusal_lists_the_accepted_types(language: str) -> None:
    t = translator(language)
    accepted = t(ACCEPTED_DESCRIPTION_KEY)
    refusal = t("evidence.error.unsupported", name="arsip.zip")

    assert "arsip.zip" in refusal
    assert accepted in refusal  # one list, kept identical in both messages
    for kind in ("PDF", "JPG", "Word", "Excel", "PowerPoint", "OpenDocument", "CSV"):
        assert kind in accepted

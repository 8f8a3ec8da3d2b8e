"""`properbot demo` plays its whole story and shows onboarding in both languages."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from bot.demo import run_demo


async def test_demo_completes_and_shows_onboarding_in_both_languages(tmp_path: Path) -> None:
    out = io.StringIO()

    assert await run_demo(out, language="id", folder=tmp_path) == 0

    transcript = out.getvalue()
    assert "Undang-Undang Nomor 27 Tahun 2022" in transcript
    assert "Personal Data Protection" in transcript
    assert "[Setuju]  [Tidak setuju]" in transcript
    assert "[I agree]  [I do not agree]" in transcript
    assert "Sisa percobaan: 4" in transcript  # the refused wrong code
    assert "sudah digunakan oleh akun lain" in transcript  # the refused used code
    assert "Language changed to English." in transcript
    assert "[foto] Peluncuran di Kabupaten Banyuasin" in transcript  # the report's photo
    assert "(membalas) Luar biasa." in transcript  # feedback by reply
    assert "Tanggapan dari Dra. Hj. Sri Wahyuni Lestari" in transcript  # the answer
    assert "telah disetujui oleh Mentor" in transcript  # the approval
    assert "⏰ Pengingat tahapan" in transcript and "7 hari lagi" in transcript  # the reminder
    assert "Mohon kehadiran Bapak/Ibu selaku mentor" in transcript  # the mentor's seminar notice
    assert "Jadwal seminar rancangan diubah" in transcript  # the move
    # The broadcast's blocked recipient, in the organizer's words (Telegram's text stays in logs);
    # the organizer, an admin from ADMIN_TELEGRAM_IDS, is also told the coach is unreachable.
    assert "gagal terkirim (yang bersangkutan memblokir bot)" in transcript
    assert "Penerima pesan tidak dapat dihubungi" in transcript
    assert "Sebab: yang bersangkutan memblokir bot." in transcript
    assert "bot was blocked by the user" not in transcript
    # The presenter's laporan reaches the mentor; the mentor answers the notice "Hadir".
    assert "✅ Laporan versi 1 untuk seminar rancangan telah diterima" in transcript
    assert "[dokumen] 📎 Laporan seminar rancangan (versi 1)" in transcript
    assert "(Mentor): Hadir" in transcript
    # The examiner scores Sri; she sees the scores once the organizer has released them.
    assert "Nilai belum diumumkan oleh penyelenggara." in transcript
    assert "Nilai akhir (tertimbang): 85,95" in transcript
    assert (tmp_path / "berita-acara" / "berita-acara-seminar-1.pdf").exists()
    # A mixed cohort: Ridwan joins and reports with a photo on WhatsApp, his mentor answers on
    # Telegram by reply, and a day later his reminder goes as the approved template. Each
    # line says its channel.
    assert "Setiap baris diawali kanalnya: TG = Telegram, WA = WhatsApp." in transcript
    ridwan = "Ir. H. Muhammad Ridwan Effendi, M.T. (Peserta)"
    assert f"WA │ {ridwan} ➜ DAFTAR " in transcript
    assert f"WA │ {ridwan} ➜ [foto] Ruas jalan Prabumulih–Baturaja" in transcript
    bambang = "Dr. Ir. H. Bambang Suprapto Wijaya, M.M. (Mentor)"
    assert f"TG │   bot ➜ {bambang}: [foto] Ruas jalan Prabumulih–Baturaja" in transcript
    assert f"TG │   bot ➜ {bambang}: 📋 Laporan kemajuan dari Ir. H. Muhammad Ridwan" in transcript
    assert f"TG │ {bambang} ➜ (membalas) Bagus. Mohon lampirkan peta" in transcript
    assert f"WA │   bot ➜ {ridwan}: 💬 *Umpan balik* dari Mentor" in transcript
    assert f"WA │ {ridwan} ➜ (membalas) Siap Pak, peta menyusul besok pagi." in transcript
    assert f"TG │   bot ➜ {bambang}: ↩️ Tanggapan dari Ir. H. Muhammad Ridwan" in transcript
    assert f"WA │   bot ➜ {ridwan}: [templat properbot_reminder] Pengingat tahapan" in transcript
    assert "Sosialisasi JALAN MULUS ke kecamatan ditargetkan selesai" in transcript
    assert "Skenario selesai: 26 langkah berhasil" in transcript
    assert f"Berkas hasil demo (grafik PNG, XLSX, PDF) ada di folder: {tmp_path}" in transcript

    _check_files(tmp_path)


def _check_files(folder: Path) -> None:
    """The story ends with the organizer's chart, the spreadsheet and Sri's portfolio."""
    with Image.open(folder / "rekap.png") as chart:
        assert chart.width >= 600 and len(chart.convert("RGB").getcolors(1 << 24) or []) > 50
    (workbook_path,) = folder.glob("*.xlsx")
    workbook = load_workbook(workbook_path, read_only=True)
    assert workbook.sheetnames[6] == "Waktu tanggapan" and "Bahan seminar" in workbook.sheetnames
    participants = list(workbook.worksheets[0].values)
    assert any(row and "Sri Wahyuni" in str(row[0]) for row in participants[1:])
    (portfolio_path,) = folder.glob("*.pdf")
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(portfolio_path).pages)
    assert "Peluncuran aplikasi SIPANDU di 5 kabupaten" in pdf_text
    assert "Luar biasa" in pdf_text  # the mentor's feedback


async def test_demo_in_english_completes_with_each_person_pressing_in_their_language(
    tmp_path: Path,
) -> None:
    """`properbot demo --language en`: the transcript is in English, while people whose chats
    are in Indonesian still press Indonesian buttons (the organizer, the presenter)."""
    out = io.StringIO()

    assert await run_demo(out, language="en", folder=tmp_path) == 0

    transcript = out.getvalue()
    assert "Scenario completed: 26 steps passed" in transcript
    assert "Admin BPSDM (Organizer (penyelenggara)) presses [Lewati]" in transcript
    assert "presses [Laporan]" in transcript

"""`properbot demo` plays its whole story and shows onboarding in both languages."""

from __future__ import annotations

import io

from bot.demo import run_demo


async def test_demo_completes_and_shows_onboarding_in_both_languages() -> None:
    out = io.StringIO()

    assert await run_demo(out, language="id") == 0

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
    assert "kehadiran Bapak/Ibu sebagai mentor wajib" in transcript  # the mentor's seminar notice
    assert "Jadwal seminar rancangan diubah" in transcript  # the move
    assert "bot was blocked by the user" in transcript  # the broadcast's blocked recipient
    assert "Skenario selesai: 15 langkah berhasil" in transcript

"""Tests of fakegram, the fake Telegram Bot API server."""

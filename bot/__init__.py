"""The composition root, settings, command line, demo and the Telegram sender."""

import os

# Opt in to python-telegram-bot's coming `RetryAfter.retry_after` as a timedelta (bot/sender.py
# reads both forms), so every 429 does not log a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

"""Bundled Telegram Bot API specification (api.json) that fakegram validates calls against."""

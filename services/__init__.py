"""Domain operations on the database: plain async functions, no Telegram, one session handed in."""

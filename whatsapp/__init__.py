"""The WhatsApp front end on the WhatsApp Cloud API (pywa_async): its webhook, the adapter that
turns incoming messages into the core's inputs, and the sender's WhatsApp half. Like bot/ and
handlers/ for Telegram, nothing below services/ knows it."""

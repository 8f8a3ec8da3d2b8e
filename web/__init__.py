"""The web front: one ASGI app for Telegram's webhook, health, readiness and metrics.

It will also carry the WhatsApp webhook and the organizer web desk; every route is registered
in `web.app.create_web_app`. Nothing here imports `telegram`: the composition root hands the
webhook a function that queues an update.
"""

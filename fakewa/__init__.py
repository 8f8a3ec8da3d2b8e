"""fakewa: a local fake WhatsApp Cloud API (Meta's Graph API) that refuses what Meta refuses.

The bot under test talks to it over real HTTP (pywa_async, or any HTTP client); the test acts
as WhatsApp users and reads what the bot sent::

    clock = ManualClock()                                    # domain.clock, shared with the bot
    async with FakeWhatsApp(clock=clock) as wa:
        client = WhatsApp(                                   # pywa_async
            phone_id=wa.phone_number_id, token=wa.access_token,
            session=wa.httpx_client(),                       # graph.facebook.com -> fakewa
        )
        await wa.set_webhook("http://127.0.0.1:PORT/whatsapp", verify_token="…")  # handshake
        wa.add_template("pengingat", "Halo {{1}}, laporan Anda ditunggu.", language="id")
        budi = wa.person("6281234567890", "Budi")
        budi.send("LAPOR")                  # signed webhook with a text message; window opens
        reply = await budi.next_reply()     # OutgoingMessage: text, buttons, rows, template…
        budi.press(reply, "Ya")             # interactive button_reply with its id, context.id
        budi.choose(menu, "Status")         # list_reply
        budi.send_image(TINY_JPEG, "bukti") # media id the bot downloads with GET /{id}
        clock.advance(timedelta(hours=25))  # the window closes: free form fails with 131047

Sends: POST /{version}/{phone_number_id}/messages for text, interactive button and list,
image, document (by media id or link) and template messages, each checked for unknown keys,
required fields and Meta's limits; read receipts. Media: POST /{phone_number_id}/media,
GET /{media_id} (a URL valid for five minutes, downloaded with the token), DELETE; media expire
after ``media_ttl`` (7 days). Templates: ``add_template`` (APPROVED or not) and
GET /{waba_id}/message_templates. Limits: the 24-hour window (131047, in a ``failed`` status
webhook as the Cloud API does, or at once with ``window_errors="response"``), the pair rate to
one user (131056) and throughput (130429), with Meta's error JSON. Unknown people get a
``failed`` status with 131026.

Webhooks: incoming messages and statuses (sent, delivered, read, failed) are POSTed to the URL
given to ``set_webhook`` (after the GET hub.challenge handshake), signed with
X-Hub-Signature-256, in order, retried until answered 2xx; ``webhook_posts`` records them,
``repeat_webhook`` delivers one twice. The server records ``calls``, ``errors``, ``outgoing``,
``incoming``, ``media`` and ``unimplemented``; ``await wait_for(predicate)`` wakes on every
call, webhook answer and action.
"""

from fakewa.actors import FakePerson
from fakewa.errors import GraphError
from fakewa.limits import Limits
from fakewa.records import ApiCall, IncomingMessage, Media, OutgoingMessage, Template, WebhookPost
from fakewa.server import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_SECRET,
    GRAPH_VERSION,
    FakeWhatsApp,
    WaitTimeout,
)
from fakewa.webhook import SIGNATURE_HEADER, Verification, sign

__all__ = [
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_APP_SECRET",
    "GRAPH_VERSION",
    "SIGNATURE_HEADER",
    "ApiCall",
    "FakePerson",
    "FakeWhatsApp",
    "GraphError",
    "IncomingMessage",
    "Limits",
    "Media",
    "OutgoingMessage",
    "Template",
    "Verification",
    "WaitTimeout",
    "WebhookPost",
    "sign",
]

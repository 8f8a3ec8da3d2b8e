"""What-if runs of bench/updates.py with in-process patches; no application file is changed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import types
from typing import Any

import _bench_path  # noqa: F401 (first: the project's packages before bench/)

FIXES = ("sniffio", "noping", "concurrent")
HELP = {
    "sniffio": "stub the sniffio module httpcore imports (and fails to find) on every request",
    "noping": "engine without pool_pre_ping",
    "concurrent": "ApplicationBuilder.concurrent_updates(True)",
}


def apply(fixes: set[str]) -> None:
    if "sniffio" in fixes:
        stub = types.ModuleType("sniffio")
        stub.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
        sys.modules["sniffio"] = stub
    if "concurrent" in fixes:
        import bot.app

        class Builder(bot.app.ApplicationBuilder):  # type: ignore[type-arg]
            def build(self) -> Any:
                self.concurrent_updates(True)
                return super().build()

        bot.app.ApplicationBuilder = Builder  # type: ignore[misc]
    if "noping" in fixes:
        import models.db

        create = models.db.create_async_engine

        def without_ping(url: Any, **kwargs: Any) -> Any:
            return create(url, **{**kwargs, "pool_pre_ping": False})

        models.db.create_async_engine = without_ping  # type: ignore[assignment]


async def api_call_cost(users: int, per_user: int, extra: list[int]) -> None:
    """The echo baseline with k extra Bot API calls (sendChatAction) per update."""
    import updates
    from telegram import Update
    from telegram.ext import ContextTypes

    for k in extra:

        async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE, k: int = k) -> None:
            message = update.effective_message
            assert message is not None and message.text is not None
            for _ in range(k):
                await context.bot.send_chat_action(message.chat_id, "typing")
            await message.reply_text(message.text)

        updates.echo = echo  # type: ignore[assignment]
        phase, problems = await updates.run_baseline(users, per_user, 60)
        print(
            f"extra calls {k}: {phase.updates_per_s:6.1f} updates/s, "
            f"{1000 * phase.cpu / phase.updates:.2f} ms CPU per update"
            + (f"  PROBLEMS {problems[:2]}" if problems else "")
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, epilog="; ".join(HELP.values()))
    parser.add_argument("--fix", action="append", choices=FIXES, default=[])
    parser.add_argument(
        "--api-cost", action="store_true", help="measure one extra Bot API call per update"
    )
    args, rest = parser.parse_known_args()
    apply(set(args.fix))
    if args.api_cost:
        asyncio.run(api_call_cost(50, 7, [0, 1, 2, 3]))
        return 0
    import updates

    return updates.main(rest)


if __name__ == "__main__":
    sys.exit(main())

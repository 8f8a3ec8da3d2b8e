"""How `properbot audit` words an entry: the action from the catalog, the key facts on one line."""

from __future__ import annotations

from bot.cli_person import action_name, describe_details
from domain.i18n import translator


def test_known_actions_read_as_words_and_unknown_ones_as_themselves() -> None:
    assert action_name(translator("id"), "person.erase") == "Data pribadi dihapus"
    assert action_name(translator("en"), "export.portfolio") == "Portfolio exported"
    assert action_name(translator("en"), "something.new") == "something.new"


def test_details_keep_the_facts_and_skip_the_empty() -> None:
    line = describe_details(
        {
            "format": "xlsx",
            "tables": ["participants", "milestones"],
            "rows": {"participants": 2, "feedback": 1},
            "attachment": None,
            "groups": [],
        }
    )
    assert (
        line == "format=xlsx, tables=participants,milestones, rows=(feedback: 1, participants: 2)"
    )
    assert describe_details({}) == "-"

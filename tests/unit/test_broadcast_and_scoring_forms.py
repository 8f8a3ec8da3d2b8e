"""/umumkan's and /penguji's buttons and drafts: every button a form shows decodes to what it
was made from, forged data to nothing; a draft read back from its JSON is the same draft."""

from __future__ import annotations

import json

import pytest

from domain import actions
from domain.actions import BroadcastAction, BroadcastChoice
from domain.forms import Choice
from domain.roles import Role
from handlers import callbacks
from handlers.scoring import opened_by
from services.broadcast_form import Attachment, BroadcastDraft
from services.scoring_form import ScoreDraft


@pytest.mark.parametrize(
    "choice",
    [
        BroadcastChoice(BroadcastAction.COHORT, "12"),
        BroadcastChoice(BroadcastAction.ROLE, Role.EXAMINER.value),
        BroadcastChoice(BroadcastAction.SEMINAR_GROUP, "0"),
        *(BroadcastChoice(a) for a in BroadcastAction),
    ],
)
def test_a_broadcast_choice_is_a_form_value_that_decodes_to_itself(
    choice: BroadcastChoice,
) -> None:
    value = choice.encode()
    Choice("label", value)  # a value the form buttons carry (raises otherwise)
    assert BroadcastChoice.decode(value) == choice


@pytest.mark.parametrize("value", ["", "z", "zz-1", "-1", "q-participant"])
def test_a_value_no_broadcast_button_carries_decodes_to_nothing(value: str) -> None:
    assert BroadcastChoice.decode(value) is None


def test_every_examiner_button_opens_something_and_forged_ones_nothing() -> None:
    made = [
        actions.examiner_list(),
        actions.examiner_presenter(3, 41),
        actions.score_criterion(3, 41, 5),
        actions.examiner_comment(3, 41),
        actions.submit_scores(3, 41),
        actions.confirm_scores(3, 41),
    ]
    for data in made:
        assert callbacks.pattern(callbacks.EXAMINER).match(data), data
        assert opened_by(data) is not None, data
    for forged in (
        "pg1:p:3",  # an id short
        "pg1:c:3:41",  # no criterion
        "pg1:p:abc:1",
        "pg1:p:-3:41",
        "pg1:l:1",
        "pg1:z:3:41",
        "pg1:p:3:41:9",
        f"pg1:p:{2**63}:41",
        "nl1:d:3",
    ):
        assert opened_by(forged) is None, forged


def test_the_drafts_survive_their_json() -> None:
    draft = BroadcastDraft(
        every_cohort=True,
        cohort_id=7,
        cohort="PKP IV",
        text="Rapat pleno.",
        attachment=Attachment(kind="photo", channel="telegram", ref="AgAC"),
        roles=[Role.PARTICIPANT, Role.COACH],
        seminar_group="A",
        groups=True,
        seminar_groups=["A", "B"],
        group_count=1,
        album_warned="1234",
    )
    stored = json.loads(json.dumps(draft.to_json()))
    assert BroadcastDraft.of(stored) == draft
    # The file in the channel-neutral shape the announcement keeps.
    assert stored["attachment"] == {"kind": "photo", "channel": "telegram", "ref": "AgAC"}
    assert BroadcastDraft.of(BroadcastDraft(every_cohort=False).to_json()).roles == list(
        (Role.PARTICIPANT, Role.MENTOR, Role.COACH, Role.EXAMINER, Role.ADMIN)
    )
    for score in (ScoreDraft(3, 41, 2), ScoreDraft(3, 41)):
        assert ScoreDraft.of(json.loads(json.dumps(score.to_json()))) == score

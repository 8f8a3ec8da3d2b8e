"""Errors a user can cause and fix; each carries a message-catalog key and its parameters."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something the user asked for cannot be done; `key` renders the reason in their language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


class UnknownCohort(UserFacingError):
    """No cohort by that name; `known` (up to 10 names) and the closest `suggestion` help the
    user type it right."""

    def __init__(
        self, name: str, known: tuple[str, ...] = (), suggestion: str | None = None
    ) -> None:
        if suggestion is not None:
            super().__init__(
                "error.cohort.unknown_suggest",
                name=name,
                suggestion=suggestion,
                known=", ".join(known),
            )
        elif known:
            super().__init__("error.cohort.unknown_list", name=name, known=", ".join(known))
        else:
            super().__init__("error.cohort.unknown", name=name)

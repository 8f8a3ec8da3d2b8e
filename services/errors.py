"""Errors a user can cause and fix; each carries a message-catalog key and its parameters."""

from __future__ import annotations


class UserFacingError(Exception):
    """Something the user asked for cannot be done; `key` renders the reason in their language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


class UnknownCohort(UserFacingError):
    def __init__(self, name: str) -> None:
        super().__init__("error.cohort.unknown", name=name)

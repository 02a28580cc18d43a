"""What can go wrong with an NCIP call, as exceptions the callers tell apart.

``NcipUnavailable`` (the ILS did not answer, answered garbage, or the schema is not installed) is worth
trying again later; ``NcipProblem`` (the ILS read the message and answered with ``Problem`` elements)
is not, unless staff change something first. ``NcipProblem`` has one subclass per problem the workflow
reacts to; any other problem type is a plain ``NcipProblem`` carrying the ILS's words.
"""

from __future__ import annotations

from dataclasses import dataclass


class NcipError(Exception):
    """Base of every NCIP failure."""


class NcipUnavailable(NcipError):
    """No usable answer: network, timeout, HTTP status, an unreadable or schema-invalid response. Retry later."""


class NcipConfigurationError(NcipUnavailable):
    """Something of ours stops the call (no schema installed, no endpoint): retrying helps once it is fixed."""


class InvalidMessage(NcipError):
    """A message we built is not valid against the schema: a bug of ours, never sent."""


@dataclass(frozen=True)
class Problem:
    """One ``Problem`` element of an NCIP response."""

    type: str
    detail: str = ""
    element: str = ""
    value: str = ""

    def __str__(self) -> str:
        words = self.type
        if self.detail:
            words += f": {self.detail}"
        if self.value and self.value not in self.detail:
            words += f" ({self.element + ' ' if self.element else ''}{self.value})"
        return words


class NcipProblem(NcipError):
    """The ILS answered with one or more Problem elements; ``problems`` holds them, the first decides the class."""

    def __init__(self, problems: list[Problem], service: str = "") -> None:
        self.problems = list(problems)
        self.service = service
        super().__init__("; ".join(str(p) for p in self.problems) or "Problem")

    @property
    def problem(self) -> Problem:
        return self.problems[0]

    @property
    def reason(self) -> str:
        """The ILS's own words for the first problem (its detail, else its type)."""
        return self.problem.detail or self.problem.type


class UnknownUser(NcipProblem):
    """The ILS does not know the user id we sent."""


class UserBlocked(NcipProblem):
    """The ILS knows the user but will not let them borrow (blocked, ineligible, expired)."""


class UnknownItem(NcipProblem):
    """The ILS does not know the item id we sent."""


class DuplicateItem(NcipProblem):
    """The ILS already has an item with the id we asked it to create."""


class UnsupportedService(NcipProblem):
    """The ILS (or its profile) does not offer the service."""


def problem_class(problem_type: str) -> type[NcipProblem]:
    """The exception class for an NCIP ProblemType value (the standard's words, compared loosely)."""
    words = " ".join(problem_type.lower().replace("_", " ").split())
    if "unknown user" in words or "user not found" in words:
        return UnknownUser
    if "blocked" in words or "ineligible" in words or "user authentication failed" in words or "expired" in words:
        return UserBlocked
    if "unknown item" in words or "item not found" in words or "no item" in words:
        return UnknownItem
    if "duplicate item" in words or "item already exists" in words:
        return DuplicateItem
    if "unsupported service" in words or "service not supported" in words or "unsupported message" in words:
        return UnsupportedService
    return NcipProblem

"""Errors a user can meet. Each carries a message written for that user: what, where, what to do."""

from __future__ import annotations


class AnnotatorError(Exception):
    """Base of every error the CLI and the UI show as a message rather than a traceback."""


class PermissionDenied(AnnotatorError):
    def __init__(self, actor_name: str, action: str, needed: str):
        super().__init__(f"{actor_name} may not {action}: this needs the {needed} role.")
        self.actor_name, self.action, self.needed = actor_name, action, needed


class NotFound(AnnotatorError):
    pass


class AlreadyExists(AnnotatorError):
    pass


class ConfigError(AnnotatorError):
    """A project or task configuration that the task kind does not accept."""


class InvalidAnswer(AnnotatorError):
    """An answer (or gold answer, or prediction) that does not fit the task kind."""


class AuthenticationFailed(AnnotatorError):
    pass


class SchemaOutOfDate(AnnotatorError):
    pass


class BadInput(AnnotatorError):
    """Bad input in a file being imported. Names the file, the line or field, and what was expected."""

    def __init__(self, file: str, problem: str, *, line: int | None = None, field: str | None = None):
        where = str(file)
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.field, self.problem = str(file), line, field, problem


class QueueError(AnnotatorError):
    """The queue cannot give this user an item; the message says why."""


class NothingLeft(QueueError):
    pass


class UserPaused(QueueError):
    pass


class NotQualified(QueueError):
    pass


class NotYourAssignment(AnnotatorError):
    pass


class AssignmentClosed(AnnotatorError):
    """The assignment was already submitted, reviewed or skipped."""


class BundleRefused(AnnotatorError):
    """An offline bundle that cannot be checked in here: from another database, changed
    outside Annotator, or not a bundle at all. Nothing was written."""


class NotAMember(QueueError):
    """A team database's user opened a project they are no member of."""


class RefusedByServer(AnnotatorError):
    """The database server refused: the connected login lacks the right (docs/adr/0009)."""

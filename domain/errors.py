"""Errors raised by the rules. Each message is written for the person at the command line and never
contains personal data (names, birth dates, addresses): only references, roles, stages and field names."""


class DomainError(ValueError):
    """A request that the rules refuse. Subclasses say which kind of refusal."""


class PolicyError(DomainError):
    """A jurisdiction policy file that is missing or invalid; the message names the file and the field."""


class NotAuthorized(DomainError):
    """The actor's role may not perform this act under the case's policy."""


class WrongStage(DomainError):
    """The act is valid in general but not in the case's current stage."""


class InvalidRequest(DomainError):
    """The act's own input is incomplete or inconsistent (missing reasons, dates in the wrong order...)."""

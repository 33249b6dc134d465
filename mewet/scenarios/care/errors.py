"""The one error of the care team."""

from mewet.errors import MewetError


class ActionError(MewetError):
    """An action that makes no sense now (dispatching twice, helping up before arriving)."""

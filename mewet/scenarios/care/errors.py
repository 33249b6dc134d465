"""The one error of the care team."""

from mewet.texts import SaidError


class ActionError(SaidError):
    """An action that makes no sense now (dispatching twice, helping up before arriving),
    with the reason as a message (said in the reader's language where it is shown)."""

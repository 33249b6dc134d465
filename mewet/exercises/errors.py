"""What an exercise refuses."""

from mewet.errors import MewetError


class RefusedError(MewetError):
    """An input that makes no sense now (start twice, act after the end); the message says
    why. The API answers it with 409 and that reason."""

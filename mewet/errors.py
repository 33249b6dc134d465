"""The project's error hierarchy: every message says what was wrong and what to do."""

from __future__ import annotations


class MewetError(Exception):
    """Base of every error MeWeT raises on purpose; the CLI prints these without a traceback."""


class ConfigError(MewetError):
    """A setting, URL or command-line value is not usable."""


class ContractError(MewetError):
    """A topic or payload breaks the MQTT contract."""


class HomeFileError(MewetError):
    """A home (floor plan and devices) file is invalid."""


class StoreError(MewetError):
    """The time-series store refused or could not be reached.

    `refused` is True when the store answered and rejected what was sent (trying the same
    again will not help), False when it could not be reached (trying again later will).
    """

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class TransportError(MewetError):
    """The MQTT broker could not be reached or refused us."""

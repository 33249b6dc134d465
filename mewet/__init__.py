"""MeWeT: a virtual welfare-technology home and sensor lab for health-care education."""

from mewet.errors import (
    ConfigError,
    ContractError,
    HomeFileError,
    MewetError,
    StoreError,
    TransportError,
)

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "ContractError",
    "HomeFileError",
    "MewetError",
    "StoreError",
    "TransportError",
    "__version__",
]

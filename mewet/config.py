"""Settings (`MEWET_` environment variables) and the URL and duration forms of every command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mewet.contract import MAX_PAYLOAD_BYTES, MAX_SKEW_S
from mewet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class MqttUrl:
    """Where the broker is: `mqtt://user:pass@host:port`, or `mqtts://` for TLS."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> MqttUrl:
        """Parse and check an MQTT URL, saying what is wrong when it is not usable."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ConfigError(
                f"MQTT URL {url!r}: use mqtt://host:port or mqtts://host:port "
                "(user:password@ before the host when the broker needs a login)"
            )
        if not parts.hostname:
            raise ConfigError(f"MQTT URL {url!r} has no host")
        try:
            port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        except ValueError:
            raise ConfigError(f"MQTT URL {url!r}: the port must be a number 1-65535") from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "mqtts",
        )

    def __str__(self) -> str:
        login = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{login}{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """Where data goes: `sqlite:///path/file.db` or `influxdb://user:pass@host:port/database`."""

    backend: Literal["sqlite", "influxdb"]
    path: Path | None = None
    host: str = "localhost"
    port: int = 8086
    database: str = "mewet"
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> StoreUrl:
        """Parse and check a store URL, saying what is wrong when it is not usable."""
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy spells them
            raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not raw:
                raise ConfigError(f"store URL {url!r}: use sqlite:///path/to/file.db")
            return cls(backend="sqlite", path=Path(raw))
        if parts.scheme in ("influxdb", "influxdbs"):
            database = parts.path.strip("/")
            if not parts.hostname or not database:
                raise ConfigError(f"store URL {url!r}: use influxdb://user:pass@host:8086/database")
            try:
                port = parts.port or 8086
            except ValueError:
                raise ConfigError(f"store URL {url!r}: the port must be a number") from None
            return cls(
                backend="influxdb",
                host=parts.hostname,
                port=port,
                database=database,
                username=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                tls=parts.scheme == "influxdbs",
            )
        raise ConfigError(
            f"store URL {url!r}: use sqlite:///path/file.db or "
            "influxdb://user:pass@host:port/database"
        )

    def __str__(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        login = f"{self.username}:***@" if self.username else ""
        scheme = "influxdbs" if self.tls else "influxdb"
        return f"{scheme}://{login}{self.host}:{self.port}/{self.database}"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90m`, `6h`, `7d`, `30s` (or a bare number of seconds) as a timedelta."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    m = _DURATION.match(text.lower())
    if not m:
        raise ConfigError(f"duration {text!r}: use a number with s, m, h or d, e.g. 90m, 6h, 7d")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


class IngestSettings(BaseModel):
    """How ingest batches and retries."""

    batch_size: int = Field(500, ge=1, le=50_000)
    batch_seconds: float = Field(0.2, gt=0, le=60)
    receive_maximum: int = Field(2000, ge=1, le=65_535)
    session_expiry_s: int = Field(7 * 86400, ge=0)
    max_payload_bytes: int = Field(MAX_PAYLOAD_BYTES, ge=256)
    stats_every_s: float = Field(5.0, gt=0)
    max_skew_s: float = Field(
        MAX_SKEW_S, gt=0, description="How far a message's ts may be from the lab's clock."
    )


class Limits(BaseModel):
    """What one client may ask of the API: every limit answers 413, 422 or 429 with the
    reason (and `Retry-After` for 429), never a slow answer for everyone else."""

    body_bytes: int = Field(512 * 1024, ge=1024, description="Largest request body.")
    logins_per_minute: int = Field(10, ge=1, description="Sign-in attempts per address.")
    failures_before_lockout: int = Field(
        5, ge=1, description="Wrong passwords in a row before an account waits."
    )
    lockout_s: float = Field(300.0, gt=0, description="How long a locked account waits.")
    joins_per_minute: int = Field(20, ge=1, description="Join attempts per address.")
    password_checks: int = Field(
        2, ge=1, le=64, description="Password hashes checked at once (each takes ~0.2 s)."
    )
    exercises_per_teacher: int = Field(
        20, ge=1, description="Exercises a teacher may have that have not ended."
    )
    uploads_per_hour: int = Field(
        30, ge=1, description="Scenario uploads (saved versions) per teacher an hour."
    )
    notes_per_minute: int = Field(
        20, ge=1, description="Notes one person writes in an exercise a minute."
    )
    actions_per_minute: int = Field(
        30, ge=1, description="Actions one person takes in an exercise a minute."
    )
    replays_per_minute: int = Field(
        30, ge=1, description="Replays one student asks for a minute (debriefs, time travel)."
    )
    explorations: int = Field(
        30, ge=0, le=1000, description="Homes learners explore at once (each a small exercise)."
    )
    explorations_per_hour: int = Field(
        6, ge=1, description="Homes to explore one address asks for an hour."
    )
    participants_per_exercise: int = Field(
        60, ge=1, le=10_000, description="People who may join one exercise."
    )
    notes_per_exercise: int = Field(
        2000, ge=1, description="Notes an exercise keeps (the debrief's, the class's record)."
    )
    scenario_checks_per_minute: int = Field(
        120, ge=1, description="Scenario checks per teacher a minute (the editor, as she types)."
    )
    trials_per_hour: int = Field(
        30, ge=1, description="Test runs of a scenario per teacher an hour (a day each)."
    )
    devices_per_minute: int = Field(
        10, ge=1, description="Device accounts a company makes (or renews) a minute."
    )
    devices_per_company: int = Field(
        500, ge=1, description="Device accounts one company holds in the lab."
    )
    device_requests_per_minute: int = Field(
        60, ge=1, description="A company's device lists, pages and commands a minute."
    )
    device_messages_per_second: float = Field(
        200.0,
        gt=0,
        description="Messages a second one client may publish through the devices' door "
        "(beyond its burst the door stops reading it: TCP slows the sender).",
    )
    door_connections_per_address: int = Field(
        1000,
        ge=8,
        description="MQTT connections open at once from one address at the devices' door "
        "(a company's site, a school's network).",
    )
    device_message_burst: int = Field(
        2000, ge=1, description="Messages a client may send at once before it is paced."
    )
    assignments_per_hour: int = Field(
        30, ge=1, description="Self-study assignments a teacher publishes an hour."
    )
    study_runs: int = Field(
        200,
        ge=1,
        description="Learners' self-study runs begun and not paused, at once in the lab (a "
        "paused run waits for its learner until its assignment closes; 200 at speed 60 keep "
        "the API's p99 under 30 ms on 2 cores: `make bench-api`, learners).",
    )
    study_runs_kept: int = Field(
        2000,
        ge=1,
        description="Self-study runs not ended, at once in the lab (a paused one holds about "
        "1.4 MiB until it ends or its assignment closes).",
    )
    study_runs_per_hour: int = Field(
        120,
        ge=1,
        description="Self-study runs begun an hour from one address (a school's is shared).",
    )
    live_per_token: int = Field(4, ge=1, description="Live feeds open at once per sign-in.")
    connections_per_address: int = Field(
        256, ge=8, description="Open HTTP connections from one address (a school's is shared)."
    )
    header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Seconds a connection has to send a request's headers."
    )
    replays: int = Field(
        1, ge=1, le=16, description="Worker processes replaying exercises (debriefs, time travel)."
    )
    benchmarks: int = Field(
        1, ge=1, le=16, description="Companies' benchmark runs at once (a worker process each)."
    )
    conformance_runs: int = Field(
        4, ge=1, le=64, description="Companies' conformance runs at once (a process each)."
    )
    conformance_runs_per_company: int = Field(
        2, ge=1, le=64, description="Conformance runs of one company at once."
    )
    yaml_aliases: int = Field(
        0, ge=0, le=1000, description="YAML aliases (*name) a scenario file may use."
    )
    put_away_s: float = Field(
        600.0,
        ge=1,
        description="Seconds an ended exercise, or a learner's paused run, stays in memory "
        "once nobody asks about it or watches it (then it is replayed when next asked).",
    )


class Settings(BaseSettings):
    """Every setting of the lab; environment variables are `MEWET_<NAME>` (nested: `__`)."""

    model_config = SettingsConfigDict(env_prefix="MEWET_", env_nested_delimiter="__")

    mqtt_url: str | None = None
    store_url: str | None = None
    db_url: str | None = Field(
        None,
        pattern=r"^(postgresql|postgres|sqlite)(\+\w+)?://",
        max_length=500,
        description="The app's state (accounts, exercises, courses): postgresql://USER:PASSWORD"
        "@HOST:PORT/DB for several servers; default: SQLite, app.db in the data folder.",
    )
    topic_root: str = "mewet"
    data_dir: Path = Path("mewet-data")
    mqtt_port: int = Field(1883, ge=1, le=65535)
    device_port: int = Field(
        1884,
        ge=1,
        le=65535,
        description="A secured lab's listener for companies' devices and students' clients "
        "(each client's id is its user name there); the lab's own clients use mqtt_port.",
    )
    api_port: int = Field(8000, ge=1, le=65535)
    host: str = Field(
        "127.0.0.1",
        min_length=1,
        max_length=255,
        description="Where the web app and the API listen: 127.0.0.1 is this computer only; "
        "0.0.0.0 every network it is on (a class's phones on the school network).",
    )
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        max_length=300,
        description="The lab's address for the class (the join link and its QR code), e.g. "
        "https://lab.school.fi, when it is not the address the teacher's browser uses.",
    )
    workers: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Worker processes that run the exercises' homes (`mewet up`, `mewet api`): "
        "default a core but one, from three cores up; 0 runs them in the API's own process.",
    )
    server_url: str = Field(
        "",
        pattern=r"^(https?://[^\s/?#]+)?$",
        max_length=300,
        description="Where the lab's other API servers reach this one (e.g. http://api-a:8000), "
        "when several share one database (MEWET_DB_URL): each exercise runs on one of them, "
        "and the others forward to it. Empty (the default): the only server.",
    )
    publish_backlog: int = Field(1000, ge=1, le=1_000_000)
    secret_key: str | None = Field(
        None, description="Signs API tokens; default: a key kept in the data dir."
    )
    broker_access_dir: Path | None = Field(
        None, description="Where the lab writes the broker's passwd and acl files (secured)."
    )
    broker_pid_file: Path | None = Field(
        None, description="PID file of the broker, to reload its files with SIGHUP."
    )
    ha_discovery: bool = Field(
        False, description="Publish Home Assistant discovery for the simulated homes."
    )
    broker_host: str | None = Field(
        None, description="Host name students and devices use for the broker (shown on join)."
    )
    broker_port: int | None = Field(
        None, ge=1, le=65535, description="Port students and devices use (their TLS listener)."
    )
    ingest: IngestSettings = IngestSettings()
    limits: Limits = Limits()
    trusted_proxies: str = Field(
        "",
        description="Addresses of the reverse proxies whose X-Forwarded-For the API believes "
        "(comma-separated): rate limits count the client's address, not theirs. Empty (the "
        "default): no proxy, the header is not believed from anyone.",
    )

    def mqtt(self) -> MqttUrl:
        """The broker URL, defaulting to the embedded broker of `mewet up`."""
        return MqttUrl.parse(self.mqtt_url or f"mqtt://127.0.0.1:{self.mqtt_port}")

    def store(self) -> StoreUrl:
        """The store URL, defaulting to the SQLite file under the data dir."""
        return StoreUrl.parse(self.store_url or f"sqlite:///{self.data_dir / 'mewet.db'}")


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides on top (None skipped)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]

"""Several servers on one database: which server runs each exercise.

An exercise runs on one server at a time, the holder of its lease: a row naming the server
and until when it holds it. The holder says so again every `RENEW_S`, in one statement for
all its exercises. A lease not renewed for `TTL_S` (its server stopped, crashed or was cut
off) is free, and the first server to claim it (one UPDATE, atomic in both databases)
restores the exercise by replaying its kept inputs. A server that stops in good order frees
its leases at once.

An exercise nobody has asked about for a while (ended, or a learner's paused run) is put away:
its lease names no server and never runs out by itself (`AWAY`), so no server takes it over
until someone asks for it; the first server asked claims it and restores it, as any other.

Servers note themselves in `servers`: the address where the others reach them, and when they
last said they were alive. A server asked about an exercise it does not run forwards the
request to the holder's address.

Times are the database's own clock, so servers whose clocks differ still agree on when a
lease ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from mewet.exercises.db import AppDb, bound

TTL_S = 6.0
"""How long a lease holds without its server saying so again."""
RENEW_S = 2.0
"""How often a server says again that it runs its exercises (and takes the free ones)."""
LOCAL = "local"
"""The id of a server that gave no address: the only one on its database."""
AWAY = -1.0
"""The `until` of a put-away exercise's lease: free, but taken over only when asked for."""
RECENT_S = 30.0
"""A lease that ran out this recently (or not yet: a worker started again at once) was a
server's that stopped while its classes went on: its running exercises run on where they are
taken over. One freed in good order (a lab that stopped), or long ago, comes back paused."""


@dataclass(frozen=True, slots=True)
class Taken:
    """A lease claimed: from which server (this one's own, after a restart, too), and how
    long ago it ran out (0: not yet; None: freed in good order)."""

    server: str
    ago_s: float | None

    @property
    def goes_on(self) -> bool:
        """Whether a running exercise taken over runs on (its server stopped just now)."""
        return self.ago_s is not None and self.ago_s < RECENT_S


@dataclass(frozen=True, slots=True)
class Holder:
    """The server that runs an exercise: its id and its address for the other servers."""

    server: str
    url: str


class Leases:
    """The leases of one server (`server`, reached by the others at `url`)."""

    def __init__(self, db: AppDb, url: str = "", ttl_s: float = TTL_S, hosts: bool = True) -> None:
        self.db = db
        self.url = url.rstrip("/")
        self.server = self.url or LOCAL
        self.ttl_s = ttl_s
        self.hosts = hosts
        # the database's clock, in Unix seconds
        postgres = db.engine.dialect.name == "postgresql"
        self._now = (
            "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
            if postgres
            else "((julianday('now') - 2440587.5) * 86400.0)"
        )

    def alive(self) -> None:
        """Say this server is alive, and where the others reach it."""
        self.db.write(
            f"INSERT INTO servers (id, url, seen, hosts) VALUES (?, ?, {self._now}, ?)"
            f" ON CONFLICT (id) DO UPDATE SET url = excluded.url, seen = {self._now},"
            " hosts = excluded.hosts",
            (self.server, self.url, int(self.hosts)),
        )

    def claim(self, exercise: int) -> Taken | None:
        """Take the exercise's lease, if it is free (or this server's already); from whom,
        and how long ago it ran out (None: not taken)."""
        row = self.db.one(
            f"SELECT server, until, {self._now} AS now FROM leases WHERE exercise = ?",
            (exercise,),
        )
        if row is None or (row["server"] != self.server and row["until"] >= row["now"]):
            return None
        with self.db.transaction() as c:  # unless another server took it meanwhile
            done = c.execute(
                *bound(
                    f"UPDATE leases SET server = ?, until = {self._now} + ?"
                    " WHERE exercise = ? AND server = ? AND until = ?",
                    (self.server, self.ttl_s, exercise, row["server"], row["until"]),
                )
            )
        if not done.rowcount:
            return None
        freed = row["until"] <= 0
        return Taken(row["server"], None if freed else max(0.0, row["now"] - row["until"]))

    def give(self, exercise: int) -> None:
        """The lease of a new exercise, to this server."""
        self.db.write(
            f"INSERT INTO leases (exercise, server, until) VALUES (?, ?, {self._now} + ?)"
            " ON CONFLICT (exercise) DO UPDATE SET server = excluded.server,"
            " until = excluded.until",
            (exercise, self.server, self.ttl_s),
        )

    def renew(self) -> set[int]:
        """Say again that this server runs its exercises; those whose lease it still holds
        (one taken by another server while this one was cut off is that one's now)."""
        self.alive()
        self.db.write(
            f"UPDATE leases SET until = {self._now} + ? WHERE server = ?",
            (self.ttl_s, self.server),
        )
        return self.held()

    def held(self) -> set[int]:
        """The exercises whose lease is this server's (held, or left when it stopped)."""
        rows = self.db.rows("SELECT exercise FROM leases WHERE server = ?", (self.server,))
        return {int(r["exercise"]) for r in rows}

    def free(self) -> list[int]:
        """The exercises that have not ended whose lease has run out, oldest first (one that
        has ended, or was put away, is taken over when someone asks for it)."""
        rows = self.db.rows(
            "SELECT l.exercise FROM leases l JOIN exercises e ON e.id = l.exercise"
            f" WHERE l.until < {self._now} AND l.until >= 0 AND e.phase <> 'ended' ORDER BY 1"
        )
        return [int(r["exercise"]) for r in rows]

    def put_away(self, *exercises: int, ended: bool = False) -> None:
        """This server runs these exercises no more (`ended`: nor any of its own that has
        ended): whoever is asked for one next opens it."""
        away = "UPDATE leases SET server = '', until = ? WHERE server = ? AND exercise"
        with self.db.transaction() as c:
            for exercise in exercises:
                c.execute(*bound(f"{away} = ?", (AWAY, self.server, exercise)))
            if ended:
                done = "SELECT id FROM exercises WHERE phase = 'ended'"
                c.execute(*bound(f"{away} IN ({done})", (AWAY, self.server)))

    def unclaimed(self) -> None:
        """Leases for the exercises that have none (kept before there were leases), run out:
        free for the first server to claim them."""
        self.db.write(
            "INSERT INTO leases (exercise, server, until) SELECT e.id, ?, 0 FROM exercises e"
            " WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE l.exercise = e.id)",
            (self.server,),
        )

    def holder(self, exercise: int) -> Holder | None:
        """The server whose lease on the exercise holds now, if any."""
        row = self.db.one(
            "SELECT l.server, s.url FROM leases l LEFT JOIN servers s ON s.id = l.server"
            f" WHERE l.exercise = ? AND l.until >= {self._now}",
            (exercise,),
        )
        return None if row is None else Holder(row["server"], row["url"] or "")

    def peers(self, hosting: bool = False) -> list[str]:
        """The addresses of the other servers alive now (`hosting`: those that run
        exercises)."""
        rows = self.db.rows(
            f"SELECT url FROM servers WHERE id <> ? AND url <> '' AND seen >= {self._now} - ?"
            " AND hosts >= ? ORDER BY id",
            (self.server, self.ttl_s, int(hosting)),
        )
        return [str(r["url"]) for r in rows]

    def load(self) -> dict[str, int]:
        """How many exercises each server alive runs now, by its address."""
        rows = self.db.rows(
            "SELECT s.url, COUNT(l.exercise) AS n FROM servers s"
            f" LEFT JOIN leases l ON l.server = s.id AND l.until >= {self._now}"
            f" WHERE s.seen >= {self._now} - ? GROUP BY s.url",
            (self.ttl_s,),
        )
        return {str(r["url"]): int(r["n"]) for r in rows}

    def release(self, paused: bool = True) -> None:
        """This server stops: its leases are free for the others at once. Stopped in good
        order, its running exercises come back paused (the lab's pause, on their timelines);
        a worker whose front has gone (`paused=False`) hands them on running."""
        until = "0" if paused else self._now
        self.db.write(f"UPDATE leases SET until = {until} WHERE server = ?", (self.server,))
        self.db.write("DELETE FROM servers WHERE id = ?", (self.server,))

"""What an exercise refuses."""

from mewet.errors import MewetError
from mewet.texts import Said, SaidError


class RefusedError(SaidError):
    """An input that makes no sense now (start twice, act after the end); the message says
    why. The API answers it with 409 and that reason, in the asker's language."""


class InvalidInputError(MewetError):
    """An input whose values are wrong whenever it comes (a speed of 5000, an unknown room);
    the API answers it with 422 and each problem: where, and what is wrong."""

    def __init__(self, problems: list[tuple[str, Said]]) -> None:
        super().__init__("; ".join(f"{where}: {problem}" for where, problem in problems))
        self.problems = problems


class ElsewhereError(MewetError):
    """The exercise runs on another server (`url`, where the servers reach each other): the
    API forwards the request there."""

    def __init__(self, exercise: int, url: str) -> None:
        super().__init__(f"exercise {exercise} runs on {url or 'a server without an address'}")
        self.exercise = exercise
        self.url = url


class NoWorkerError(SaidError):
    """No worker process runs exercises now (they are starting, or starting again): the API
    answers 503, try again in a few seconds."""

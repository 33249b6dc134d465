"""What an exercise refuses."""

from mewet.errors import MewetError


class RefusedError(MewetError):
    """An input that makes no sense now (start twice, act after the end); the message says
    why. The API answers it with 409 and that reason."""


class InvalidInputError(MewetError):
    """An input whose values are wrong whenever it comes (a speed of 5000, an unknown room);
    the API answers it with 422 and each problem: where, and what is wrong."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {problem}" for where, problem in problems))
        self.problems = problems

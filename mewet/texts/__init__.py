"""Every text the lab shows, keyed by id, in Finnish and English: the catalogues, the messages
the lab records (`Said`), and how one is said in a language (`say`)."""

from mewet.texts.problems import problem, wrong
from mewet.texts.said import Arg, Said, SaidError, said
from mewet.texts.words import DEFAULT, LANGUAGES, catalogue, choose, number, say

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "Arg",
    "Said",
    "SaidError",
    "catalogue",
    "choose",
    "number",
    "problem",
    "said",
    "say",
    "wrong",
]

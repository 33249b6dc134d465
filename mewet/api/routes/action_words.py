"""The actions in the words of Finnish care work: a button's label and what it does, per
role (the same action name means a different step for home care and for a relative), from
the catalogues' `action_labels`."""

from __future__ import annotations

from mewet.texts import catalogue


def action_words(role: str, name: str, lang: str) -> tuple[str, str]:
    """An action's button label and description in `lang`."""
    label, description = catalogue(lang)["action_labels"][role][name]
    return str(label), str(description)

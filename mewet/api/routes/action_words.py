"""The actions in the words of Finnish care work: a button's label and what it does, per
role (the same action name means a different step for home care and for a relative)."""

from __future__ import annotations

ACTIONS_FI: dict[str, dict[str, tuple[str, str]]] = {
    "alarm_centre": {
        "answer": ("vastaa hälytykseen", "Ota hälytys vastaan (tapaus)."),
        "talk": ("puhu asukkaalle", "Puhu asukkaan kanssa turvapuhelimen kautta (tapaus)."),
        "dispatch_home_care": ("lähetä kotihoito", "Lähetä kotihoito paikalle (tapaus)."),
        "dispatch_paramedics": (
            "hälytä ensihoito",
            "Ilmoita hätäkeskukseen: ensihoito, kiireellisyysluokka A-D (tapaus).",
        ),
        "call_relative": ("soita omaiselle", "Soita asukkaan omaiselle (tapaus)."),
        "call_doctor": ("konsultoi lääkäriä", "Pyydä lääkäriltä puhelinkonsultaatio (tapaus)."),
        "call_fire_service": (
            "hälytä pelastuslaitos",
            "Ilmoita hätäkeskukseen: pelastuslaitos (tapaus).",
        ),
        "remind": ("muistuta lääkkeestä", "Muistuta asukasta väliin jääneestä lääkkeestä."),
        "close": ("sulje tapaus", "Sulje tapaus (tapaus, aiheeton hälytys kyllä/ei)."),
    },
    "home_care": {
        "arrive": ("saavu ovelle", "Saavu kotiovelle, kun matka on taitettu."),
        "unlock": ("avaa ovi", "Avaa älylukko digitaalisella avaimella ja mene sisään."),
        "assess": ("arvioi tilanne", "Arvioi asukkaan tila: mikä on hätänä?"),
        "help_up": ("auta ylös", "Auta asukas ylös lattialta (ei, jos hän on loukkaantunut)."),
        "give_fluids": ("anna juotavaa", "Anna asukkaalle juotavaa."),
        "give_meal": ("anna ruokaa", "Valmista asukkaalle jotain syötävää."),
        "bring_home": ("tuo kotiin", "Etsi lähistöltä ja tuo harhaileva asukas kotiin."),
        "call_paramedics": (
            "soita ensihoito",
            "Soita kotoa hätäkeskukseen: ensihoito, kiireellisyysluokka A-D.",
        ),
        "document": ("kirjaa", "Kirjaa käynnin tiedot (teksti)."),
        "leave": ("lähde", "Lukitse ovi ja lähde."),
    },
    "paramedic": {
        "arrive": ("saavu paikalle", "Saavu kotiovelle, kun matka on taitettu."),
        "unlock": ("mene sisään", "Mene sisään (kotihoito tai avainsäilö avaa)."),
        "assess": ("tutki potilas", "Tutki asukas."),
        "treat": ("hoida kotona", "Hoida kotona: auta ylös, nesteytä, anna ensihoito."),
        "convey": ("kuljeta sairaalaan", "Kuljeta asukas sairaalaan."),
        "leave": ("lähde", "Poistu kodista."),
    },
    "physiotherapist": {
        "set_off": ("lähde kotikäynnille", "Lähde kotikäynnille arvioimaan kaatumisriskiä."),
        "arrive": ("saavu ovelle", "Saavu kotiovelle, kun matka on taitettu."),
        "unlock": ("avaa ovi", "Avaa ovi digitaalisella avaimella ja mene sisään."),
        "assess": (
            "arvioi kaatumisriski",
            "Arvioi kaatumisriski: tasapaino, apuvälineet, koti.",
        ),
        "leave": ("lähde", "Poistu kodista."),
    },
    "doctor": {
        "consult": ("konsultoi", "Puhelinkonsultaatio asukkaasta (hoitaa sairauden)."),
    },
    "relative": {
        "answer_phone": ("vastaa puhelimeen", "Vastaa turvapuhelinkeskuksen soittoon."),
        "call_resident": ("soita asukkaalle", "Soita asukkaalle."),
        "alert_alarm_centre": (
            "ilmoita turvapuhelinkeskukseen",
            "Kerro turvapuhelinkeskukselle, ettei hän vastaa puhelimeen.",
        ),
        "set_off": ("lähde käymään", "Lähde asukkaan luo."),
        "arrive": ("saavu ovelle", "Saavu kotiovelle."),
        "unlock": ("mene sisään", "Mene sisään omalla avaimella."),
        "leave": ("lähde kotiin", "Lähde taas kotiin."),
    },
}


def action_words(role: str, name: str, description: str, lang: str) -> tuple[str, str]:
    """An action's button label and description in `lang` (English: its name in words)."""
    if lang == "fi" and name in ACTIONS_FI.get(role, {}):
        return ACTIONS_FI[role][name]
    return name.replace("_", " "), description

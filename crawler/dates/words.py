"""The words `crawler.dates.normalise` reads in dates written out (month and weekday names, relative units,
"yesterday"), as data. Lower-case; French and English, the catalogue's main languages (the other
languages go through dateparser).
"""

from __future__ import annotations

# Month abbreviations of RFC 822/2822 dates (feeds).
RFC_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

# Month names and abbreviations (French, English) -> month number.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "janvier janv jan january",
        "février fevrier févr fevr fév fev feb february",
        "mars mar march",
        "avril avr apr april",
        "mai may",
        "juin jun june",
        "juillet juil jul july",
        "août aout aug august",
        "septembre sept sep september",
        "octobre oct october",
        "novembre nov november",
        "décembre decembre déc dec december",
    ),
    1,
):
    MONTHS.update(dict.fromkeys(_names.split(), _number))

# Weekday names and abbreviations (French, English), as a regular-expression alternation.
WEEKDAY_ALT = (
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    "lun|mar|mer|jeu|ven|sam|dim|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun"
)

# Units of relative dates ("il y a 3 heures", "2 days ago") -> timedelta argument.
RELATIVE_UNITS = {
    "s": "seconds", "sec": "seconds", "secs": "seconds", "seconde": "seconds",
    "secondes": "seconds", "second": "seconds", "seconds": "seconds",
    "mn": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "m": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "heure": "hours", "heures": "hours",
    "hour": "hours", "hours": "hours",
    "j": "days", "d": "days", "jour": "days", "jours": "days", "day": "days", "days": "days",
    "semaine": "weeks", "semaines": "weeks", "week": "weeks", "weeks": "weeks", "wk": "weeks",
    "wks": "weeks", "w": "weeks",
    "mois": "months", "month": "months", "months": "months",
    "an": "years", "ans": "years", "année": "years", "années": "years", "year": "years",
    "years": "years", "yr": "years", "yrs": "years",
}  # fmt: skip

# Words for "one" before a unit ("il y a une heure", "an hour ago").
ONE_WORDS = {"un": 1, "une": 1, "a": 1, "an": 1, "one": 1}

# Day words -> offset in days from the fetch date.
DAY_WORDS = {
    "avant-hier": -2, "avant hier": -2, "hier": -1, "yesterday": -1,
    "aujourd'hui": 0, "aujourdhui": 0, "today": 0,
}  # fmt: skip

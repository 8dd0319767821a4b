"""Drawing one demo member: a realistic Vietnamese name, a record as of a day, and the numbers
(record, card, citizen ID) handed out in admission order."""

import datetime
import random

from cells.choices import (
    Gender,
)

from .drawing import pick
from .province_data import (
    AGE_BANDS,
    CITIZEN_ID_PREFIX,
    CLINIC_JOBS,
    ETHNIC_FAMILY_NAMES,
    ETHNICITIES,
    FAMILY_NAMES,
    FEMALE_GIVEN,
    FEMALE_MIDDLE,
    FEMALE_SHARE,
    HAMLET_JOBS,
    MALE_GIVEN,
    MALE_MIDDLE,
    PROVINCE_CODE,
    RELIGIONS,
    SECOND_MIDDLE,
    PersonPlan,
)


def years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def day_between(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    return lo + datetime.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def draw_full_name(rng: random.Random, *, gender: str, birth_year: int, ethnicity: str) -> str:
    ethnic = ETHNIC_FAMILY_NAMES.get(ethnicity)
    family = rng.choice(ethnic) if ethnic else pick(rng, FAMILY_NAMES)
    older = birth_year < 1975
    if gender == Gender.MALE:
        common = "Văn" if rng.random() < (0.6 if older else 0.25) else None
        middle = common or rng.choice(MALE_MIDDLE[1:])
        given = rng.choice(MALE_GIVEN)
    else:
        common = "Thị" if rng.random() < (0.7 if older else 0.35) else None
        middle = common or rng.choice(FEMALE_MIDDLE[1:])
        if common and rng.random() < 0.15:
            middle += " " + rng.choice(SECOND_MIDDLE)
        given = rng.choice(FEMALE_GIVEN)
    while given == middle.split()[-1]:
        given = rng.choice(MALE_GIVEN if gender == Gender.MALE else FEMALE_GIVEN)
    return f"{family} {middle} {given}"


def person_record(
    rng: random.Random, *, kind: str, ref: datetime.date, place: str, probationary_share=0.03
) -> dict:
    """One member's record as of `ref` (today, or the day they left)."""
    gender = Gender.FEMALE if rng.random() < FEMALE_SHARE[kind] else Gender.MALE
    probationary = rng.random() < probationary_share
    if probationary:
        age = rng.randint(19, 38)
    else:
        lo, hi = pick(rng, dict(AGE_BANDS["hamlet" if kind == "hamlet" else "staff"]))
        age = rng.randint(lo, hi)
    birth = years_later(ref, -age) - datetime.timedelta(days=rng.randint(0, 364))
    adult = years_later(birth, 18) + datetime.timedelta(days=1)
    if probationary:
        admitted = ref - datetime.timedelta(days=rng.randint(20, 330))
        full = None
    else:
        # A full member was admitted more than a year (and a recognition) before `ref`.
        latest = ref - datetime.timedelta(days=430)
        top = max(18.4, min(age - 1.3, 55.0))
        admit_age = rng.triangular(18.3, top, min(24.0, top))
        admitted = birth + datetime.timedelta(days=int(admit_age * 365.25))
        admitted = min(max(admitted, adult), latest)
        full = admitted + datetime.timedelta(days=365 + rng.randint(0, 40))
    ethnicity = pick(rng, ETHNICITIES)
    if kind == "hamlet":
        retired = age >= (60 if gender == Gender.MALE else 55)
        if retired:
            occupation = "Hưu trí" if rng.random() < 0.65 else "Làm ruộng"
        else:
            occupation = pick(rng, HAMLET_JOBS)
        professional = pick(
            rng, {"": 45, "elementary": 12, "intermediate": 22, "college": 8, "university": 13}
        )
        theory = pick(rng, {"": 55, "elementary": 35, "intermediate": 9, "advanced": 1})
    else:
        if kind == "school":
            occupation = "Giáo viên" if rng.random() < 0.85 else "Nhân viên"
        else:
            occupation = pick(rng, CLINIC_JOBS)
        if occupation in ("Giáo viên", "Bác sĩ", "Dược sĩ"):
            professional = pick(rng, {"university": 78, "master": 14, "college": 8})
        else:
            professional = pick(rng, {"intermediate": 55, "college": 30, "university": 15})
        theory = pick(rng, {"": 30, "elementary": 55, "intermediate": 15})
    if birth.year < 1972:
        education = pick(rng, {"10/10": 55, "12/12": 25, "9/12": 20})
    else:
        education = "12/12" if kind != "hamlet" or rng.random() < 0.85 else "9/12"
    return {
        "full_name": draw_full_name(rng, gender=gender, birth_year=birth.year, ethnicity=ethnicity),
        "gender": gender,
        "birth_date": birth,
        "birthplace": place if rng.random() < 0.8 else "",
        "hometown": place,
        "ethnicity": ethnicity,
        "religion": pick(rng, RELIGIONS),
        "occupation": occupation,
        "general_education": education,
        "professional_level": professional,
        "political_theory": theory,
        "admitted_on": admitted,
        "ceremony_on": min(admitted + datetime.timedelta(days=rng.randint(7, 30)), ref),
        "full_member_on": full,
    }


def assign_numbers(rng: random.Random, persons: list[PersonPlan]) -> None:
    """Record numbers in admission order; cards for full members; citizen IDs for most."""
    n = len(persons)
    records = sorted(rng.sample(range(1, 10**6), n))
    cards = rng.sample(range(10**7, 10**8), n)
    serials = rng.sample(range(10**6), n)
    order = sorted(range(n), key=lambda i: (persons[i].fields["admitted_on"], i))
    for number, i in zip(records, order, strict=True):
        f = persons[i].fields
        f["record_number"] = f"{number:06d}{PROVINCE_CODE}"
        f["card_number"] = str(cards[i]) if f["full_member_on"] else None
        if rng.random() < 0.92:
            century = 0 if f["birth_date"].year < 2000 else 2
            sex = 0 if f["gender"] == Gender.MALE else 1
            f["citizen_id"] = (
                f"{CITIZEN_ID_PREFIX}{century + sex}{f['birth_date'].year % 100:02d}"
                f"{serials[i]:06d}"
            )
        else:
            f["citizen_id"] = None

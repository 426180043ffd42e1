"""Reproducible synthetic population: persons, enterprises and e-licences generated from a seed.

Two random streams keep the data stable over time:

* the *stable* stream (``random.Random(seed)``) builds households, couples, children and
  enterprises with ages measured against the fixed ``REFERENCE_DATE``, so every ID number in it is
  the same whenever and wherever it is generated;
* the *newborn* stream (seeded with seed and as-of date) adds babies born in the 55 days before the
  as-of date, because the child-birth bundle needs children "born within the last three months".

Same seed and same as-of date therefore give byte-identical data; the demo identities of
``demo_identities`` are inserted first and are the same for every seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from . import demo_identities as demo
from .clock import REFERENCE_DATE, age_on, years_after, years_before
from .ids import USCC_ALPHABET, make_credit_code, make_id_number
from .vocab import (
    COMPANY_WORDS,
    DISTRICT_BY_CODE,
    DISTRICTS,
    ENTERPRISE_TYPES,
    FEMALE_GIVEN,
    HOSPITALS,
    INDUSTRIES,
    LICENCE_TYPES,
    MALE_GIVEN,
    MOBILE_PREFIXES,
    PROPERTY_REGISTRY,
    SURNAMES,
    URBAN_CODES,
    District,
    civil_affairs,
    licence_number,
    market_regulator,
    police_bureau,
)

Record = dict[str, Any]

DEFAULT_PERSONS = 3000
DEFAULT_ENTERPRISES = 300
NEWBORN_WINDOW_DAYS = 55
"""Newborns are born 1..55 days before the as-of date; with the monthly epoch they stay under 3 months old."""


@dataclass
class Dataset:
    """Everything the data hub serves, keyed by ID number, credit code and licence number."""

    persons: dict[str, Record] = field(default_factory=dict)
    enterprises: dict[str, Record] = field(default_factory=dict)
    licences: dict[str, Record] = field(default_factory=dict)


def generate(seed: int, as_of: date, persons: int = DEFAULT_PERSONS, enterprises: int = DEFAULT_ENTERPRISES) -> Dataset:
    """Build the whole dataset; pure function of its arguments."""
    if as_of < REFERENCE_DATE:
        raise ValueError(f"as-of date must not be before {REFERENCE_DATE.isoformat()}")
    builder = _Builder(seed)
    with builder.stream("demo identities"):
        builder.add_demo()
    builder.add_population(persons)
    builder.add_enterprises(enterprises)
    with builder.stream(f"{seed}/newborns/{as_of.isoformat()}"):
        builder.add_newborns(as_of)
    return builder.data


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _born(person: Record) -> date:
    return date.fromisoformat(person["birth_date"])


def _ref(person: Record) -> dict[str, str]:
    """Name and ID number of a person, as certificates print them."""
    return {"name": person["name"], "id_number": person["id_number"]}


def _person_record(
    name: str, gender: str, birth: date, id_number: str, mobile: str | None, address: str, household: str | None
) -> Record:
    return {
        "id_number": id_number,
        "name": name,
        "gender": gender,
        "gender_label": "男" if gender == "male" else "女",
        "birth_date": birth.isoformat(),
        "ethnicity": "汉族",
        "mobile": mobile,
        "address": address,
        "household_number": household,
        "marital_status": "single",
        "spouse_id_number": None,
        "children": [],
        "parents": [],
        "insured": False,
        "dishonest": False,
        "enterprises": [],
    }


def _id_card_term(age_at_issue: int) -> int | None:
    """Validity of a resident ID card by age at issue (Resident ID Card Law art. 5); None means long-term."""
    if age_at_issue < 16:
        return 5
    if age_at_issue < 26:
        return 10
    return 20 if age_at_issue < 46 else None


class _Builder:
    """Accumulates the dataset while keeping every identifier unique."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.data = Dataset()
        self.used_ids: set[str] = set()
        self.used_mobiles = {person.mobile for person in demo.ADULTS.values()}
        self.used_names: set[str] = {demo.ENTERPRISE_NAME}
        self.counters: defaultdict[str, int] = defaultdict(int)
        self.couples: list[tuple[str, str, District]] = []

    @contextmanager
    def stream(self, material: str) -> Iterator[None]:
        """Draw from a separate random stream, so that one part of the data cannot shift another."""
        saved, self.rng = self.rng, random.Random(material)
        try:
            yield
        finally:
            self.rng = saved

    # -- small random pieces -------------------------------------------------------------------

    def _next(self, counter: str) -> int:
        self.counters[counter] += 1
        return self.counters[counter]

    def _day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def _birth(self, min_age: int, max_age: int) -> date:
        return self._day_between(years_before(REFERENCE_DATE, max_age + 1), years_before(REFERENCE_DATE, min_age))

    def _surname(self) -> str:
        # Squaring favours the head of the list, where the common surnames are.
        return SURNAMES[int(len(SURNAMES) * self.rng.random() ** 2)]

    def _given_name(self, gender: str) -> str:
        chars = MALE_GIVEN if gender == "male" else FEMALE_GIVEN
        length = 1 if self.rng.random() < 0.3 else 2
        return "".join(self.rng.choice(chars) for _ in range(length))

    def _mobile(self) -> str:
        while True:
            mobile = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if mobile not in self.used_mobiles:
                self.used_mobiles.add(mobile)
                return mobile

    def _id_number(self, district: District, birth: date, gender: str) -> str:
        """A fresh ID number; districts whose code did not exist at birth use an old urban code instead."""
        area = district.code if district.since <= birth.year else self.rng.choice(URBAN_CODES)
        while True:
            sequence = self.rng.randrange(1 if gender == "male" else 2, 1000, 2)
            id_number = make_id_number(area, birth, sequence)
            if id_number not in self.used_ids:
                self.used_ids.add(id_number)
                return id_number

    def _address(self, district: District) -> str:
        road = self.rng.choice(district.roads)
        lane, building = self.rng.randint(1, 1200), self.rng.randint(1, 60)
        room = f"{self.rng.randint(1, 30)}{self.rng.randint(1, 6):02d}"
        return f"上海市{district.name}{road}{lane}弄{building}号{room}室"

    def _household(self, district: District) -> tuple[str, str]:
        return f"{district.code}{self._next('household'):06d}", self._address(district)

    # -- records ---------------------------------------------------------------------------------

    def _add_person(
        self,
        gender: str,
        birth: date,
        district: District,
        address: str,
        household: str | None,
        surname: str | None = None,
    ) -> Record:
        name = (surname or self._surname()) + self._given_name(gender)
        id_number = self._id_number(district, birth, gender)
        mobile = self._mobile() if age_on(birth, REFERENCE_DATE) >= 16 else None
        person = _person_record(name, gender, birth, id_number, mobile, address, household)
        self._assign_flags(person)
        self.data.persons[id_number] = person
        return person

    def _assign_flags(self, person: Record) -> None:
        """Employee medical insurance for most working-age and retired adults; a few dishonest debtors."""
        age = age_on(_born(person), REFERENCE_DATE)
        if person["ethnicity"] == "汉族" and self.rng.random() < 0.02:
            person["ethnicity"] = self.rng.choice(("回族", "满族", "蒙古族", "壮族", "朝鲜族"))
        if age >= 22:
            person["insured"] = self.rng.random() < (0.72 if age < 60 else 0.55)
        if age >= 25:
            person["dishonest"] = self.rng.random() < 0.012

    def _licence(
        self,
        licence_type: str,
        area: str,
        holder: Record,
        issuer: str,
        issued: date,
        data: Record,
        *,
        sequence: int | None = None,
        valid_until: date | None = None,
        status: str = "valid",
    ) -> Record:
        number = licence_number(licence_type, area, sequence or self._next(licence_type))
        holder_id = holder.get("id_number") or holder["credit_code"]
        record = {
            "licence_number": number,
            "type": licence_type,
            "type_label": LICENCE_TYPES[licence_type][0],
            "holder": holder_id,
            "holder_name": holder["name"],
            "issuer": issuer,
            "issue_date": issued.isoformat(),
            "valid_until": _iso(valid_until),
            "status": status,
            "data": data,
        }
        self.data.licences[number] = record
        return record

    def _id_card(
        self,
        person: Record,
        district: District,
        issued: date,
        sequence: int | None = None,
        status: str = "valid",
    ) -> Record:
        term = _id_card_term(age_on(_born(person), issued))
        until = years_after(issued, term) if term else None
        data = {
            **_ref(person),
            "gender": person["gender_label"],
            "ethnicity": person["ethnicity"],
            "birth_date": person["birth_date"],
            "address": person["address"],
            "valid_from": issued.isoformat(),
            "valid_until": _iso(until) or "长期",
        }
        return self._licence(
            "id_card",
            district.code,
            person,
            police_bureau(district),
            issued,
            data,
            sequence=sequence,
            valid_until=until,
            status=status,
        )

    def _household_register(
        self,
        person: Record,
        head: Record,
        relation: str,
        district: District,
        issued: date,
        sequence: int | None = None,
    ) -> Record:
        data = {
            **_ref(person),
            "household_number": person["household_number"],
            "household_type": "家庭户",
            "head_name": head["name"],
            "head_id_number": head["id_number"],
            "relation_to_head": relation,
            "gender": person["gender_label"],
            "birth_date": person["birth_date"],
            "address": person["address"],
        }
        return self._licence(
            "household_register", district.code, person, police_bureau(district), issued, data, sequence=sequence
        )

    def _marriage(
        self,
        husband: Record,
        wife: Record,
        district: District,
        married: date,
        certificate: str | None = None,
        sequences: tuple[int | None, int | None] = (None, None),
    ) -> None:
        """Link the spouses and give each a marriage certificate carrying the same certificate number."""
        husband.update(marital_status="married", spouse_id_number=wife["id_number"])
        wife.update(marital_status="married", spouse_id_number=husband["id_number"])
        certificate = certificate or f"J{district.code}-{married.year}-{self._next('marriage_no'):06d}"
        data = {
            "certificate_number": certificate,
            "registration_date": married.isoformat(),
            "husband": _ref(husband),
            "wife": _ref(wife),
            "registration_authority": civil_affairs(district),
        }
        for spouse, sequence in zip((husband, wife), sequences, strict=True):
            self._licence(
                "marriage_certificate",
                district.code,
                spouse,
                civil_affairs(district),
                married,
                dict(data),
                sequence=sequence,
            )

    def _property(
        self,
        owners: list[Record],
        district: District,
        address: str,
        issued: date,
        sequence: int | None = None,
        status: str = "valid",
        certificate_no: int | None = None,
    ) -> Record:
        number = certificate_no or self._next("property_no")
        data = {
            "certificate_number": f"沪({issued.year}){district.name}不动产权第{number:06d}号",
            "location": address.removeprefix("上海市"),
            "unit_number": f"{district.code}{self.rng.randrange(10**6):06d}GB{self.rng.randrange(10**5):05d}"
            f"F{self.rng.randrange(10**8):08d}",
            "right_type": "国有建设用地使用权/房屋所有权",
            "usage": "住宅",
            "floor_area_m2": round(self.rng.uniform(35, 180), 2),
            "ownership": "共同共有" if len(owners) > 1 else "单独所有",
            "owners": [_ref(owner) for owner in owners],
        }
        return self._licence(
            "property_certificate",
            district.code,
            owners[0],
            PROPERTY_REGISTRY,
            issued,
            data,
            sequence=sequence,
            status=status,
        )

    # -- demo identities -------------------------------------------------------------------------

    def _demo_person(self, person: demo.DemoPerson, marital_status: str = "single") -> Record:
        record = _person_record(
            person.name,
            person.gender,
            person.birth_date,
            person.id_number,
            person.mobile,
            person.address,
            person.household_number,
        )
        record.update(marital_status=marital_status, insured=person.insured, dishonest=person.dishonest)
        self.used_ids.add(person.id_number)
        self.data.persons[person.id_number] = record
        return record

    def add_demo(self) -> None:
        """Insert the fixed demo adults and their licences (the demo newborn comes with the newborns)."""
        self._demo_family()
        self._demo_citizen()
        self._demo_dishonest()
        self._demo_enterprise()

    def _demo_family(self) -> None:
        xuhui = DISTRICT_BY_CODE["310104"]
        mother, father = self._demo_person(demo.MOTHER), self._demo_person(demo.FATHER)
        self._marriage(
            father, mother, xuhui, demo.MARRIAGE_DATE, demo.MARRIAGE_CERTIFICATE_NUMBER, (90000002, 90000001)
        )
        self._id_card(mother, xuhui, date(2019, 8, 1), 90000001)
        self._id_card(father, xuhui, date(2017, 4, 12), 90000002)
        self._household_register(father, father, "户主", xuhui, date(2019, 6, 3), 90000002)
        self._household_register(mother, father, "妻", xuhui, date(2019, 6, 3), 90000001)
        self.couples.append((father["id_number"], mother["id_number"], xuhui))

    def _demo_citizen(self) -> None:
        pudong, jingan = DISTRICT_BY_CODE["310115"], DISTRICT_BY_CODE["310106"]
        citizen = self._demo_person(demo.CITIZEN)
        self._id_card(citizen, pudong, date(2015, 12, 1), 90000003)
        self._household_register(citizen, citizen, "户主", pudong, date(2021, 4, 16), 90000003)
        self._property([citizen], pudong, citizen["address"], date(2021, 3, 30), 90000001, certificate_no=900001)
        old_flat = "上海市静安区江宁路77弄5号302室"
        self._property([citizen], jingan, old_flat, date(2016, 9, 8), 90000002, "revoked", certificate_no=900002)

    def _demo_dishonest(self) -> None:
        putuo = DISTRICT_BY_CODE["310107"]
        person = self._demo_person(demo.DISHONEST, "divorced")
        self._id_card(person, putuo, date(2010, 6, 1), 90000004)
        self._household_register(person, person, "户主", putuo, date(2012, 2, 20), 90000004)

    def _demo_enterprise(self) -> None:
        changning, pudong = DISTRICT_BY_CODE["310105"], DISTRICT_BY_CODE["310115"]
        rep = self._demo_person(demo.LEGAL_REP)
        self._id_card(rep, changning, date(2021, 10, 15), 90000005)
        self._household_register(rep, rep, "户主", changning, date(2008, 7, 1), 90000005)
        scope = INDUSTRIES[0][1]
        self._add_enterprise(
            demo.ENTERPRISE_CREDIT_CODE,
            demo.ENTERPRISE_NAME,
            rep,
            pudong,
            demo.ENTERPRISE_ADDRESS,
            demo.ENTERPRISE_ESTABLISHED,
            (ENTERPRISE_TYPES[0], scope, 500),
            90000001,
        )

    # -- stable population -----------------------------------------------------------------------

    def add_population(self, target: int) -> None:
        """Households until there are ``target`` persons: about 60 % couples (with children), the rest alone."""
        while len(self.data.persons) < target:
            district = self.rng.choice(DISTRICTS)
            if self.rng.random() < 0.6:
                self._family_household(district)
            else:
                self._single_household(district)

    def _family_household(self, district: District) -> None:
        household, address = self._household(district)
        husband_birth = self._birth(24, 78)
        wife_birth = husband_birth + timedelta(days=self.rng.randint(-3 * 365, 6 * 365))
        wife_birth = min(wife_birth, years_before(REFERENCE_DATE, 22))
        husband = self._add_person("male", husband_birth, district, address, household)
        wife = self._add_person("female", wife_birth, district, address, household)
        earliest = max(years_after(husband_birth, 22), years_after(wife_birth, 20))
        married = self._day_between(earliest, min(years_after(earliest, 12), years_before(REFERENCE_DATE, 1)))
        self._marriage(husband, wife, district, married)
        self.couples.append((husband["id_number"], wife["id_number"], district))
        children = self._children(husband, wife, district, married)
        head, partner = (husband, wife) if self.rng.random() < 0.7 else (wife, husband)
        members = [(head, "户主"), (partner, "妻" if partner is wife else "夫")]
        members += [(child, "子" if child["gender"] == "male" else "女") for child in children]
        self._register_household(members, district)
        if self.rng.random() < 0.4:
            self._own_flat([husband, wife], district, address)

    def _children(self, father: Record, mother: Record, district: District, married: date) -> list[Record]:
        count = self.rng.choices((0, 1, 2), weights=(3, 5, 2))[0]
        start = married + timedelta(days=300)
        end = min(years_after(_born(mother), 42), years_before(REFERENCE_DATE, 1))
        children = []
        for _ in range(count if start <= end else 0):
            gender = self.rng.choice(("male", "female"))
            birth = self._day_between(start, end)
            child = self._add_person(
                gender, birth, district, father["address"], father["household_number"], father["name"][0]
            )
            self._link_child(child, father, mother)
            children.append(child)
        return children

    @staticmethod
    def _link_child(child: Record, father: Record, mother: Record) -> None:
        child["parents"] = [father["id_number"], mother["id_number"]]
        father["children"].append(child["id_number"])
        mother["children"].append(child["id_number"])

    def _single_household(self, district: District) -> None:
        household, address = self._household(district)
        status, (low, high) = self.rng.choices(
            (("single", (22, 45)), ("divorced", (30, 70)), ("widowed", (60, 88))), weights=(6, 3, 1)
        )[0]
        person = self._add_person(
            self.rng.choice(("male", "female")), self._birth(low, high), district, address, household
        )
        person["marital_status"] = status
        self._register_household([(person, "户主")], district)
        if self.rng.random() < 0.25:
            self._own_flat([person], district, address)

    def _register_household(self, members: list[tuple[Record, str]], district: District) -> None:
        """Household-register pages for everybody, ID cards for those 16 and over (some re-issued after a loss)."""
        head = members[0][0]
        registered = self._day_between(date(2000, 1, 1), REFERENCE_DATE - timedelta(days=60))
        for person, relation in members:
            born = _born(person)
            self._household_register(person, head, relation, district, max(registered, born + timedelta(days=20)))
            if age_on(born, REFERENCE_DATE) >= 16:
                self._random_id_card(person, district)

    def _random_id_card(self, person: Record, district: District) -> None:
        sixteen = years_after(_born(person), 16)
        issued = self._day_between(max(sixteen, years_before(REFERENCE_DATE, 9)), REFERENCE_DATE - timedelta(30))
        term = _id_card_term(age_on(_born(person), issued))
        if term and years_after(issued, term) < REFERENCE_DATE + timedelta(days=365):
            issued = self._day_between(max(sixteen, REFERENCE_DATE - timedelta(days=700)), REFERENCE_DATE)
        if self.rng.random() < 0.02 and issued - timedelta(days=400) > sixteen:
            self._id_card(person, district, self._day_between(sixteen, issued - timedelta(days=400)), status="revoked")
        self._id_card(person, district, issued)

    def _own_flat(self, owners: list[Record], district: District, address: str) -> None:
        """A property certificate for the household's flat, sometimes with a revoked one for a flat sold earlier."""
        issued = self._day_between(date(2008, 1, 1), REFERENCE_DATE - timedelta(days=30))
        self._property(owners, district, address, issued)
        if self.rng.random() < 0.1:
            old_district = self.rng.choice(DISTRICTS)
            sold = self._day_between(date(2003, 1, 1), issued - timedelta(days=30))
            self._property(owners[:1], old_district, self._address(old_district), sold, status="revoked")

    # -- enterprises -----------------------------------------------------------------------------

    def add_enterprises(self, count: int) -> None:
        """Enterprises whose legal representatives are distinct, honest adults of the population."""
        demo_ids = {person.id_number for person in demo.ADULTS.values()}
        candidates = [
            person
            for person in self.data.persons.values()
            if 25 <= age_on(_born(person), REFERENCE_DATE) <= 65
            and not person["dishonest"]
            and person["id_number"] not in demo_ids
        ]
        for rep in self.rng.sample(candidates, min(count - 1, len(candidates))):
            self._random_enterprise(rep)

    def _random_enterprise(self, rep: Record) -> None:
        district = self.rng.choice(DISTRICTS)
        industry, scope = self.rng.choice(INDUSTRIES)
        name = self._enterprise_name(industry)
        established = self._day_between(date(2000, 1, 1), REFERENCE_DATE - timedelta(days=30))
        if established.year < 2016:
            org_body = f"{self.rng.randrange(10**8):08d}"
        else:
            org_body = "MA1" + "".join(self.rng.choice(USCC_ALPHABET[:26]) for _ in range(5))
        code = make_credit_code(district.code, org_body)
        if code in self.data.enterprises:
            return
        address = (
            f"上海市{district.name}{self.rng.choice(district.roads)}{self.rng.randint(1, 2000)}号"
            f"{self.rng.randint(1, 25)}层{self.rng.randint(1, 30):02d}室"
        )
        capital = self.rng.choice((10, 50, 100, 200, 500, 1000, 3000))
        closed = self.rng.random() < 0.02
        self._add_enterprise(
            code,
            name,
            rep,
            district,
            address,
            established,
            (self.rng.choice(ENTERPRISE_TYPES), scope, capital),
            closed=closed,
        )

    def _enterprise_name(self, industry: str) -> str:
        while True:
            name = f"上海{self.rng.choice(COMPANY_WORDS)}{self.rng.choice(COMPANY_WORDS)}{industry}有限公司"
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _add_enterprise(
        self,
        code: str,
        name: str,
        rep: Record,
        district: District,
        address: str,
        established: date,
        kind: tuple[str, str, int],
        sequence: int | None = None,
        closed: bool = False,
    ) -> None:
        """The enterprise record and its business licence (revoked when the enterprise is deregistered)."""
        enterprise_type, scope, capital = kind
        enterprise = {
            "credit_code": code,
            "name": name,
            "enterprise_type": enterprise_type,
            "legal_representative_id_number": rep["id_number"],
            "legal_representative_name": rep["name"],
            "registered_address": address,
            "registered_capital": f"{capital}万元人民币",
            "registered_capital_wan_yuan": capital,
            "established_date": established.isoformat(),
            "business_term": "长期",
            "business_scope": scope,
            "registration_authority": market_regulator(district),
            "status": "注销" if closed else "存续",
            "dishonest": False,
        }
        self.data.enterprises[code] = enterprise
        rep["enterprises"].append(code)
        data = {
            key: enterprise[key]
            for key in (
                "name",
                "credit_code",
                "enterprise_type",
                "legal_representative_name",
                "registered_capital",
                "established_date",
                "business_term",
                "business_scope",
                "registered_address",
            )
        }
        self._licence(
            "business_licence",
            district.code,
            enterprise,
            market_regulator(district),
            established,
            data,
            sequence=sequence,
            status="revoked" if closed else "valid",
        )

    # -- newborns --------------------------------------------------------------------------------

    def add_newborns(self, as_of: date) -> None:
        """Babies born shortly before ``as_of`` (the caller gives them their own random stream)."""
        with self.stream("demo newborn"):
            self._demo_newborn(as_of)
        for father_id, mother_id, district in self.couples[1:]:
            father, mother = self.data.persons[father_id], self.data.persons[mother_id]
            youngest = max((_born(self.data.persons[child]) for child in mother["children"]), default=None)
            if not 22 <= age_on(_born(mother), as_of) <= 40 or (youngest and youngest > date(2024, 1, 1)):
                continue
            if self.rng.random() < 0.1:
                birth = as_of - timedelta(days=self.rng.randint(1, NEWBORN_WINDOW_DAYS))
                gender = self.rng.choice(("male", "female"))
                baby = self._add_person(gender, birth, district, father["address"], None, father["name"][0])
                self._link_child(baby, father, mother)
                self._birth_certificate(baby, father, mother, self.rng.choice(HOSPITALS), as_of)

    def _demo_newborn(self, as_of: date) -> None:
        baby = self._demo_person(demo.newborn(as_of))
        father, mother = self.data.persons[demo.FATHER_ID_NUMBER], self.data.persons[demo.MOTHER_ID_NUMBER]
        self._link_child(baby, father, mother)
        hospital = (demo.BIRTH_HOSPITAL, "310104")
        self._birth_certificate(baby, father, mother, hospital, as_of, demo.BIRTH_CERTIFICATE_NUMBER, 90000001)

    def _birth_certificate(
        self,
        baby: Record,
        father: Record,
        mother: Record,
        hospital: tuple[str, str],
        as_of: date,
        certificate: str | None = None,
        sequence: int | None = None,
    ) -> None:
        """出生医学证明 issued by the hospital a day or two after birth; the holder is the baby."""
        born = _born(baby)
        hospital_name, hospital_area = hospital
        data = {
            "certificate_number": certificate or f"Q31{self._next('birth_no'):07d}",
            "child_name": baby["name"],
            "child_gender": baby["gender_label"],
            "birth_date": baby["birth_date"],
            "birth_time": f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}",
            "birth_place": f"上海市{DISTRICT_BY_CODE[hospital_area].name}",
            "hospital": hospital_name,
            "gestational_weeks": self.rng.randint(37, 41),
            "birth_weight_g": self.rng.randint(2600, 4200),
            "birth_length_cm": self.rng.randint(47, 53),
            "mother": _ref(mother),
            "father": _ref(father),
        }
        issued = min(born + timedelta(days=self.rng.randint(1, 2)), as_of)
        self._licence("birth_medical_certificate", hospital_area, baby, hospital_name, issued, data, sequence=sequence)

"""Fixed demo identities that tests, demos and fixtures of other parts can rely on.

They are the same for every seed (the generator inserts them first and keeps random records clear
of their numbers), and their checksums are computed, never typed, so they are always valid.
Only the newborn moves: it is born 20 days before the data epoch (first day of the current month,
see ``clock.data_epoch``) so that it is always "born within the last three months". Use
``newborn(as_of)`` when the data hub runs with an explicit ``--as-of``.

The table in docs/datahub.md lists the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .clock import data_epoch
from .ids import make_credit_code, make_id_number
from .vocab import licence_number


@dataclass(frozen=True)
class DemoPerson:
    """A demo natural person; ``id_number`` is derived so that its check digit is right by construction."""

    name: str
    gender: str
    birth_date: date
    area_code: str
    sequence: int
    mobile: str | None
    address: str
    household_number: str | None
    insured: bool = False
    dishonest: bool = False

    @property
    def id_number(self) -> str:
        """GB 11643 number built from area code, birth date and sequence."""
        return make_id_number(self.area_code, self.birth_date, self.sequence)


# (a) A married, insured couple in Xuhui with a newborn daughter: the child-birth bundle's applicant.
FAMILY_ADDRESS = "上海市徐汇区漕溪北路88弄12号1502室"
FAMILY_HOUSEHOLD_NUMBER = "310104900001"
MOTHER = DemoPerson(
    "林晓雯",
    "female",
    date(1992, 3, 15),
    "310104",
    46,
    "13916880001",
    FAMILY_ADDRESS,
    FAMILY_HOUSEHOLD_NUMBER,
    insured=True,
)
FATHER = DemoPerson(
    "陈浩然",
    "male",
    date(1990, 7, 22),
    "310104",
    31,
    "13916880002",
    FAMILY_ADDRESS,
    FAMILY_HOUSEHOLD_NUMBER,
    insured=True,
)
MARRIAGE_DATE = date(2019, 5, 20)
MARRIAGE_CERTIFICATE_NUMBER = "J310104-2019-900001"
NEWBORN_NAME = "陈若汐"
NEWBORN_AGE_DAYS = 20
BIRTH_HOSPITAL = "中国福利会国际和平妇幼保健院"
BIRTH_CERTIFICATE_NUMBER = "Q310900001"


def newborn(as_of: date | None = None) -> DemoPerson:
    """The couple's daughter, born ``NEWBORN_AGE_DAYS`` before ``as_of`` (default: this month's data epoch).

    She has no household number yet: registering her household is what the child-birth bundle does.
    """
    birth = (as_of or data_epoch()) - timedelta(days=NEWBORN_AGE_DAYS)
    return DemoPerson(NEWBORN_NAME, "female", birth, "310104", 82, None, FAMILY_ADDRESS, None)


# (b) An ordinary citizen in Pudong (born before Pudong's code existed, so his ID carries Jing'an's code).
CITIZEN = DemoPerson(
    "赵文博",
    "male",
    date(1985, 11, 2),
    "310106",
    57,
    "13916880003",
    "上海市浦东新区张杨路500弄3号801室",
    "310115900002",
    insured=True,
)
# (c) A person on the dishonest-debtor list (失信被执行人).
DISHONEST = DemoPerson(
    "刘德胜",
    "male",
    date(1978, 5, 20),
    "310107",
    15,
    "13916880004",
    "上海市普陀区曹杨路300弄8号402室",
    "310107900003",
    dishonest=True,
)
# (d) An enterprise and its legal representative.
LEGAL_REP = DemoPerson(
    "孙丽华",
    "female",
    date(1980, 9, 9),
    "310105",
    68,
    "13916880005",
    "上海市长宁区仙霞路99弄6号1201室",
    "310105900004",
    insured=True,
)
ENTERPRISE_NAME = "上海明远信息科技有限公司"
ENTERPRISE_CREDIT_CODE = make_credit_code("310115", "MA1H7Q2K")
ENTERPRISE_ADDRESS = "中国（上海）自由贸易试验区世纪大道1500号12层1201室"
ENTERPRISE_ESTABLISHED = date(2018, 6, 12)

MOTHER_ID_NUMBER, MOTHER_NAME, MOTHER_MOBILE = MOTHER.id_number, MOTHER.name, MOTHER.mobile
FATHER_ID_NUMBER, FATHER_NAME, FATHER_MOBILE = FATHER.id_number, FATHER.name, FATHER.mobile
CITIZEN_ID_NUMBER, CITIZEN_NAME, CITIZEN_MOBILE = CITIZEN.id_number, CITIZEN.name, CITIZEN.mobile
DISHONEST_ID_NUMBER, DISHONEST_NAME, DISHONEST_MOBILE = DISHONEST.id_number, DISHONEST.name, DISHONEST.mobile
LEGAL_REP_ID_NUMBER, LEGAL_REP_NAME, LEGAL_REP_MOBILE = LEGAL_REP.id_number, LEGAL_REP.name, LEGAL_REP.mobile
NEWBORN = newborn()
NEWBORN_ID_NUMBER = NEWBORN.id_number
NEWBORN_BIRTH_DATE = NEWBORN.birth_date

# E-licence numbers (sequences 9000xxxx never collide with generated ones).
MOTHER_ID_CARD_LICENCE = licence_number("id_card", "310104", 90000001)
FATHER_ID_CARD_LICENCE = licence_number("id_card", "310104", 90000002)
MOTHER_HOUSEHOLD_LICENCE = licence_number("household_register", "310104", 90000001)
FATHER_HOUSEHOLD_LICENCE = licence_number("household_register", "310104", 90000002)
MOTHER_MARRIAGE_LICENCE = licence_number("marriage_certificate", "310104", 90000001)
FATHER_MARRIAGE_LICENCE = licence_number("marriage_certificate", "310104", 90000002)
NEWBORN_BIRTH_CERTIFICATE_LICENCE = licence_number("birth_medical_certificate", "310104", 90000001)
CITIZEN_ID_CARD_LICENCE = licence_number("id_card", "310115", 90000003)
CITIZEN_HOUSEHOLD_LICENCE = licence_number("household_register", "310115", 90000003)
CITIZEN_PROPERTY_LICENCE = licence_number("property_certificate", "310115", 90000001)
CITIZEN_REVOKED_PROPERTY_LICENCE = licence_number("property_certificate", "310106", 90000002)
DISHONEST_ID_CARD_LICENCE = licence_number("id_card", "310107", 90000004)
DISHONEST_HOUSEHOLD_LICENCE = licence_number("household_register", "310107", 90000004)
LEGAL_REP_ID_CARD_LICENCE = licence_number("id_card", "310105", 90000005)
LEGAL_REP_HOUSEHOLD_LICENCE = licence_number("household_register", "310105", 90000005)
ENTERPRISE_BUSINESS_LICENCE = licence_number("business_licence", "310115", 90000001)

ADULTS: dict[str, DemoPerson] = {
    "mother": MOTHER,
    "father": FATHER,
    "citizen": CITIZEN,
    "dishonest": DISHONEST,
    "legal_rep": LEGAL_REP,
}
"""The demo adults by role; the newborn is separate because it depends on the as-of date."""

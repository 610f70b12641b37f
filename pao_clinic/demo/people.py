"""The people in a demo record: names, NHS and hospital numbers, contact details, GP.

Nobody here is real: NHS numbers come from the 999 test range (999 000 0000 to
999 999 9999, never issued to a person), phone numbers from Ofcom's drama range
(07700 900000 to 07700 900999), addresses are on invented streets with ZZ postcodes,
e-mail is at example.org.  About 1 % of women have a hospital number only (no NHS
number), as in real clinics.  Names are mostly common in the UK, a quarter from wider
Europe and beyond (letters outside ASCII, apostrophes, spaces and hyphens).
"""

from __future__ import annotations

import random
import unicodedata
from operator import mul

from pao_clinic.demo.choosing import one_of
from pao_clinic.record import Contact, GeneralPractitioner

_GIVEN_NAMES_UK = (
    "Amelia", "Olivia", "Emily", "Sophie", "Jessica", "Charlotte", "Hannah", "Lucy",
    "Emma", "Laura", "Sarah", "Rebecca", "Katie", "Amy", "Rachel", "Gemma", "Hayley",
    "Megan", "Holly", "Georgia", "Eleanor", "Harriet", "Alice", "Grace", "Ellie",
    "Lauren", "Natalie", "Victoria", "Jennifer", "Claire", "Nicola", "Helen", "Priya",
    "Aisha", "Fatima", "Amira", "Sana", "Zainab", "Rhiannon", "Catrin", "Ffion",
    "Seren", "Kirsty", "Fiona", "Eilidh", "Morag", "Ayesha", "Jaspreet", "Mei",
    "Ngozi", "Abena", "Yetunde", "Anna-Marie", "Mary-Kate",
)
_GIVEN_NAMES_WIDER = (
    "Zoë", "Siobhán", "Łucja", "Chloé", "Aoife", "Niamh", "Saoirse", "Róisín",
    "Éabha", "Sinéad", "Anaïs", "Renée", "Małgorzata", "Agnieszka", "Zuzanna",
    "Åsa", "Signý", "Thảo", "Ngọc", "Mairéad", "Bríd", "Noémie", "Inês", "Çiğdem",
    "Søs", "Dagný", "Jolanta", "Gráinne", "Oonagh", "D'Arcy",
)
_FAMILY_NAMES_UK = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Roberts", "Johnson", "Wright", "Walker", "Robinson", "Thompson",
    "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin",
    "Jackson", "Clarke", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward",
    "Moore", "King", "Watson", "Baker", "Harrison", "Morgan", "Patel", "Khan",
    "Ahmed", "Ali", "Begum", "Hussain", "Singh", "Kaur", "Shah", "Campbell",
    "Stewart", "MacDonald", "Murray", "Reid", "Kelly", "Murphy", "Okafor", "Mensah",
    "Chen", "Wong", "Evans-Jones", "Lloyd-Williams", "Smith-Taylor",
)
_FAMILY_NAMES_WIDER = (
    "Nguyễn", "O'Brien", "Ní Bhriain", "Müller", "Ødegaard", "O'Connor", "D'Souza",
    "Ó Súilleabháin", "Wiśniewska", "Dąbrowska", "Kowalczyk", "Nowak", "García",
    "Núñez", "Peña", "Çelik", "Yılmaz", "Öztürk", "Schäfer", "Jørgensen", "Åberg",
    "Lefèvre", "Trần", "Phạm", "Ní Mhurchú", "Mac an tSaoi", "Nic Giolla Phádraig",
    "Żak", "Sørensen", "Brontë",
)

_FOLDED = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ı": "i", "ß": "ss", "æ": "ae", "Æ": "AE",
    "đ": "d", "Đ": "D", "ð": "d", "þ": "th",
})


def _email_part(name: str) -> str:
    """The name as lower-case ASCII letters for an example.org address."""
    plain = unicodedata.normalize("NFKD", name.translate(_FOLDED))
    return "".join(ch for ch in plain.lower() if "a" <= ch <= "z")


_EMAIL_PARTS = {name: _email_part(name) for name in
                _GIVEN_NAMES_UK + _GIVEN_NAMES_WIDER + _FAMILY_NAMES_UK + _FAMILY_NAMES_WIDER}

_STREETS = (
    "Example Street", "Sample Road", "Specimen Lane", "Placeholder Avenue",
    "Demo Close", "Fictional Crescent", "Testing Way", "Illustration Gardens",
    "Mock Terrace", "Imaginary Row", "Pretend Place", "Model Drive",
)
_TOWNS = (
    "Exampleton", "Sampleford", "Testbury", "Mockington", "Fabletown",
    "Nowhere-on-Sea", "Placeholder Heath", "Little Demoby",
)
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_PRACTICE_KINDS = ("Surgery", "Medical Centre", "Health Centre", "Family Practice", "Group Practice")
_GP_SURNAMES = (
    "Example", "Sample", "Placeholder", "Specimen", "Testwell", "Demo", "Fictitious",
    "Madeup", "Notreal", "Invented",
)
CONSULTANTS = (                      # who signs the demo's treatment decisions
    "Dr A. Consultant", "Dr B. Consultant", "Dr C. Consultant", "Prof D. Consultant",
)


_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


class Numbers:
    """Unique NHS numbers from the 999 test range and unique hospital numbers."""

    def __init__(self, rng: random.Random):
        self.r = rng.random
        self.nhs: set[str] = set()
        self.hospital: set[str] = set()

    def nhs_number(self) -> str:
        while True:
            digits = "999" + f"{int(self.r() * 1_000_000):06d}"
            total = sum(map(mul, map(int, digits), _NHS_WEIGHTS))
            check = (11 - total % 11) % 11
            if check == 10:
                continue
            number = digits + str(check)
            if number == "9999999999" or number in self.nhs:
                continue
            self.nhs.add(number)
            return number

    def hospital_number(self) -> str:
        while True:
            number = f"PAO{int(self.r() * 1_000_000):06d}"
            if number not in self.hospital:
                self.hospital.add(number)
                return number


def postcode(r) -> str:
    letters = _POSTCODE_LETTERS
    return f"ZZ{1 + int(r() * 9)} {int(r() * 10)}{letters[int(r() * 20)]}{letters[int(r() * 20)]}"


def person(r, numbers: Numbers):
    """(given name, family name, NHS number, hospital number, contact, GP) of one woman."""
    given = one_of(r, _GIVEN_NAMES_WIDER) if r() < 0.25 else one_of(r, _GIVEN_NAMES_UK)
    family = one_of(r, _FAMILY_NAMES_WIDER) if r() < 0.25 else one_of(r, _FAMILY_NAMES_UK)
    nhs = numbers.nhs_number() if r() >= 0.01 else None
    hospital = numbers.hospital_number()

    contact = None
    if r() < 0.97:
        address = code = phone = email = None
        if r() < 0.95:
            address = f"{1 + int(r() * 120)} {one_of(r, _STREETS)}, {one_of(r, _TOWNS)}"
            code = postcode(r)
        if r() < 0.85:
            phone = f"07700 900{int(r() * 1000):03d}"
        if r() < 0.7:
            email = f"{_EMAIL_PARTS[given]}.{_EMAIL_PARTS[family]}{int(r() * 100)}@example.org"
        if address or phone or email:
            contact = Contact(address=address, postcode=code, phone=phone, email=email)
    gp = None
    if r() < 0.92:
        town = one_of(r, _TOWNS)
        gp = GeneralPractitioner(
            name=f"Dr {'ABCDEFGHJKLMNPRSTW'[int(r() * 18)]}. {one_of(r, _GP_SURNAMES)}",
            practice=f"{town} {one_of(r, _PRACTICE_KINDS)}",
            address=f"{1 + int(r() * 80)} {one_of(r, _STREETS)}, {town} {postcode(r)}",
        )
    return given, family, nhs, hospital, contact, gp

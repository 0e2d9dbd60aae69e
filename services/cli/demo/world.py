"""The situation that started labbook, as data: accredited Russian labs, the survey's
supplier organisations and their backlog of test requests. Pure and seeded: the same
seed builds the same world, so a second `labbook demo` recognises what it made.

Numbers follow the cluster's survey: 1,300+ needed tests from 102 companies in 23
regions (plus a few shipping from Belarus and Uzbekistan); about 40 labs in 15+
regions. Some labs' accreditations run out soon, one lab's agent is offline, and a few
methods no Russian lab holds — the unmet demand the dashboard exists to show.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from schemas.catalogue import CATALOGUE
from schemas.planning import earliest_deadline
from schemas.regions import REGIONS_BY_CODE

NAMESPACE = uuid.UUID("6f1d3c2e-6a57-4c1e-9b0e-1ab0c0ffee00")  # demo ids and Idempotency-Keys

# What a lab of each kind is accredited for (codes from the catalogue).
FAMILIES: dict[str, tuple[str, ...]] = {
    "corrosion": ("ISO9227-NSS-96", "ISO9227-NSS-168", "ISO9227-NSS-240", "ISO9227-NSS-480", "ISO9227-NSS-720",
                  "ISO9227-AASS-96", "ISO9227-CASS-24", "CCT1-240", "ISO6270-2-CH-240", "ISO6270-2-CH-480",
                  "JASO-M609", "ISO2409"),
    "climatic": ("IEC60068-2-30-DB", "IEC60068-2-78-CAB", "IEC60068-2-14-NA", "IEC60068-2-14-NB",
                 "IEC60068-2-1-A", "IEC60068-2-2-B", "ISO16750-3-VIB", "IEC60068-2-6-FC", "IEC60068-2-64-FH",
                 "IEC60068-2-27-EA", "ISO20653-IP6X", "ISO20653-IPX9K", "ISO16750-2"),
    "emc": ("CISPR25", "ISO11452-2", "ISO11452-4", "ISO7637-2", "ISO10605"),
    "materials": ("ISO3795", "GOST25076", "FMVSS302", "UNECE-R118", "ISO6892-1", "GOST1497", "ISO188", "ISO1817",
                  "ISO4892-2-1000", "SAEJ2412"),
    "lighting": ("UNECE-R112", "UNECE-R148", "UNECE-R149", "UNECE-R48", "UNECE-R46"),
    "safety": ("UNECE-R17", "UNECE-R16", "UNECE-R90", "UNECE-R43"),
    "tyres": ("UNECE-R30", "UNECE-R54", "UNECE-R117-RR", "UNECE-R117-WET"),
}
# Asked for by suppliers, held by no lab here: vehicle EMC type approval, traction
# batteries, long cyclic corrosion and exterior weathering, tyre noise.
UNHELD = ("UNECE-R10", "UNECE-R100", "IEC60095-1", "VDA233-102", "SAEJ2527", "UNECE-R117-NOISE",
          "ISO9227-NSS-1000")

# (id suffix, region, city (None: the region's centre), kinds, agent).
# agent: "fast" answers within seconds, "slow" looks every half minute, "manual" leaves
# offers for a person, "offline" never runs (staff entered its capacity).
LAB_TABLE: tuple[tuple[str, str, str | None, tuple[str, ...], str], ...] = (
    ("togliatti-auto", "RU-SAM", "Togliatti", ("corrosion", "climatic", "materials"), "fast"),
    ("samara-climate", "RU-SAM", None, ("climatic", "emc"), "fast"),
    ("dmitrov-proving", "RU-MOS", None, ("safety", "lighting", "tyres"), "fast"),
    ("moscow-emc", "RU-MOW", None, ("emc",), "fast"),
    ("moscow-materials", "RU-MOW", None, ("materials", "corrosion"), "slow"),
    ("moscow-lighting", "RU-MOW", None, ("lighting",), "fast"),
    ("spb-corrosion", "RU-SPE", None, ("corrosion",), "fast"),
    ("spb-electronics", "RU-SPE", None, ("climatic", "emc"), "slow"),
    ("leningrad-polymer", "RU-LEN", None, ("materials",), "fast"),
    ("nn-gaz-test", "RU-NIZ", None, ("corrosion", "safety"), "fast"),
    ("nn-climate", "RU-NIZ", None, ("climatic",), "manual"),
    ("kazan-chem", "RU-TA", None, ("materials", "corrosion"), "fast"),
    ("chelny-truck", "RU-TA", "Naberezhnye Chelny", ("safety", "corrosion", "tyres"), "fast"),
    ("kaluga-components", "RU-KLU", None, ("climatic", "corrosion"), "slow"),
    ("ulyanovsk-test", "RU-ULY", None, ("corrosion", "materials"), "fast"),
    ("izhevsk-lab", "RU-UD", None, ("climatic", "materials"), "fast"),
    ("chelyabinsk-metal", "RU-CHE", None, ("materials", "corrosion"), "fast"),
    ("yaroslavl-motor", "RU-YAR", None, ("climatic", "materials"), "fast"),
    ("ekb-ural-test", "RU-SVE", None, ("corrosion", "climatic"), "slow"),
    ("perm-polymer", "RU-PER", None, ("materials",), "fast"),
    ("ufa-electronics", "RU-BA", None, ("emc", "climatic"), "fast"),
    ("vladimir-light", "RU-VLA", None, ("lighting", "climatic"), "fast"),
    ("tula-metal", "RU-TUL", None, ("materials",), "manual"),
    ("lipetsk-coating", "RU-LIP", None, ("corrosion",), "fast"),
    ("voronezh-emc", "RU-VOR", None, ("emc",), "slow"),
    ("rostov-agri", "RU-ROS", None, ("safety", "tyres"), "fast"),
    ("krasnodar-climate", "RU-KDA", None, ("climatic", "corrosion"), "fast"),
    ("novosibirsk-akadem", "RU-NVS", None, ("emc", "climatic", "materials"), "fast"),
    ("omsk-tyre", "RU-OMS", None, ("tyres",), "fast"),
    ("ryazan-test", "RU-RYA", None, ("corrosion", "materials"), "fast"),
    ("tver-wagon", "RU-TVE", None, ("materials", "safety"), "offline"),
    ("kaliningrad-avtotor", "RU-KGD", None, ("corrosion", "climatic"), "fast"),
    ("kursk-electro", "RU-KRS", None, ("emc", "climatic"), "fast"),
    ("penza-instrument", "RU-PNZ", None, ("climatic",), "fast"),
    ("saransk-light", "RU-MO", None, ("lighting",), "slow"),
    ("cheboksary-electro", "RU-CU", None, ("emc", "climatic"), "fast"),
    ("bryansk-motor", "RU-BRY", None, ("safety", "materials"), "fast"),
    ("vologda-test", "RU-VLG", None, ("materials",), "fast"),
    ("tomsk-tech", "RU-TOM", None, ("climatic", "emc"), "fast"),
    ("krasnoyarsk-cold", "RU-KYA", None, ("climatic", "corrosion"), "fast"),
)
LAPSING = {"moscow-lighting": 20, "kazan-chem": 12, "omsk-tyre": 27}  # days of accreditation left
ENDING = {"spb-corrosion": 60, "ufa-electronics": 75, "perm-polymer": 85}  # within the dashboard's 90 days

# The survey's 23 regions, weighted by how many of the 102 companies sit there, and
# the regions just across the border that ship samples to Russian labs.
SUPPLIER_REGIONS = (("RU-SAM", 14), ("RU-MOW", 11), ("RU-MOS", 8), ("RU-TA", 8), ("RU-NIZ", 7), ("RU-SPE", 6),
                    ("RU-LEN", 3), ("RU-KLU", 4), ("RU-ULY", 4), ("RU-UD", 3), ("RU-CHE", 4), ("RU-YAR", 3),
                    ("RU-SVE", 3), ("RU-PER", 2), ("RU-BA", 2), ("RU-VLA", 2), ("RU-TUL", 2), ("RU-LIP", 2),
                    ("RU-VOR", 2), ("RU-ROS", 2), ("RU-KDA", 1), ("RU-NVS", 2), ("RU-KGD", 2))
ABROAD = ("BY-MI", "BY-HM", "BY-MI", "UZ-AN", "UZ-TK")
SUPPLIERS = 102
BACKLOG, STREAM = 1000, 320  # the survey's backlog at once, then arrivals over three weeks
# What suppliers make, and the categories (catalogue) of what they test.
TRADES = (("Fasteners", "fasteners"), ("Stampings", "metal_parts"), ("Coatings", "coatings"),
          ("Plastics", "plastics"), ("Interior", "interior_trim"), ("Seals", "rubber_seals"),
          ("Electronics", "electronics"), ("Harness", "wiring"), ("Lighting", "lighting"),
          ("Glass", "glazing"), ("Seating", "seats"), ("Restraints", "seat_belts"), ("Brakes", "brakes"),
          ("Tyres", "tyres"), ("Mirrors", "mirrors"), ("Body", "body_parts"), ("Powertrain", "powertrain"),
          ("Batteries", "batteries"))
PARTS = {"fasteners": "Wheel bolt", "metal_parts": "Bracket", "coatings": "Zinc-nickel coated part",
         "plastics": "Bumper", "interior_trim": "Door panel", "rubber_seals": "Door seal",
         "electronics": "Body control unit", "wiring": "Engine harness", "lighting": "Headlamp",
         "glazing": "Windscreen", "seats": "Front seat", "seat_belts": "Seat belt", "brakes": "Brake pad",
         "tyres": "Tyre", "mirrors": "Exterior mirror", "body_parts": "Door", "powertrain": "Engine mount",
         "batteries": "Traction battery module"}


@dataclass(frozen=True)
class Window:
    method_code: str
    slots: int
    available_from: date
    available_to: date


@dataclass(frozen=True)
class Lab:
    id: str
    name: str
    region: str
    city: str
    lat: float
    lon: float
    inn: str
    certificate: str
    valid_until: date
    scope: tuple[tuple[str, int, int], ...]  # (method, max samples, price RUB)
    capacity: tuple[Window, ...]
    agent: str  # fast, slow, manual, offline

    def body(self) -> dict:
        """POST /v1/labs."""
        return {"id": self.id, "name": self.name, "inn": self.inn, "region_code": self.region, "city": self.city,
                "lat": self.lat, "lon": self.lon,
                "accreditation": {"certificate_no": self.certificate, "status": "active",
                                  "valid_until": self.valid_until.isoformat()},
                "scope": [{"method_code": m, "max_samples": n, "price_rub": p} for m, n, p in self.scope]}


@dataclass(frozen=True)
class Supplier:
    org: str
    name: str
    region: str
    category: str


@dataclass(frozen=True)
class Request:
    key: str  # the Idempotency-Key: the same on every run with this seed
    org: str
    body: dict
    backlog: bool  # submitted at once (the survey's backlog) or arriving later


@dataclass(frozen=True)
class World:
    labs: tuple[Lab, ...]
    suppliers: tuple[Supplier, ...]
    requests: tuple[Request, ...] = field(repr=False)


def inn(rnd: random.Random) -> str:
    """A 10-digit organisation INN whose check digit is right (the labs API checks it)."""
    digits = [rnd.randrange(1, 10)] + [rnd.randrange(10) for _ in range(8)]
    check = sum(d * w for d, w in zip(digits, (2, 4, 10, 3, 5, 9, 4, 6, 8))) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def _place(region: str, city: str | None) -> tuple[str, float, float]:
    r = REGIONS_BY_CODE[region]
    if city is None or city == r.centre:
        return r.centre, r.lat, r.lon
    (found,) = [c for c in r.cities if c.name == city]
    return found.name, found.lat, found.lon


def _capacity(rnd: random.Random, methods: list[str], today: date) -> tuple[Window, ...]:
    """Half a year per method; a few labs stop for a week's maintenance in the middle."""
    start, end = today + timedelta(days=1), today + timedelta(days=182)
    windows = []
    for method in methods:
        slots = rnd.choice((1, 1, 2, 2, 3, 4))
        if rnd.random() < 0.15:
            stop = start + timedelta(days=rnd.randrange(40, 90))
            windows += [Window(method, slots, start, stop), Window(method, slots, stop + timedelta(days=8), end)]
        else:
            windows.append(Window(method, slots, start, end))
    return tuple(windows)


def build_labs(rnd: random.Random, today: date) -> tuple[Lab, ...]:
    labs = []
    for i, (slug, region, city, kinds, agent) in enumerate(LAB_TABLE):
        name, lat, lon = _place(region, city)
        pool = sorted({m for kind in kinds for m in FAMILIES[kind]})
        methods = sorted(rnd.sample(pool, max(2, round(len(pool) * rnd.uniform(0.6, 1.0)))))
        days = LAPSING.get(slug) or ENDING.get(slug) or rnd.randrange(300, 1500)
        scope = tuple((m, rnd.choice((10, 20, 30)), rnd.randrange(30, 400) * 1000) for m in methods)
        labs.append(Lab(f"demo-{slug}", f"{name} {kinds[0].title()} Test Centre", region, name, lat, lon,
                        inn(rnd), f"RA.RU.21{i + 10:02d}{slug[:2].upper()}", today + timedelta(days=days),
                        scope, _capacity(rnd, methods, today), agent))
    return tuple(labs)


def build_suppliers(rnd: random.Random) -> tuple[Supplier, ...]:
    regions = [code for code, weight in SUPPLIER_REGIONS for _ in range(weight)] + list(ABROAD)
    assert len(regions) == SUPPLIERS, len(regions)
    out = []
    for i, region in enumerate(regions):
        trade, category = rnd.choice(TRADES)
        city = REGIONS_BY_CODE[region].centre
        out.append(Supplier(f"demo-sup-{i + 1:03d}", f"{city} {trade} No. {i + 1}", region, category))
    return tuple(out)


def _methods_for(category: str) -> list[str]:
    return sorted(code for code, m in CATALOGUE.items() if category in m.categories)


def build_requests(rnd: random.Random, suppliers: tuple[Supplier, ...], today: date, seed: int) -> tuple[Request, ...]:
    out = []
    for i in range(BACKLOG + STREAM):
        supplier = rnd.choice(suppliers)
        method = CATALOGUE[rnd.choice(_methods_for(supplier.category))]
        earliest = earliest_deadline(method.duration_hours, today)
        deadline = max(earliest, today + timedelta(days=rnd.randrange(14, 113)))  # 2-16 weeks
        body = {"method_code": method.code, "test_kind": rnd.choice(("certification", "validation", "periodic")),
                "component": {"name": PARTS[supplier.category], "part_number": f"{supplier.org[-3:]}-{i:04d}",
                              "category": supplier.category},
                "samples": rnd.randint(1, 6), "deadline": deadline.isoformat(), "ship_from_region": supplier.region}
        out.append(Request(str(uuid.uuid5(NAMESPACE, f"{seed}-{i}")), supplier.org, body, i < BACKLOG))
    return tuple(out)


def build(seed: int = 7, today: date | None = None) -> World:
    today = today or date.today()
    rnd = random.Random(seed)
    labs, suppliers = build_labs(rnd, today), build_suppliers(rnd)
    return World(labs, suppliers, build_requests(rnd, suppliers, today, seed))

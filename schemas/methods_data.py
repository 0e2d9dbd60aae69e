"""Raw data of the test-method catalogue: real automotive test methods.

Facts come from shared/METHODS.md (gathered from public standards pages,
certification bodies and lab sites) and the "Test-method catalogue" section of
shared/DESIGN.md. Titles are the standards' own titles, in places shortened.

``duration_hours`` is the usual length of the whole job at the lab, including
specimen conditioning; a test that itself takes minutes (tensile, cross-cut,
burning rate) is given a working-day figure. ``typical`` is True where
METHODS.md marks the duration as an estimate (E or F/E): base standards such as
ISO 9227, ISO 6270-2 or ISO 4892-2 leave the duration to the carmaker's
specification, so such a figure is only typical and a lab may override it per
scope item. ``typical`` is False where METHODS.md found the figure in a source (F).

Component categories are taken only from this fixed set: fasteners, metal_parts,
coatings, plastics, interior_trim, rubber_seals, electronics, wiring, lighting,
glazing, seats, seat_belts, brakes, tyres, mirrors, body_parts, powertrain,
batteries.

Plain data, no imports (a small helper only builds the ISO 9227 NSS rows);
schemas/catalogue.py validates it.
"""

_NSS_EN = "Corrosion tests in artificial atmospheres — Salt spray tests: neutral salt spray (NSS), {h} h"
_NSS_RU = "Коррозионные испытания в искусственных атмосферах. Испытания в нейтральном соляном тумане (NSS), {h} ч"
_NSS_CATS = ("fasteners", "metal_parts", "coatings", "body_parts")


def _nss(hours: int) -> dict:
    return {
        "code": f"ISO9227-NSS-{hours}",
        "standard": "ISO 9227:2022 (NSS)",
        "title_ru": _NSS_RU.format(h=hours),
        "title_en": _NSS_EN.format(h=hours),
        "categories": _NSS_CATS,
        "duration_hours": hours,
        "samples": 3,
        "typical": False,
    }


_UN_R = "Правила ООН № {n}. "
_UN_E = "UN Regulation No. {n}: "

METHODS: tuple[dict, ...] = (
    # --- Corrosion -----------------------------------------------------------------
    _nss(96),
    _nss(168),
    _nss(240),
    _nss(480),
    _nss(720),
    _nss(1000),
    {
        "code": "ISO9227-AASS-96",
        "standard": "ISO 9227:2022 (AASS)",
        "title_ru": "Коррозионные испытания в искусственных атмосферах. Испытания в уксуснокислом "
        "соляном тумане (AASS), 96 ч",
        "title_en": "Corrosion tests in artificial atmospheres — Salt spray tests: acetic acid salt spray "
        "(AASS), 96 h",
        "categories": ("coatings", "metal_parts", "body_parts"),
        "duration_hours": 96,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO9227-CASS-24",
        "standard": "ISO 9227:2022 (CASS)",
        "title_ru": "Коррозионные испытания в искусственных атмосферах. Испытания в соляном тумане "
        "с уксусной кислотой и хлоридом меди (CASS), 24 ч",
        "title_en": "Corrosion tests in artificial atmospheres — Salt spray tests: copper-accelerated acetic acid "
        "salt spray (CASS), 24 h",
        "categories": ("coatings", "metal_parts", "body_parts", "mirrors"),
        "duration_hours": 24,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "CCT1-240",
        "standard": "CCT-1 cyclic corrosion test (4 h salt spray / 2 h dry 60 °C / 2 h wet 50 °C)",
        "title_ru": "Циклические коррозионные испытания CCT-1: соляной туман, сушка и увлажнение, "
        "30 циклов по 8 ч",
        "title_en": "Cyclic corrosion test CCT-1: salt spray, dry and wet phases, 30 cycles of 8 h",
        "categories": ("metal_parts", "coatings", "body_parts", "fasteners"),
        "duration_hours": 240,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "JASO-M609",
        "standard": "JASO M 609-91",
        "title_ru": "Метод коррозионных испытаний автомобильных материалов (циклические испытания)",
        "title_en": "Corrosion test method for automotive materials (cyclic corrosion)",
        "categories": ("metal_parts", "coatings", "body_parts"),
        "duration_hours": 480,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "VDA233-102",
        "standard": "VDA 233-102",
        "title_ru": "Циклические коррозионные испытания материалов и компонентов в автомобилестроении",
        "title_en": "Cyclic corrosion testing of materials and components in automotive construction",
        "categories": ("body_parts", "coatings", "metal_parts"),
        "duration_hours": 1008,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO6270-2-CH-240",
        "standard": "ISO 6270-2:2017 (CH)",
        "title_ru": "Материалы лакокрасочные. Определение стойкости к воздействию влажности. Часть 2. "
        "Конденсация (испытание в камере с нагреваемым резервуаром воды), 240 ч",
        "title_en": "Paints and varnishes — Determination of resistance to humidity — Part 2: Condensation "
        "(in-cabinet exposure with heated water reservoir), 240 h",
        "categories": ("coatings", "body_parts", "metal_parts"),
        "duration_hours": 240,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO6270-2-CH-480",
        "standard": "ISO 6270-2:2017 (CH)",
        "title_ru": "Материалы лакокрасочные. Определение стойкости к воздействию влажности. Часть 2. "
        "Конденсация (испытание в камере с нагреваемым резервуаром воды), 480 ч",
        "title_en": "Paints and varnishes — Determination of resistance to humidity — Part 2: Condensation "
        "(in-cabinet exposure with heated water reservoir), 480 h",
        "categories": ("coatings", "body_parts", "metal_parts"),
        "duration_hours": 480,
        "samples": 3,
        "typical": True,
    },
    # --- Climatic ------------------------------------------------------------------
    {
        "code": "IEC60068-2-30-DB",
        "standard": "IEC 60068-2-30:2005 (Test Db)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-30. Испытание Db: влажное тепло, "
        "циклическое (цикл 12 ч + 12 ч), 6 циклов",
        "title_en": "Environmental testing — Part 2-30: Tests — Test Db: Damp heat, cyclic "
        "(12 h + 12 h cycle), 6 cycles",
        "categories": ("electronics", "wiring", "lighting"),
        "duration_hours": 144,
        "samples": 3,
        "typical": False,
    },
    {
        "code": "IEC60068-2-78-CAB",
        "standard": "IEC 60068-2-78:2012 (Test Cab)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-78. Испытание Cab: влажное тепло, "
        "постоянный режим (40 °C, 93 %)",
        "title_en": "Environmental testing — Part 2-78: Tests — Test Cab: Damp heat, steady state (40 °C, 93 % RH)",
        "categories": ("electronics", "wiring"),
        "duration_hours": 240,
        "samples": 3,
        "typical": False,
    },
    {
        "code": "IEC60068-2-14-NA",
        "standard": "IEC 60068-2-14 (Test Na)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-14. Испытание Na: быстрая смена "
        "температуры (термоудар −40/+85 °C), 100 циклов",
        "title_en": "Environmental testing — Part 2-14: Tests — Test Na: Rapid change of temperature "
        "(thermal shock −40/+85 °C), 100 cycles",
        "categories": ("electronics", "lighting", "wiring", "batteries"),
        "duration_hours": 100,
        "samples": 3,
        "typical": False,
    },
    {
        "code": "IEC60068-2-14-NB",
        "standard": "IEC 60068-2-14 (Test Nb)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-14. Испытание Nb: смена температуры "
        "с заданной скоростью, 5 циклов",
        "title_en": "Environmental testing — Part 2-14: Tests — Test Nb: Change of temperature with specified "
        "rate of change, 5 cycles",
        "categories": ("electronics", "lighting"),
        "duration_hours": 48,
        "samples": 3,
        "typical": False,
    },
    {
        "code": "IEC60068-2-1-A",
        "standard": "IEC 60068-2-1 (Test A)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-1. Испытание A: холод",
        "title_en": "Environmental testing — Part 2-1: Tests — Test A: Cold",
        "categories": ("electronics", "lighting", "wiring", "plastics"),
        "duration_hours": 72,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "IEC60068-2-2-B",
        "standard": "IEC 60068-2-2 (Test B)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-2. Испытание B: сухое тепло",
        "title_en": "Environmental testing — Part 2-2: Tests — Test B: Dry heat",
        "categories": ("electronics", "lighting", "wiring", "plastics"),
        "duration_hours": 96,
        "samples": 3,
        "typical": True,
    },
    # --- Mechanical loads on electrical / electronic equipment ---------------------
    {
        "code": "ISO16750-3-VIB",
        "standard": "ISO 16750-3 (vibration, IEC 60068-2-6 / IEC 60068-2-64)",
        "title_ru": "Транспорт дорожный. Условия окружающей среды и испытания электрического и электронного "
        "оборудования. Часть 3. Механические нагрузки: вибрация (3 оси)",
        "title_en": "Road vehicles — Environmental conditions and testing for electrical and electronic "
        "equipment — Part 3: Mechanical loads: vibration (3 axes)",
        "categories": ("electronics", "lighting", "wiring", "powertrain"),
        "duration_hours": 24,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "IEC60068-2-6-FC",
        "standard": "IEC 60068-2-6 (Test Fc)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-6. Испытание Fc: вибрация (синусоидальная)",
        "title_en": "Environmental testing — Part 2-6: Tests — Test Fc: Vibration (sinusoidal)",
        "categories": ("electronics", "lighting", "mirrors", "powertrain", "batteries"),
        "duration_hours": 24,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "IEC60068-2-64-FH",
        "standard": "IEC 60068-2-64 (Test Fh)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-64. Испытание Fh: широкополосная "
        "случайная вибрация",
        "title_en": "Environmental testing — Part 2-64: Tests — Test Fh: Vibration, broadband random",
        "categories": ("electronics", "lighting", "powertrain", "batteries"),
        "duration_hours": 24,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "IEC60068-2-27-EA",
        "standard": "IEC 60068-2-27 (Test Ea)",
        "title_ru": "Испытания на воздействие внешних факторов. Часть 2-27. Испытание Ea: удар",
        "title_en": "Environmental testing — Part 2-27: Tests — Test Ea: Shock",
        "categories": ("electronics", "lighting", "batteries"),
        "duration_hours": 8,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO20653-IP6X",
        "standard": "ISO 20653 (IP5X / IP6X dust)",
        "title_ru": "Транспорт дорожный. Степени защиты (код IP). Защита от проникновения пыли (IP5X, IP6X)",
        "title_en": "Road vehicles — Degrees of protection (IP code) — Protection against dust (IP5X, IP6X)",
        "categories": ("lighting", "electronics", "wiring"),
        "duration_hours": 8,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "ISO20653-IPX9K",
        "standard": "ISO 20653 (IPX9K water)",
        "title_ru": "Транспорт дорожный. Степени защиты (код IP). Защита от воды под высоким давлением "
        "при мойке (IPX9K)",
        "title_en": "Road vehicles — Degrees of protection (IP code) — Protection against high-pressure, "
        "high-temperature water jets (IPX9K)",
        "categories": ("lighting", "electronics", "wiring"),
        "duration_hours": 8,
        "samples": 2,
        "typical": True,
    },
    # --- Electrical loads and EMC --------------------------------------------------
    {
        "code": "ISO16750-2",
        "standard": "ISO 16750-2",
        "title_ru": "Транспорт дорожный. Условия окружающей среды и испытания электрического и электронного "
        "оборудования. Часть 2. Электрические нагрузки",
        "title_en": "Road vehicles — Environmental conditions and testing for electrical and electronic "
        "equipment — Part 2: Electrical loads",
        "categories": ("electronics", "lighting"),
        "duration_hours": 48,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO7637-2",
        "standard": "ISO 7637-2",
        "title_ru": "Транспорт дорожный. Электрические помехи от проводимости и связи. Часть 2. "
        "Переходные процессы в цепях питания",
        "title_en": "Road vehicles — Electrical disturbances from conduction and coupling — Part 2: "
        "Electrical transient conduction along supply lines only",
        "categories": ("electronics", "lighting"),
        "duration_hours": 24,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "CISPR25",
        "standard": "CISPR 25",
        "title_ru": "Транспортные средства, суда и двигатели внутреннего сгорания. Характеристики радиопомех. "
        "Нормы и методы измерений для защиты бортовых приёмников",
        "title_en": "Vehicles, boats and internal combustion engines — Radio disturbance characteristics — "
        "Limits and methods of measurement for the protection of on-board receivers",
        "categories": ("electronics", "lighting", "wiring"),
        "duration_hours": 48,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "ISO11452-2",
        "standard": "ISO 11452-2",
        "title_ru": "Транспорт дорожный. Методы испытаний компонентов на воздействие узкополосного излучаемого "
        "электромагнитного поля. Часть 2. Экранированная камера с поглощающим покрытием",
        "title_en": "Road vehicles — Component test methods for electrical disturbances from narrowband "
        "radiated electromagnetic energy — Part 2: Absorber-lined shielded enclosure",
        "categories": ("electronics", "lighting"),
        "duration_hours": 72,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "ISO11452-4",
        "standard": "ISO 11452-4",
        "title_ru": "Транспорт дорожный. Методы испытаний компонентов на воздействие узкополосного излучаемого "
        "электромагнитного поля. Часть 4. Методы возбуждения жгута проводов (BCI)",
        "title_en": "Road vehicles — Component test methods for electrical disturbances from narrowband "
        "radiated electromagnetic energy — Part 4: Harness excitation methods (BCI)",
        "categories": ("electronics", "wiring"),
        "duration_hours": 48,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "ISO10605",
        "standard": "ISO 10605",
        "title_ru": "Транспорт дорожный. Методы испытаний на воздействие электрических помех "
        "от электростатического разряда",
        "title_en": "Road vehicles — Test methods for electrical disturbances from electrostatic discharge",
        "categories": ("electronics", "lighting"),
        "duration_hours": 24,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "UNECE-R10",
        "standard": "UNECE Regulation No. 10 (R10)",
        "title_ru": _UN_R.format(n=10) + "Единообразные предписания, касающиеся официального утверждения "
        "транспортных средств в отношении электромагнитной совместимости (ЭСУ)",
        "title_en": _UN_E.format(n=10) + "Uniform provisions concerning the approval of vehicles with regard "
        "to electromagnetic compatibility (ESA)",
        "categories": ("electronics", "lighting", "wiring"),
        "duration_hours": 240,
        "samples": 2,
        "typical": True,
    },
    # --- Flammability --------------------------------------------------------------
    {
        "code": "ISO3795",
        "standard": "ISO 3795:1989",
        "title_ru": "Транспорт дорожный, тракторы и машины для сельского и лесного хозяйства. Определение "
        "характеристик горения материалов внутренней отделки",
        "title_en": "Road vehicles, and tractors and machinery for agriculture and forestry — Determination "
        "of burning behaviour of interior materials",
        "categories": ("interior_trim", "plastics", "seats"),
        "duration_hours": 24,
        "samples": 5,
        "typical": True,
    },
    {
        "code": "GOST25076",
        "standard": "GOST 25076-81",
        "title_ru": "Материалы неметаллические для отделки интерьера автотранспортных средств. "
        "Метод определения огнестойкости",
        "title_en": "Non-metallic materials for motor vehicle interior trim. Method for determination "
        "of fire resistance",
        "categories": ("interior_trim", "plastics", "seats"),
        "duration_hours": 24,
        "samples": 5,
        "typical": True,
    },
    {
        "code": "FMVSS302",
        "standard": "FMVSS No. 302",
        "title_ru": "Федеральный стандарт безопасности транспортных средств США № 302. Воспламеняемость "
        "материалов интерьера",
        "title_en": "Federal Motor Vehicle Safety Standard No. 302: Flammability of interior materials",
        "categories": ("interior_trim", "plastics", "seats"),
        "duration_hours": 24,
        "samples": 5,
        "typical": True,
    },
    {
        "code": "UNECE-R118",
        "standard": "UNECE Regulation No. 118 (R118)",
        "title_ru": _UN_R.format(n=118) + "Единообразные технические предписания, касающиеся характеристик "
        "горения и/или способности материалов, используемых в конструкции определённых категорий "
        "механических транспортных средств, отталкивать топливо или смазочные материалы",
        "title_en": _UN_E.format(n=118) + "Uniform technical prescriptions concerning the burning behaviour "
        "and/or the capability to repel fuel or lubricant of materials used in the construction of "
        "certain categories of motor vehicles",
        "categories": ("interior_trim", "plastics", "wiring", "seats"),
        "duration_hours": 72,
        "samples": 5,
        "typical": True,
    },
    # --- Type approval of components (UN Regulations) -----------------------------
    {
        "code": "UNECE-R43",
        "standard": "UNECE Regulation No. 43 (R43)",
        "title_ru": _UN_R.format(n=43) + "Единообразные предписания, касающиеся официального утверждения "
        "безопасных материалов для остекления и их установки на транспортных средствах",
        "title_en": _UN_E.format(n=43) + "Uniform provisions concerning the approval of safety glazing "
        "materials and their installation on vehicles",
        "categories": ("glazing",),
        "duration_hours": 504,
        "samples": 20,
        "typical": True,
    },
    {
        "code": "UNECE-R16",
        "standard": "UNECE Regulation No. 16 (R16)",
        "title_ru": _UN_R.format(n=16) + "Единообразные предписания, касающиеся официального утверждения "
        "ремней безопасности и удерживающих систем для лиц, находящихся в механических "
        "транспортных средствах",
        "title_en": _UN_E.format(n=16) + "Uniform provisions concerning the approval of safety-belts and "
        "restraint systems for occupants of power-driven vehicles",
        "categories": ("seat_belts",),
        "duration_hours": 504,
        "samples": 5,
        "typical": True,
    },
    {
        "code": "UNECE-R17",
        "standard": "UNECE Regulation No. 17 (R17)",
        "title_ru": _UN_R.format(n=17) + "Единообразные предписания, касающиеся официального утверждения "
        "транспортных средств в отношении сидений, их креплений и подголовников",
        "title_en": _UN_E.format(n=17) + "Uniform provisions concerning the approval of vehicles with regard "
        "to the seats, their anchorages and any head restraints",
        "categories": ("seats",),
        "duration_hours": 72,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R90",
        "standard": "UNECE Regulation No. 90 (R90)",
        "title_ru": _UN_R.format(n=90) + "Единообразные предписания, касающиеся официального утверждения "
        "сменных тормозных накладок в сборе, накладок барабанных тормозов, дисков и барабанов "
        "для механических транспортных средств и их прицепов",
        "title_en": _UN_E.format(n=90) + "Uniform provisions concerning the approval of replacement brake "
        "lining assemblies, drum brake linings and discs and drums for power-driven vehicles and "
        "their trailers",
        "categories": ("brakes",),
        "duration_hours": 336,
        "samples": 4,
        "typical": True,
    },
    {
        "code": "UNECE-R30",
        "standard": "UNECE Regulation No. 30 (R30)",
        "title_ru": _UN_R.format(n=30) + "Единообразные предписания, касающиеся официального утверждения "
        "пневматических шин для механических транспортных средств и их прицепов",
        "title_en": _UN_E.format(n=30) + "Uniform provisions concerning the approval of pneumatic tyres "
        "for motor vehicles and their trailers",
        "categories": ("tyres",),
        "duration_hours": 48,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R54",
        "standard": "UNECE Regulation No. 54 (R54)",
        "title_ru": _UN_R.format(n=54) + "Единообразные предписания, касающиеся официального утверждения "
        "пневматических шин для грузовых транспортных средств и их прицепов",
        "title_en": _UN_E.format(n=54) + "Uniform provisions concerning the approval of pneumatic tyres "
        "for commercial vehicles and their trailers",
        "categories": ("tyres",),
        "duration_hours": 47,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R117-RR",
        "standard": "UNECE Regulation No. 117 (R117), rolling resistance",
        "title_ru": _UN_R.format(n=117) + "Официальное утверждение шин в отношении сопротивления качению",
        "title_en": _UN_E.format(n=117) + "Approval of tyres with regard to rolling resistance",
        "categories": ("tyres",),
        "duration_hours": 48,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R117-WET",
        "standard": "UNECE Regulation No. 117 (R117), wet grip",
        "title_ru": _UN_R.format(n=117) + "Официальное утверждение шин в отношении сцепления на мокрых поверхностях",
        "title_en": _UN_E.format(n=117) + "Approval of tyres with regard to adhesion on wet surfaces (wet grip)",
        "categories": ("tyres",),
        "duration_hours": 168,
        "samples": 4,
        "typical": True,
    },
    {
        "code": "UNECE-R117-NOISE",
        "standard": "UNECE Regulation No. 117 (R117), rolling sound emissions",
        "title_ru": _UN_R.format(n=117) + "Официальное утверждение шин в отношении звука, издаваемого ими "
        "при качении",
        "title_en": _UN_E.format(n=117) + "Approval of tyres with regard to rolling sound emissions",
        "categories": ("tyres",),
        "duration_hours": 168,
        "samples": 4,
        "typical": True,
    },
    {
        "code": "UNECE-R112",
        "standard": "UNECE Regulation No. 112 (R112)",
        "title_ru": _UN_R.format(n=112) + "Единообразные предписания, касающиеся официального утверждения "
        "фар, испускающих асимметричный луч ближнего света и/или луч дальнего света и оснащённых "
        "лампами накаливания и/или модулями СИД",
        "title_en": _UN_E.format(n=112) + "Uniform provisions concerning the approval of motor vehicle "
        "headlamps emitting an asymmetrical passing-beam or a driving-beam or both and equipped with "
        "filament lamps and/or light-emitting diode (LED) modules",
        "categories": ("lighting",),
        "duration_hours": 168,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R148",
        "standard": "UNECE Regulation No. 148 (R148)",
        "title_ru": _UN_R.format(n=148) + "Единообразные предписания, касающиеся официального утверждения "
        "устройств световой сигнализации (огней) для механических транспортных средств и их прицепов",
        "title_en": _UN_E.format(n=148) + "Uniform provisions concerning the approval of light-signalling "
        "devices (lamps) for power-driven vehicles and their trailers",
        "categories": ("lighting",),
        "duration_hours": 168,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R149",
        "standard": "UNECE Regulation No. 149 (R149)",
        "title_ru": _UN_R.format(n=149) + "Единообразные предписания, касающиеся официального утверждения "
        "устройств (огней) и систем дорожного освещения для механических транспортных средств",
        "title_en": _UN_E.format(n=149) + "Uniform provisions concerning the approval of road illumination "
        "devices (lamps) and systems for power-driven vehicles",
        "categories": ("lighting",),
        "duration_hours": 168,
        "samples": 2,
        "typical": True,
    },
    {
        "code": "UNECE-R48",
        "standard": "UNECE Regulation No. 48 (R48)",
        "title_ru": _UN_R.format(n=48) + "Единообразные предписания, касающиеся официального утверждения "
        "транспортных средств в отношении установки устройств освещения и световой сигнализации",
        "title_en": _UN_E.format(n=48) + "Uniform provisions concerning the approval of vehicles with regard "
        "to the installation of lighting and light-signalling devices",
        "categories": ("lighting",),
        "duration_hours": 168,
        "samples": 1,
        "typical": True,
    },
    {
        "code": "UNECE-R46",
        "standard": "UNECE Regulation No. 46 (R46)",
        "title_ru": _UN_R.format(n=46) + "Единообразные предписания, касающиеся официального утверждения "
        "устройств непрямого обзора и механических транспортных средств в отношении установки "
        "этих устройств",
        "title_en": _UN_E.format(n=46) + "Uniform provisions concerning the approval of devices for indirect "
        "vision and of motor vehicles with regard to the installation of these devices",
        "categories": ("mirrors",),
        "duration_hours": 72,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "UNECE-R100",
        "standard": "UNECE Regulation No. 100 (R100), Part II (REESS)",
        "title_ru": _UN_R.format(n=100) + "Единообразные предписания, касающиеся официального утверждения "
        "транспортных средств в отношении конкретных требований к электрическому приводу; часть II: "
        "перезаряжаемая система хранения электрической энергии",
        "title_en": _UN_E.format(n=100) + "Uniform provisions concerning the approval of vehicles with regard "
        "to specific requirements for the electric power train; Part II: rechargeable electrical energy "
        "storage system (REESS)",
        "categories": ("batteries", "powertrain"),
        "duration_hours": 504,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "IEC60095-1",
        "standard": "IEC 60095-1",
        "title_ru": "Батареи аккумуляторные свинцово-кислотные стартерные. Часть 1. Общие требования "
        "и методы испытаний",
        "title_en": "Lead-acid starter batteries — Part 1: General requirements and methods of test",
        "categories": ("batteries",),
        "duration_hours": 720,
        "samples": 3,
        "typical": True,
    },
    # --- Weathering ----------------------------------------------------------------
    {
        "code": "ISO4892-2-1000",
        "standard": "ISO 4892-2",
        "title_ru": "Пластмассы. Методы экспонирования под лабораторными источниками света. Часть 2. "
        "Ксеноновые дуговые лампы, 1000 ч",
        "title_en": "Plastics — Methods of exposure to laboratory light sources — Part 2: Xenon-arc lamps, 1000 h",
        "categories": ("plastics", "interior_trim", "coatings", "body_parts", "lighting"),
        "duration_hours": 1000,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "SAEJ2527",
        "standard": "SAE J2527",
        "title_ru": "Ускоренное старение наружных материалов автомобиля в ксеноновом аппарате "
        "с контролируемой облучённостью",
        "title_en": "Performance based standard for accelerated exposure of automotive exterior materials "
        "using a controlled irradiance xenon-arc apparatus",
        "categories": ("plastics", "coatings", "body_parts", "lighting", "rubber_seals"),
        "duration_hours": 2000,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "SAEJ2412",
        "standard": "SAE J2412",
        "title_ru": "Ускоренное старение компонентов внутренней отделки автомобиля в ксеноновом аппарате "
        "с контролируемой облучённостью",
        "title_en": "Accelerated exposure of automotive interior trim components using a controlled "
        "irradiance xenon-arc apparatus",
        "categories": ("interior_trim", "plastics", "seats"),
        "duration_hours": 800,
        "samples": 3,
        "typical": True,
    },
    # --- Materials -----------------------------------------------------------------
    {
        "code": "ISO6892-1",
        "standard": "ISO 6892-1:2019",
        "title_ru": "Материалы металлические. Испытание на растяжение. Часть 1. Метод испытания "
        "при комнатной температуре",
        "title_en": "Metallic materials — Tensile testing — Part 1: Method of test at room temperature",
        "categories": ("metal_parts", "fasteners", "body_parts"),
        "duration_hours": 8,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "GOST1497",
        "standard": "GOST 1497-84",
        "title_ru": "Металлы. Методы испытаний на растяжение",
        "title_en": "Metals. Methods of tension test",
        "categories": ("metal_parts", "fasteners", "body_parts"),
        "duration_hours": 8,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO2409",
        "standard": "ISO 2409:2020",
        "title_ru": "Материалы лакокрасочные. Испытание методом решётчатого надреза",
        "title_en": "Paints and varnishes — Cross-cut test",
        "categories": ("coatings", "body_parts", "plastics"),
        "duration_hours": 8,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO188",
        "standard": "ISO 188",
        "title_ru": "Резина вулканизованная или термопластичная. Испытания на ускоренное старение "
        "и теплостойкость, 168 ч",
        "title_en": "Rubber, vulcanized or thermoplastic — Accelerated ageing and heat resistance tests, 168 h",
        "categories": ("rubber_seals", "powertrain"),
        "duration_hours": 168,
        "samples": 3,
        "typical": True,
    },
    {
        "code": "ISO1817",
        "standard": "ISO 1817",
        "title_ru": "Резина вулканизованная или термопластичная. Определение воздействия жидкостей, 72 ч",
        "title_en": "Rubber, vulcanized or thermoplastic — Determination of the effect of liquids, 72 h",
        "categories": ("rubber_seals", "powertrain"),
        "duration_hours": 72,
        "samples": 3,
        "typical": True,
    },
)

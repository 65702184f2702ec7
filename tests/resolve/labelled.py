"""A labelled set of this field's names: pairs of party names, same party or not.

Built by hand for issue 13 (c): defence firms and officials of Serbia, Bulgaria, the Czech
Republic, Slovakia, Poland, Russia and Ukraine, written as customs records, licences,
registers, sanctions lists and the press write them: Latin and Cyrillic, several
romanisations (BGN/PCGN, ISO 9, passport, Serbian and Czech Latin), with and without
diacritics, with the region's legal forms (a.d., d.o.o., j.p., AD, EAD, EOOD, AO, OAO, PAO,
OOO, JSC, s.r.o., a.s., S.A., Sp. z o.o.), places, word order, typos.

*Positives* are pairs of spellings of one party (:data:`PARTIES`: every party's first
spelling against each other one, plus a few spelling-to-spelling pairs). *Negatives* are
different parties: the hard ones written out in :data:`HARD_NEGATIVES` (firms and people
that share words, a family name, a town or a brand: ``Sloboda Čačak`` / ``Sloboda
Trgovina``, ``Aleksandar Vučić`` / ``Andrej Vučić``, ``Polska Grupa Zbrojeniowa`` /
``Polska Grupa Energetyczna``), plus each party against the next two parties of the same
country and schema. Some hard negatives are invented names (marked ``invented``): firms
that plausibly exist, written to share the words that trip matchers.

The split is by party (``dev`` for even-numbered parties, ``test`` for odd ones; hard
negatives alternate): the matcher was developed looking at ``dev`` only, and the quality
table reports ``test`` and ``all`` (docs/validation.md, "Screening").

Names and spellings are public (company registers, sanctions lists, the press); no entry
is taken from OpenSanctions data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pair:
    query: str
    candidate: str
    schema: str
    same: bool
    split: str
    note: str


#: (country, schema, spellings): the first spelling is the canonical one.
PARTIES: list[tuple[str, str, list[str]]] = [
    # -- Serbia --------------------------------------------------------------------------
    (
        "rs",
        "Company",
        [
            "Krušik a.d. Valjevo",
            "KRUSIK AD VALJEVO",
            "Крушик а.д. Ваљево",
            "Krušik AD",
            "Krusik",
            "Krušik akcionarsko društvo",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Yugoimport SDPR J.P.",
            "JUGOIMPORT-SDPR",
            "Југоимпорт СДПР Ј.П.",
            "JP Jugoimport SDPR Beograd",
            "YUGOIMPORT - SDPR",
            "Jugoimport S.D.P.R.",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Prvi Partizan a.d. Užice",
            "PRVI PARTIZAN AD UZICE",
            "Први Партизан а.д. Ужице",
            "Prvi Partizan",
            "Prvi Partizan Uzice",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Sloboda a.d. Čačak",
            "SLOBODA AD CACAK",
            "Слобода а.д. Чачак",
            "Sloboda Cacak",
            "Sloboda AD",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Zastava oružje a.d. Kragujevac",
            "ZASTAVA ORUZJE AD KRAGUJEVAC",
            "Застава оружје а.д.",
            "Zastava Oruzje",
            "Zastava Arms",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Milan Blagojević Namenska a.d. Lučani",
            "MILAN BLAGOJEVIC NAMENSKA AD LUCANI",
            "Милан Благојевић Наменска а.д.",
            "Milan Blagojevic - Namenska",
            "MB Namenska",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "Trayal Korporacija a.d. Kruševac",
            "TRAYAL KORPORACIJA AD KRUSEVAC",
            "Трајал корпорација а.д. Крушевац",
            "Trajal Korporacija",
            "Trayal Corporation",
        ],
    ),
    (
        "rs",
        "Company",
        [
            "PPT Namenska a.d. Trstenik",
            "PPT-NAMENSKA AD TRSTENIK",
            "ППТ Наменска а.д. Трстеник",
            "PPT Namenska",
        ],
    ),
    ("rs", "Company", ["EDePro d.o.o. Beograd", "EDEPRO DOO", "ЕДеПро д.о.о.", "Edepro"]),
    ("rs", "Company", ["Valir d.o.o.", "VALIR DOO BEOGRAD", "Валир д.о.о.", "Valir Ltd"]),
    (
        "rs",
        "Company",
        ["Partizan Tech d.o.o.", "PARTIZAN TECH DOO", "Партизан Тек д.о.о.", "Partizan-Tech"],
    ),
    ("rs", "Company", ["Zastava promet d.o.o.", "ZASTAVA PROMET DOO", "Застава промет д.о.о."]),
    (
        "rs",
        "Person",
        ["Slobodan Tešić", "Слободан Тешић", "TESIC, Slobodan", "Slobodan Tesic", "S. Tešić"],
    ),
    (
        "rs",
        "Person",
        ["Aleksandar Vučić", "Александар Вучић", "VUCIC, Aleksandar", "Aleksandar Vucic"],
    ),
    (
        "rs",
        "Person",
        ["Nebojša Stefanović", "Небојша Стефановић", "STEFANOVIC Nebojsa", "Nebojsa Stefanovic"],
    ),
    ("rs", "Person", ["Branko Ružić", "Бранко Ружић", "RUZIC, Branko"]),
    ("rs", "Person", ["Bratislav Gašić", "Братислав Гашић", "Bratislav Gasic", "GASIC Bratislav"]),
    ("rs", "Person", ["Miloš Vučević", "Милош Вучевић", "Milos Vucevic", "VUCEVIC, Milos"]),
    # -- Bulgaria ------------------------------------------------------------------------
    (
        "bg",
        "Company",
        [
            "Arsenal AD Kazanlak",
            "ARSENAL JSCO",
            "Арсенал АД Казанлък",
            "Arsenal AD",
            "Arsenal Kazanlak",
        ],
    ),
    ("bg", "Company", ["VMZ EAD Sopot", "ВМЗ ЕАД Сопот", "VMZ Sopot", "VMZ EAD"]),
    (
        "bg",
        "Company",
        [
            "Vazovski Mashinostroitelni Zavodi EAD",
            "Вазовски машиностроителни заводи ЕАД",
            "Vazovski Machine Building Plants",
            "VAZOVSKI MASHINOSTROITELNI ZAVODI",
        ],
    ),
    ("bg", "Company", ["Emco EOOD", "EMCO LTD", "ЕМКО ЕООД", "Emko EOOD", "Emco Ltd Sofia"]),
    ("bg", "Company", ["Kintex EAD", "KINTEX EAD", "Кинтекс ЕАД", "Kintex Ltd", "Kinteks"]),
    ("bg", "Company", ["Dunarit AD", "DUNARIT AD RUSE", "Дунарит АД", "Dunarit JSC"]),
    ("bg", "Company", ["Arcus AD", "ARCUS CO", "Аркус АД", "Arkus AD Lyaskovets"]),
    ("bg", "Company", ["Samel-90 AD", "SAMEL 90 AD", "Самел-90 АД", "Samel 90"]),
    ("bg", "Person", ["Emilian Gebrev", "Емилиян Гебрев", "Emiliyan Gebrev", "GEBREV, Emilian"]),
    (
        "bg",
        "Person",
        ["Petar Mandzhukov", "Петър Манджуков", "Petur Mandjukov", "MANDZHUKOV Petar"],
    ),
    # -- Czech Republic, Slovakia --------------------------------------------------------
    (
        "cz",
        "Company",
        [
            "Česká zbrojovka a.s.",
            "CESKA ZBROJOVKA AS",
            "Ceska Zbrojovka",
            "Česká zbrojovka Uherský Brod",
            "CZ Uhersky Brod a.s.",
        ],
    ),
    ("cz", "Company", ["Explosia a.s.", "EXPLOSIA AS", "Explosia a.s. Pardubice", "Explosia"]),
    (
        "cz",
        "Company",
        [
            "Excalibur Army spol. s r.o.",
            "EXCALIBUR ARMY SRO",
            "Excalibur Army s.r.o.",
            "Excalibur Army",
        ],
    ),
    (
        "cz",
        "Company",
        [
            "Sellier & Bellot a.s.",
            "SELLIER AND BELLOT AS",
            "Sellier a Bellot",
            "Sellier & Bellot Vlasim",
        ],
    ),
    (
        "cz",
        "Company",
        [
            "Czechoslovak Group a.s.",
            "CZECHOSLOVAK GROUP AS",
            "Czechoslovak Group",
            "CSG Czechoslovak Group",
        ],
    ),
    ("sk", "Company", ["MSM Group s.r.o.", "MSM GROUP SRO", "MSM Group", "MSM Group Ltd"]),
    ("sk", "Company", ["ZVS Holding a.s.", "ZVS HOLDING AS", "ZVS holding"]),
    ("cz", "Person", ["Michal Strnad", "STRNAD, Michal", "Michal Strnád", "M. Strnad"]),
    ("cz", "Person", ["Jaroslav Strnad", "STRNAD Jaroslav", "Jaroslav Strnád"]),
    # -- Poland --------------------------------------------------------------------------
    (
        "pl",
        "Company",
        [
            "Polska Grupa Zbrojeniowa S.A.",
            "POLSKA GRUPA ZBROJENIOWA SA",
            "Polska Grupa Zbrojeniowa",
            "Polish Armaments Group",
        ],
    ),
    (
        "pl",
        "Company",
        [
            "Mesko S.A.",
            "MESKO SA",
            "Zakłady Metalowe Mesko S.A.",
            "ZAKLADY METALOWE MESKO",
            "Mesko SA Skarzysko-Kamienna",
        ],
    ),
    (
        "pl",
        "Company",
        ["Huta Stalowa Wola S.A.", "HUTA STALOWA WOLA SA", "Huta Stalowa Wola", "HSW S.A."],
    ),
    (
        "pl",
        "Company",
        ["Nitro-Chem S.A.", "NITRO CHEM SA", "Nitro-Chem S.A. Bydgoszcz", "Nitrochem"],
    ),
    (
        "pl",
        "Company",
        [
            "Fabryka Broni Łucznik-Radom Sp. z o.o.",
            "FABRYKA BRONI LUCZNIK RADOM SP Z OO",
            "Fabryka Broni Lucznik",
            'Fabryka Broni "Łucznik" - Radom',
        ],
    ),
    (
        "pl",
        "Company",
        ["Dezamet S.A.", "DEZAMET SA", "Zakłady Metalowe Dezamet S.A.", "Dezamet Nowa Deba"],
    ),
    ("pl", "Person", ["Sebastian Chwałek", "CHWALEK, Sebastian", "Sebastian Chwalek"]),
    # -- Russia --------------------------------------------------------------------------
    (
        "ru",
        "Company",
        [
            "Rosoboronexport JSC",
            "АО «Рособоронэкспорт»",
            "ROSOBORONEKSPORT OAO",
            "Rosoboroneksport",
            "Акционерное общество Рособоронэкспорт",
            "ROSOBORONEXPORT",
        ],
    ),
    (
        "ru",
        "Company",
        [
            "Kalashnikov Concern JSC",
            "АО «Концерн «Калашников»",
            "Concern Kalashnikov",
            "Kontsern Kalashnikov AO",
            "Joint Stock Company Concern Kalashnikov",
        ],
    ),
    (
        "ru",
        "Company",
        ["Izhmash OJSC", "ОАО «Ижмаш»", "IZHMASH OAO", "Izhevskiy Mashinostroitelnyi Zavod"],
    ),
    (
        "ru",
        "Company",
        [
            "Rostec State Corporation",
            "Государственная корпорация «Ростех»",
            "ROSTEKH",
            "Goskorporatsiya Rostekh",
            "Rostec",
        ],
    ),
    (
        "ru",
        "Company",
        [
            "Tula Arms Plant",
            "Тульский оружейный завод",
            "Tulskiy Oruzheinyi Zavod",
            "TULSKII ORUZHEINYI ZAVOD AO",
            "Tulsky Oruzheiny Zavod",
        ],
    ),
    (
        "ru",
        "Company",
        [
            "Uralvagonzavod JSC",
            "АО «Уралвагонзавод»",
            "URALVAGONZAVOD",
            "Uralvagonzavod Research and Production Corporation",
        ],
    ),
    (
        "ru",
        "Company",
        [
            "Degtyarev Plant OJSC",
            "ОАО «Завод имени В.А. Дегтярева»",
            "Zavod imeni Degtyareva",
            "ZAVOD IM. V.A. DEGTYAREVA OAO",
        ],
    ),
    ("ru", "Company", ["Tecmash JSC", "АО «Техмаш»", "TEKHMASH", "Techmash Concern"]),
    ("ru", "Company", ["NPO Splav JSC", "АО «НПО «Сплав»", "SPLAV NPO", "Splav"]),
    (
        "ru",
        "Company",
        [
            "Almaz-Antey Air and Space Defence Corporation JSC",
            "АО «Концерн ВКО «Алмаз-Антей»",
            "ALMAZ-ANTEY",
            "Almaz Antei",
            "Kontsern VKO Almaz-Antei",
        ],
    ),
    (
        "ru",
        "Company",
        [
            "KBP Instrument Design Bureau JSC",
            "АО «КБП»",
            "KBP named after Academician A. Shipunov",
            "KBP",
        ],
    ),
    ("ru", "Company", ["ZALA AERO JSC", "АО «Зала Аэро»", "Zala Aero", "AO ZALA AERO"]),
    (
        "ru",
        "Person",
        [
            "Sergei Chemezov",
            "Сергей Викторович Чемезов",
            "CHEMEZOV, Sergey Viktorovich",
            "Sergej Čemezov",
            "Sergey Chemezov",
        ],
    ),
    (
        "ru",
        "Person",
        [
            "Aleksandr Mikheev",
            "Александр Михеев",
            "Alexander Mikheyev",
            "MIKHEEV, Aleksandr Aleksandrovich",
            "Aleksandr Micheev",
        ],
    ),
    (
        "ru",
        "Person",
        [
            "Dmitry Shugaev",
            "Дмитрий Евгеньевич Шугаев",
            "Dmitrii Shugayev",
            "SHUGAEV Dmitriy Evgenyevich",
            "Dmitrij Šugajev",
        ],
    ),
    (
        "ru",
        "Person",
        [
            "Viktor Bout",
            "Виктор Анатольевич Бут",
            "BUT, Viktor Anatolyevich",
            "Victor Bout",
            "Viktor But",
        ],
    ),
    (
        "ru",
        "Person",
        [
            "Alexander Zakharov",
            "Александр Вячеславович Захаров",
            "ZAKHAROV, Aleksandr Vyacheslavovich",
            "Aleksandr Zaharov",
        ],
    ),
    (
        "ru",
        "Person",
        [
            "Vladimir Artyakov",
            "Владимир Артяков",
            "ARTYAKOV, Vladimir Vladimirovich",
            "Vladimir Artiakov",
        ],
    ),
    # -- Ukraine, Belarus ----------------------------------------------------------------
    (
        "ua",
        "Company",
        [
            "Ukroboronprom State Concern",
            "ДК «Укроборонпром»",
            "UKROBORONPROM",
            "Derzhavnyi kontsern Ukroboronprom",
            "Ukrainian Defense Industry JSC",
        ],
    ),
    (
        "ua",
        "Company",
        [
            "Ukrspecexport State Company",
            "ДП «Укрспецекспорт»",
            "UKRSPETSEKSPORT",
            "Ukrspetsexport SE",
        ],
    ),
    (
        "ua",
        "Company",
        ["Progress Scientific Production Enterprise", "ДП НВП «Прогрес»", "NVP Progres"],
    ),
    (
        "ua",
        "Person",
        ["Yuriy Husyev", "Юрій Гусєв", "Iurii Gusev", "Yurii Husiev", "HUSIEV, Yurii"],
    ),
    (
        "ua",
        "Person",
        ["Vadym Sukharevskyi", "Вадим Сухаревський", "Vadim Sukharevsky", "SUKHAREVSKYI Vadym"],
    ),
    (
        "by",
        "Company",
        ["BelTechExport CJSC", "ЗАО «БелТехЭкспорт»", "BELTEKHEKSPORT ZAO", "Beltechexport"],
    ),
]

#: (a, b, schema, note): different parties that share words, family names, towns or brands.
HARD_NEGATIVES: list[tuple[str, str, str, str]] = [
    ("Sloboda a.d. Čačak", "Sloboda Trgovina d.o.o.", "Company", "shared word; invented"),
    ("Sloboda Čačak", "Sloboda Trgovina", "Company", "shared word; invented"),
    ("SLOBODA AD CACAK", "Sloboda Promet d.o.o. Beograd", "Company", "shared word; invented"),
    ("Слобода а.д. Чачак", "Slobodna Zona Beograd", "Company", "similar word; real zone"),
    ("Zastava oružje a.d.", "Zastava automobili a.d.", "Company", "brand; real, different firm"),
    ("Zastava Oruzje", "Zastava Kamioni", "Company", "brand; real, different firm"),
    ("ZASTAVA ORUZJE AD KRAGUJEVAC", "Zastava Tapetarija d.o.o.", "Company", "brand"),
    ("Zastava promet d.o.o.", "Zastava automobili", "Company", "brand"),
    ("Prvi Partizan a.d. Užice", "Partizan Tech d.o.o.", "Company", "shared word"),
    ("Prvi Partizan", "FK Partizan", "Company", "shared word"),
    ("PRVI PARTIZAN AD UZICE", "Prva Petoletka a.d. Trstenik", "Company", "similar words"),
    ("Krušik a.d. Valjevo", "Krušik Plastika a.d.", "Company", "subsidiary, own company"),
    ("Krusik", "Krusevac Promet d.o.o.", "Company", "similar token; invented"),
    ("KRUSIK AD VALJEVO", "Metalac a.d. Valjevo", "Company", "same town; invented"),
    (
        "Milan Blagojević Namenska a.d. Lučani",
        "Milan Blagojević Livnica d.o.o.",
        "Company",
        "shared name; invented",
    ),
    ("MB Namenska", "PPT Namenska", "Company", "shared word"),
    (
        "PPT Namenska a.d. Trstenik",
        "PPT Hidraulika d.o.o. Trstenik",
        "Company",
        "group sibling; real",
    ),
    ("Trayal Korporacija a.d. Kruševac", "Trayal Plastika d.o.o.", "Company", "invented"),
    ("Yugoimport SDPR J.P.", "Jugoimport Trade d.o.o.", "Company", "shared token; invented"),
    ("JUGOIMPORT-SDPR", "Jugoexport a.d.", "Company", "similar token; invented"),
    ("Valir d.o.o.", "Valor d.o.o.", "Company", "one letter; invented"),
    ("EDePro d.o.o. Beograd", "EdePro Sistemi d.o.o.", "Company", "invented"),
    ("Arsenal AD Kazanlak", "Arsenal 2000 AD", "Company", "number; real, different firm"),
    ("Arsenal AD", "Arsenal Firearms", "Company", "shared word; different firm"),
    ("ARSENAL JSCO", "Arsenal Trade EOOD", "Company", "shared word; invented"),
    (
        "Арсенал АД Казанлък",
        "Арсенал Специално Производство ЕООД",
        "Company",
        "shared word; invented",
    ),
    ("VMZ EAD Sopot", "VMZ Trade OOD", "Company", "shared abbreviation; invented"),
    ("Emco EOOD", "Emka AD", "Company", "similar token; invented"),
    ("Kintex EAD", "Kintex Trade OOD", "Company", "brand; invented"),
    ("Kintex EAD", "Kinetics Ltd", "Company", "similar token; invented"),
    ("Dunarit AD", "Dunav Press AD", "Company", "similar token"),
    ("Arcus AD", "Arkus Trade EOOD", "Company", "similar token; invented"),
    ("Samel-90 AD", "Samel 2000 OOD", "Company", "number; invented"),
    ("Česká zbrojovka a.s.", "Zbrojovka Brno a.s.", "Company", "shared word; real"),
    ("CESKA ZBROJOVKA AS", "Ceska Sporitelna a.s.", "Company", "shared word; real bank"),
    ("Explosia a.s.", "Explosive Systems s.r.o.", "Company", "similar token; invented"),
    ("Excalibur Army spol. s r.o.", "Excalibur Arms Ltd", "Company", "near-identical"),
    ("Excalibur Army", "Excalibur City s.r.o.", "Company", "shared word; real"),
    ("Sellier & Bellot a.s.", "Bellot Trading s.r.o.", "Company", "shared word; invented"),
    ("Czechoslovak Group a.s.", "Czechoslovak Airlines a.s.", "Company", "shared word"),
    ("MSM Group s.r.o.", "MSM Holding a.s.", "Company", "shared abbreviation; invented"),
    ("MSM Group", "MSA Group", "Company", "one letter; invented"),
    ("ZVS Holding a.s.", "ZTS Holding a.s.", "Company", "one letter; invented"),
    (
        "Polska Grupa Zbrojeniowa S.A.",
        "Polska Grupa Energetyczna S.A.",
        "Company",
        "shared words; real",
    ),
    ("POLSKA GRUPA ZBROJENIOWA SA", "Polska Grupa Farmaceutyczna", "Company", "shared words"),
    ("Mesko S.A.", "Meskon S.A.", "Company", "one letter; invented"),
    ("Huta Stalowa Wola S.A.", "Huta Częstochowa Sp. z o.o.", "Company", "shared word; real"),
    ("HUTA STALOWA WOLA SA", "Stalowa Wola Logistyka Sp. z o.o.", "Company", "town; invented"),
    ("Nitro-Chem S.A.", "Nitrogen Chemicals Ltd", "Company", "similar tokens"),
    (
        "Fabryka Broni Łucznik-Radom Sp. z o.o.",
        "Fabryka Mebli Radom Sp. z o.o.",
        "Company",
        "shared words; invented",
    ),
    ("Dezamet S.A.", "Dezamar S.A.", "Company", "one letter; invented"),
    ("Rosoboronexport JSC", "Rosoboronservis AO", "Company", "shared stem; real"),
    ("ROSOBORONEKSPORT OAO", "Rosoboronzakaz", "Company", "shared stem"),
    ("Rostec State Corporation", "Rosatom State Corporation", "Company", "shared words; real"),
    ("ROSTEKH", "Rostelekom PAO", "Company", "shared stem; real"),
    ("Kalashnikov Concern JSC", "Kalashnikov Media OOO", "Company", "brand; invented"),
    ("Concern Kalashnikov", "Concern Granit", "Company", "shared word"),
    ("Izhmash OJSC", "Izhstal PAO", "Company", "shared stem; real"),
    ("Tula Arms Plant", "Tula Cartridge Plant", "Company", "town and word; real"),
    ("Tulskiy Oruzheinyi Zavod", "Tulskiy Patronnyi Zavod", "Company", "real, different"),
    ("Uralvagonzavod JSC", "Uralmashzavod PAO", "Company", "shared stem; real"),
    ("URALVAGONZAVOD", "Uraltransmash", "Company", "shared stem; real"),
    ("Degtyarev Plant OJSC", "Degtyarev Trade OOO", "Company", "invented"),
    ("Tecmash JSC", "Tekhnomash AO", "Company", "similar; real, different"),
    ("NPO Splav JSC", "Splav-Trade OOO", "Company", "invented"),
    (
        "Almaz-Antey Air and Space Defence Corporation JSC",
        "Almaz Trading LLC",
        "Company",
        "shared word; invented",
    ),
    ("ALMAZ-ANTEY", "Almaz", "Company", "part of name; different firm"),
    ("KBP Instrument Design Bureau JSC", "KB Mashinostroeniya", "Company", "real, different"),
    ("ZALA AERO JSC", "Zala Aviation LLC", "Company", "shared word; invented"),
    ("Zala Aero", "Aero Zala Trade", "Company", "invented"),
    ("Ukroboronprom State Concern", "Ukrspecexport State Company", "Company", "group, different"),
    ("UKRSPETSEKSPORT", "Ukrinmash", "Company", "sibling; real"),
    ("Progress Scientific Production Enterprise", "Progress Trading OOO", "Company", "invented"),
    ("BelTechExport CJSC", "Belspetsvneshtechnika", "Company", "sibling; real"),
    ("Beltechexport", "Beltekhnoeksport OOO", "Company", "similar; invented"),
    # persons
    ("Aleksandar Vučić", "Andrej Vučić", "Person", "brothers"),
    ("VUCIC, Aleksandar", "Aleksandar Vulin", "Person", "shared given name"),
    ("Aleksandar Vucic", "Aleksandar Vučković", "Person", "similar family name"),
    ("Slobodan Tešić", "Slobodan Tomić", "Person", "shared given name"),
    ("TESIC, Slobodan", "Goran Tešić", "Person", "shared family name"),
    ("Slobodan Tesic", "Slobodanka Tesic", "Person", "similar given name"),
    ("Nebojša Stefanović", "Nebojša Stojanović", "Person", "similar family name"),
    ("Bratislav Gašić", "Bratislav Gajić", "Person", "one letter"),
    ("Miloš Vučević", "Miloš Vučić", "Person", "similar family name"),
    ("Branko Ružić", "Branko Rudić", "Person", "one letter"),
    ("Emilian Gebrev", "Hristo Gebrev", "Person", "shared family name"),
    ("GEBREV, Emilian", "Emilian Gebov", "Person", "similar family name"),
    ("Petar Mandzhukov", "Petar Mandzhev", "Person", "similar family name"),
    ("Michal Strnad", "Jaroslav Strnad", "Person", "son and father"),
    ("STRNAD, Michal", "Michal Šrámek", "Person", "shared given name"),
    ("Sebastian Chwałek", "Sebastian Chwała", "Person", "similar family name"),
    ("Sergei Chemezov", "Stanislav Chemezov", "Person", "father and son"),
    ("CHEMEZOV, Sergey Viktorovich", "Sergey Chemerov", "Person", "one letter"),
    ("Сергей Викторович Чемезов", "Сергей Викторович Черемисов", "Person", "similar"),
    ("Aleksandr Mikheev", "Aleksandr Mikhailov", "Person", "similar family name"),
    ("Alexander Mikheyev", "Alexey Mikheyev", "Person", "similar given name"),
    ("Dmitry Shugaev", "Dmitry Shuvalov", "Person", "similar family name"),
    ("Viktor Bout", "Viktor Butov", "Person", "similar family name"),
    ("BUT, Viktor Anatolyevich", "BUT, Sergei Anatolyevich", "Person", "brothers"),
    ("Alexander Zakharov", "Nikita Zakharov", "Person", "father and son"),
    (
        "ZAKHAROV, Aleksandr Vyacheslavovich",
        "Zakharov, Lavrentii Aleksandrovich",
        "Person",
        "father and son",
    ),
    ("Александр Вячеславович Захаров", "Александр Викторович Захарченко", "Person", "similar"),
    ("Vladimir Artyakov", "Vladimir Artamonov", "Person", "similar family name"),
    ("Yuriy Husyev", "Yuriy Husak", "Person", "similar family name"),
    ("Юрій Гусєв", "Юрій Гусак", "Person", "similar family name"),
    ("Vadym Sukharevskyi", "Vadym Sukhanov", "Person", "similar family name"),
    ("Iurii Gusev", "Igor Gusev", "Person", "shared family name"),
    ("Sergei Chemezov", "Sergei Chemezova", "Person", "feminine form, different person"),
    ("Nebojsa Stefanovic", "Stefan Nebojsic", "Person", "swapped stems; invented"),
]

#: Extra positive pairs between non-canonical spellings (the hardest ones).
EXTRA_POSITIVES: list[tuple[str, str, str]] = [
    ("Krusik a.d. Valjevo", "Krušik AD", "Company"),
    ("Yugoimport SDPR J.P.", "JUGOIMPORT-SDPR", "Company"),
    ("Izhmash OJSC", "ОАО «Ижмаш»", "Company"),
    ("Крушик", "Krusik", "Company"),
    ("Крушик", "Krušik", "Company"),
    ("Слобода Чачак", "SLOBODA AD CACAK", "Company"),
    ("ОАО «Ижмаш»", "IZHMASH OAO", "Company"),
    ("Sergej Čemezov", "CHEMEZOV, Sergey Viktorovich", "Person"),
    ("Dmitrij Šugajev", "SHUGAEV Dmitriy Evgenyevich", "Person"),
    ("Юрій Гусєв", "Iurii Gusev", "Person"),
    ("Yurii Husiev", "Iurii Gusev", "Person"),
    ("Kontsern VKO Almaz-Antei", "ALMAZ-ANTEY", "Company"),
    ("Arsenal Kazanlak", "Арсенал АД Казанлък", "Company"),
    ("Ceska Zbrojovka", "Česká zbrojovka Uherský Brod", "Company"),
    ("Fabryka Broni Lucznik", "FABRYKA BRONI LUCZNIK RADOM SP Z OO", "Company"),
    ("Trajal Korporacija", "TRAYAL KORPORACIJA AD KRUSEVAC", "Company"),
    ("Rosoboroneksport", "АО «Рособоронэкспорт»", "Company"),
    ("Tulsky Oruzheiny Zavod", "Тульский оружейный завод", "Company"),
    ("Victor Bout", "Виктор Анатольевич Бут", "Person"),
    ("Aleksandr Zaharov", "ZAKHAROV, Aleksandr Vyacheslavovich", "Person"),
]


def pairs() -> list[Pair]:
    """Every labelled pair, in a fixed order."""
    out: list[Pair] = []
    for n, (country, schema, names) in enumerate(PARTIES):
        split = "dev" if n % 2 == 0 else "test"
        first = names[0]
        for other in names[1:]:
            out.append(Pair(first, other, schema, True, split, f"{country} spelling"))
        # each party against the next two of the same country and schema
        later = [p for p in PARTIES[n + 1 :] if p[0] == country and p[1] == schema][:2]
        for _, _, other_names in later:
            out.append(
                Pair(names[1 % len(names)], other_names[0], schema, False, split, "same country")
            )
    for n, (a, b, schema, note) in enumerate(HARD_NEGATIVES):
        out.append(Pair(a, b, schema, False, "dev" if n % 2 == 0 else "test", f"hard: {note}"))
    for n, (a, b, schema) in enumerate(EXTRA_POSITIVES):
        out.append(Pair(a, b, schema, True, "dev" if n % 2 == 0 else "test", "hard spelling"))
    return out

"""Russian names in Cyrillic and in six romanisation systems, for the matcher's tests.

``romanisations.json`` beside this file holds 200 names made from common Russian given
names, family names and patronymics (seeded combinations, no list data), each written in
Cyrillic and romanised by the `iuliia` package (0.13) in six systems: ISO 9 (GOST 7.79
system A), BGN/PCGN, the Russian passport's ICAO Doc 9303 (since 2013), the passport's
MVD 310 (1997), the scientific system and Wikipedia's. iuliia is not a dependency of
transship: the file was written once, in an environment of its own, by::

    uv run --isolated --no-project --with 'iuliia==0.13.*' python tests/resolve/romanisations.py

iuliia leaves ё as it is in the systems that write ë (ISO 9, scientific); the file has ë
there, as those systems write it. Read by tests/resolve/test_compare.py.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("romanisations.json")

GIVEN = (
    "Фёдор Юрий Яков Юлия Ксения Наталья Дарья Алексей Андрей Евгений Илья Вячеслав Сергей "
    "Дмитрий Пётр Артём Семён Лев Ярослав Татьяна Анастасия Екатерина Ольга Людмила Валерий "
    "Григорий Юлиан Любовь Василий Аркадий"
).split()
FAMILY = (
    "Соловьёв Воробьёв Горбачёв Хрущёв Королёв Ковалёв Зайцев Кузнецов Щербаков Чемезов "
    "Рогозин Шувалов Журавлёв Яковлев Юдин Ефимов Щукин Жуков Чайковский Достоевский Бельский "
    "Ильин Васильев Субботин Лаврентьев Мельников Шестаков Федосеев Гусев Пятаков"
).split()
PATRONYMICS = "Александрович Юрьевич Ильич Фёдорович Вячеславович Сергеевич Игоревич".split()


def names(n: int = 200, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        female = given[-1] in "ая" and given != "Илья"
        if female and family[-1] in "вн":
            family += "а"
        elif female and family.endswith("ий"):
            family = family[:-2] + "ая"
        if rng.random() < 0.5:
            out.add(f"{given} {family}")
        else:
            patronymic = rng.choice(PATRONYMICS)
            if female:
                patronymic = patronymic.replace("ич", "на").replace("Ильна", "Ильинична")
            out.add(f"{family} {given} {patronymic}")
    return sorted(out)


def main() -> None:
    import iuliia

    systems = {
        "ISO 9": iuliia.GOST_779,
        "BGN/PCGN": iuliia.BGN_PCGN,
        "passport ICAO 9303": iuliia.ICAO_DOC_9303,
        "passport MVD 310": iuliia.MVD_310,
        "scientific": iuliia.SCIENTIFIC,
        "Wikipedia": iuliia.WIKIPEDIA,
    }
    rows = []
    for name in names():
        row = {"Cyrillic": name}
        for label, schema in systems.items():
            row[label] = schema.translate(name).replace("ё", "ë").replace("Ё", "Ë")
        rows.append(row)
    OUT.write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

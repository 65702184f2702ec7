"""Nominative candidates of Slavic nouns in another case (:mod:`transship.claims.inflection`)."""

from __future__ import annotations

import pytest

from transship.claims.inflection import nominative_phrases, nominatives


@pytest.mark.parametrize(
    ("word", "nominative"),
    [
        ("Čačku", "Čačak"),  # sr locative, fleeting a
        ("Kragujevcu", "Kragujevac"),
        ("Srbiji", "Srbija"),  # sr locative of -ija
        ("Valjeva", "Valjevo"),  # sr genitive of a neuter
        ("Beogradom", "Beograd"),  # sr instrumental
        ("Rzeszowie", "Rzeszow"),  # pl locative (ó is read with its accent folded)
        ("Warszawą", "Warszawa"),  # pl instrumental
        ("Польшу", "Польша"),  # ru accusative
        ("Чехией", "Чехия"),  # ru instrumental
        ("Чешкој", "Чешка"),  # sr locative
        ("Польщі", "Польща"),  # uk locative
        # a consonant softened before the ending
        ("Polsce", "Polska"),  # pl locative
        ("Pradze", "Praga"),  # pl locative
        ("Kanadzie", "Kanada"),  # pl locative
        ("Praze", "Praha"),  # cs locative
        ("Americi", "Amerika"),  # sr locative
        ("Празі", "Прага"),  # uk locative
        ("Ostravě", "Ostrava"),  # cs locative in -ě
        # the Ukrainian і of the nominative
        ("Києві", "Київ"),
        ("Львова", "Львів"),
        ("Харкова", "Харків"),
    ],
)
def test_the_nominative_is_among_the_candidates(word: str, nominative: str) -> None:
    assert nominative in nominatives(word)


@pytest.mark.parametrize("word", ["NIS", "SVR", "Sad", "Kyiv", "1990s", ""])
def test_acronyms_short_words_and_words_without_a_case_ending_give_nothing(word: str) -> None:
    assert nominatives(word) == []


def test_the_word_itself_is_never_a_candidate() -> None:
    assert "Sloboda" not in nominatives("Sloboda")


@pytest.mark.parametrize(
    ("name", "nominative"),
    [
        ("Novom Sadu", "Novi Sad"),  # sr locative, adjective and noun
        ("Crnoj Gori", "Crna Gora"),
        ("Новом Саду", "Нови Сад"),
        ("Severnoj Makedoniji", "Severna Makedonija"),
    ],
)
def test_names_of_two_words_decline_both(name: str, nominative: str) -> None:
    assert nominative in nominative_phrases(name)


def test_only_names_of_two_words_are_declined_as_phrases() -> None:
    assert nominative_phrases("Sadu") == []
    assert nominative_phrases("Bosni i Hercegovini") == []
    assert "Novom Sadu" not in nominative_phrases("Novom Sadu")

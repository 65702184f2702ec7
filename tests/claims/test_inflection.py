"""Nominative candidates of Slavic nouns in another case (:mod:`transship.claims.inflection`)."""

from __future__ import annotations

import pytest

from transship.claims.inflection import nominatives


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
    ],
)
def test_the_nominative_is_among_the_candidates(word: str, nominative: str) -> None:
    assert nominative in nominatives(word)


@pytest.mark.parametrize("word", ["NIS", "SVR", "Sad", "Kyiv", "1990s", ""])
def test_acronyms_short_words_and_words_without_a_case_ending_give_nothing(word: str) -> None:
    assert nominatives(word) == []


def test_the_word_itself_is_never_a_candidate() -> None:
    assert "Sloboda" not in nominatives("Sloboda")

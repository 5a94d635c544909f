"""Numbers the JSON parser cannot turn into Python values are refused with a message, not a server error."""

import pytest
from django.utils import translation

from city.jsonparser import JSONInputError, loads_limited


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_an_integer_longer_than_python_reads_is_refused_naming_the_limit():
    with pytest.raises(JSONInputError, match="5001 digits; at most 4300"):
        loads_limited('{"perceived_safety": 1' + "0" * 5000 + "}")


@pytest.mark.parametrize("text", ["1e400", "-1e400", "[1, 2e999]"])
def test_a_number_that_overflows_to_infinity_is_refused(text):
    with pytest.raises(JSONInputError, match="too large"):
        loads_limited(text)


def test_ordinary_and_large_finite_numbers_are_kept():
    assert loads_limited("[1, -2.5, 1e300, 1" + "0" * 400 + "]") == [1, -2.5, 1e300, 10**400]

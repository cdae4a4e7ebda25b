import pytest

from cartera.lib.colors import contrast_ratio, normalize_hex, readable_text_on


@pytest.mark.parametrize(
    "value, expected",
    [("#0B5CAD", "#0b5cad"), ("0b5cad", "#0b5cad"), (" #abcdef ", "#abcdef"), ("", None)],
)
def test_normalize_hex_accepts_six_digits_with_or_without_the_hash(value, expected):
    assert normalize_hex(value) == expected


@pytest.mark.parametrize("value", ["#fff", "#12345g", "blue", "#1234567", None])
def test_normalize_hex_refuses_anything_else(value):
    assert normalize_hex(value) is None


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#0b5cad", "#0b5cad") == 1.0


@pytest.mark.parametrize(
    "background, text",
    [
        ("#0b5cad", "#ffffff"),
        ("#000000", "#ffffff"),
        ("#ffd33d", "#111111"),
        ("#ffffff", "#111111"),
    ],
)
def test_readable_text_is_the_higher_contrast_of_white_and_near_black(background, text):
    assert readable_text_on(background) == text

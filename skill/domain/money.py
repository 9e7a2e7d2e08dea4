"""Money as integer minor units (cents), never float.

Formatting is per locale because "$4.99", "£4.29" and "4,29 €" differ in more
than the symbol. Only the formats the shop's markets need are listed; an
unknown currency falls back to "4.99 XYZ", which is ugly but never wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

# symbol, symbol placed before the amount, decimal separator, thousands separator
_FORMATS: dict[str, tuple[str, bool, str, str]] = {
    "USD": ("$", True, ".", ","),
    "CAD": ("$", True, ".", ","),
    "AUD": ("$", True, ".", ","),
    "GBP": ("£", True, ".", ","),
    "INR": ("₹", True, ".", ","),
    "EUR": ("€", False, ",", "."),
}


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError("Money.cents must be an int number of minor units, not a float.")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"Cannot add {other.currency} to {self.currency}.")
        return Money(self.cents + other.cents, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.cents * quantity, self.currency)

    def display(self) -> str:
        """The written form, e.g. ``$4.99`` or ``4,99 €``."""
        return format_money(self.cents, self.currency)

    def spoken(self, language: str) -> str:
        """The form to put in speech: Alexa reads ``$4.99`` well, but not ``4,29 €``."""
        return spoken_money(self.cents, self.currency, language)


# How a currency's units are said, per language: (major, minor).
_SPOKEN_UNITS: dict[tuple[str, str], tuple[str, str]] = {
    ("de", "EUR"): ("Euro", "Cent"),
}


def spoken_money(cents: int, currency: str, language: str) -> str:
    """``4 Euro 29`` in German; the written form where TTS already reads it naturally."""
    units = _SPOKEN_UNITS.get((language, currency))
    if units is None:
        return format_money(cents, currency)
    major, minor = units
    sign = "minus " if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if whole and frac:
        return f"{sign}{whole} {major} {frac}"
    if whole:
        return f"{sign}{whole} {major}"
    return f"{sign}{frac} {minor}"


def format_money(cents: int, currency: str) -> str:
    symbol, before, decimal, thousands = _FORMATS.get(currency, (currency, False, ".", ","))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    whole_text = f"{whole:,}".replace(",", thousands)
    number = f"{whole_text}{decimal}{frac:02d}"
    if before:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {symbol}"

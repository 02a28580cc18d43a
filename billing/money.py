"""Decimal amounts in a currency: quantised to its ISO 4217 minor unit, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext

#: ISO 4217 minor units that are not two (the rest of the list uses cents).
MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
}


def minor_unit(currency: str) -> int:
    return MINOR_UNITS.get((currency or "").upper(), 2)


def quantize(amount: Decimal | int | str, currency: str) -> Decimal:
    """``amount`` rounded half up to ``currency``'s minor unit (``Decimal('0.125')`` USD → ``0.13``)."""
    if isinstance(amount, float):
        raise TypeError("Money is never a float: pass a Decimal or a string.")
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def parse_amount(value, currency: str) -> Decimal:
    """A non-negative amount typed by a person, or ``ValueError`` with a message to show."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value}) from None
    if not amount.is_finite():
        raise ValueError(gettext("“%(value)s” is not an amount.") % {"value": value})
    if amount < 0:
        raise ValueError(gettext("An amount cannot be negative."))
    return quantize(amount, currency)


def normalize_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValueError(gettext("“%(code)s” is not an ISO 4217 currency code.") % {"code": code})
    return code

"""Form helpers shared by every package."""

from __future__ import annotations

from collections.abc import Iterable

import pycountry
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice


class OptionalSelectField(SelectField):
    """A select whose value is "" (nothing chosen) when the request does not send it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", "")
        super().__init__(label, validators, **kwargs)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choices(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """WTForms choices from ``(value, label)`` pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def country_choices(blank: str = "— choose —") -> list[SelectChoice]:
    countries = sorted(pycountry.countries, key=lambda c: c.name)
    return choices([("", blank)] + [(c.alpha_2, c.name) for c in countries])


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value

"""Form helpers shared by every package."""

from __future__ import annotations

import pycountry
from wtforms import SelectMultipleField, widgets


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def country_choices(blank: str = "— choose —") -> list[tuple[str, str]]:
    countries = sorted(pycountry.countries, key=lambda c: c.name)
    return [("", blank)] + [(c.alpha_2, c.name) for c in countries]


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value

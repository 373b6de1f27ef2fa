"""The edit page's contract with its script (static/js/dossier.js): the row templates the
script copies are named like the rows the server reads, and row ids follow the position
the completeness checklist links to."""

from __future__ import annotations

import re

GROUPS = ("outcomes", "assessments", "prerequisites", "stackability")


def test_row_templates_use_the_servers_field_names(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    login(client, people.provider_a)
    html = client.get(f"/dossiers/{dossier.id}/edit").get_data(as_text=True)
    for group in GROUPS:
        template = re.search(
            rf'<template data-row-template="{group}">(.*?)</template>', html, re.S
        ).group(1)
        names = set(re.findall(r'name="([^"]+)"', template)) - {"row_action"}
        assert names, group
        for name in names:
            assert re.fullmatch(rf"{group}-__index__-[a-z_]+", name), name


def test_row_ids_follow_the_position_after_a_removal(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)  # three outcomes
    login(client, people.provider_a)
    page = client.get(f"/dossiers/{dossier.id}/edit").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    form.update({f"outcomes-{i}-statement": f"Apply method {i}." for i in range(3)})
    form["row_action"] = "remove-outcomes-0"
    html = client.post(f"/dossiers/{dossier.id}/edit", data=form).get_data(as_text=True)
    rows = re.findall(r'<div class="repeat-row" id="(outcomes-\d+)"', html)
    assert rows == ["outcomes-0", "outcomes-1"]
    # The first row shown is the former LO2, still named by its original index.
    assert 'name="outcomes-1-statement"' in html.split('id="outcomes-1"')[0]
    assert "Apply method 1." in html.split('id="outcomes-1"')[0]

"""Stored roster responses read back as the analysis dataset's roster tables."""

from __future__ import annotations

from surveyapp import datasets, responses
from surveyapp.responses import compiled_version, find_target
from surveyapp.simulate import simulate
from tests.builders import import_file
from tests.conftest import DATA


def test_load_dataset_gives_each_roster_linked_to_its_responses(app):
    """Does load_dataset give one member row per member, linked by _id to the main frame?"""
    import_file(DATA / "household_roster.yaml")
    target = find_target("household_roster")
    items = list(simulate(compiled_version(target.version_id, target.checksum), 30, 5))
    responses.store_batch("household_roster", items)
    dataset = datasets.load_dataset("household_roster")
    members = dataset.roster("member").frame
    assert len(members) == sum(item.answers["hh_size"] for item in items)
    assert set(members["_id"]) == set(dataset.frame["_id"])
    sizes = members.groupby("_id")["member_index"].max()
    assert dict(sizes) == dict(zip(dataset.frame["_id"], dataset.frame["hh_size"]))
    incidents = dataset.roster("incident").frame
    assert len(incidents) == sum(len(item.answers.get("incident", [])) for item in items)

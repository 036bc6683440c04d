from __future__ import annotations

import pytest

from reference_app.knobs import KNOB_SPECS, KnobError, Knobs, parse_assignments


def test_defaults_are_the_best_practices_and_changed_lists_only_overrides() -> None:
    knobs = Knobs().with_values({"indexes": "off", "db_pool_size": "3"})
    assert knobs.changed() == {"indexes": False, "db_pool_size": 3}
    assert Knobs().changed() == {}


def test_every_bad_value_parses_and_differs_from_the_default() -> None:
    for spec in KNOB_SPECS:
        knobs = Knobs().with_values({spec.name: spec.bad})
        assert spec.name in knobs.changed(), spec.name


def test_env_round_trip() -> None:
    knobs = Knobs().with_values({"cache": "off", "jobs": "inline", "queue_workers": "0"})
    assert Knobs.from_env(knobs.to_env()) == knobs


@pytest.mark.parametrize(("assignment", "message"), [
    ("nope=1", "unknown knob 'nope'"),
    ("indexes=maybe", "knob indexes='maybe': expected on or off"),
    ("db_pool_size=0", "expected an integer >= 1"),
    ("jobs=later", "expected one of queue, inline"),
])
def test_bad_knobs_name_the_knob(assignment: str, message: str) -> None:
    with pytest.raises(KnobError, match=message):
        Knobs().with_values(parse_assignments([assignment]))


def test_assignment_needs_an_equals_sign() -> None:
    with pytest.raises(KnobError, match="NAME=VALUE"):
        parse_assignments(["indexes"])


def test_a_knob_of_the_other_app_is_refused_by_name() -> None:
    Knobs().with_values({"pm_max_children": "4"}).check_app("laravel")
    with pytest.raises(KnobError, match="knob pm_max_children does not apply to the python app"):
        Knobs().with_values({"pm_max_children": "4"}).check_app("python")
    with pytest.raises(KnobError, match="app_workers does not apply to the laravel app"):
        Knobs().with_values({"app_workers": "1"}).check_app("laravel")

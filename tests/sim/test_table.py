import json

import numpy as np
import pytest

from sim.men import foot_position, man_parts, man_to_table, part_vertices
from sim.table import TableError, available_tables, load_table, table_from_dict


def test_both_presets_exist():
    assert {"german", "tornado"} <= set(available_tables())


@pytest.mark.parametrize("name", available_tables())
def test_every_table_round_trips_through_json(name):
    table = load_table(name)
    again = table_from_dict(json.loads(json.dumps(table.to_dict())))
    assert again == table


def test_german_figures(german):
    assert german.length == pytest.approx(1.200)
    assert german.width == pytest.approx(0.680)
    assert [r.men for r in german.rods] == [1, 2, 3, 5, 5, 3, 2, 1]
    assert [r.side for r in german.rods] == [0, 0, 1, 0, 1, 0, 1, 1]
    # the outermost man of every rod but the goalie reaches 302.5 mm from the centre
    for rod in german.rods[1:-1]:
        assert rod.man_offsets[-1] + rod.travel == pytest.approx(0.3025, abs=1e-4)


def test_tornado_has_three_man_goalies(tornado):
    assert tornado.rods[0].men == 3 and tornado.rods[-1].men == 3
    assert tornado.length == pytest.approx(1.219)


def test_rods_mirror_each_other(german):
    for a, b in zip(german.rods, reversed(german.rods)):
        assert a.x == pytest.approx(-b.x)
        assert a.men == b.men and a.side != b.side


def test_unknown_table_is_a_clear_error():
    with pytest.raises(TableError, match="unknown table 'nope'"):
        load_table("nope")


def test_inconsistent_table_is_rejected(german):
    data = german.to_dict()
    data["rods"][1]["travel"] = 0.5  # the man would go through the side wall
    with pytest.raises(TableError, match="beyond the side wall"):
        table_from_dict(data)


def test_hanging_foot_clears_the_playfield_by_the_toe_clearance(german):
    sole = foot_position(german, 3, 2, 0.0, 0.0)
    assert sole[2] == pytest.approx(german.man.toe_clearance)
    lowest = min(
        (man_to_table(german, 3, 2, 0.0, 0.0)[0] @ part_vertices(p).T)[2].min()
        for p in man_parts(german)
    )
    assert lowest + german.rod_height == pytest.approx(german.man.toe_clearance)


def test_positive_angle_swings_the_foot_towards_minus_x(german):
    sole = foot_position(german, 0, 0, 0.0, 0.3)
    assert sole[0] < german.rods[0].x


def test_man_positions_follow_the_shift(german):
    ys = german.man_positions(np.full(8, 0.01))
    assert ys[3] == pytest.approx(german.rods[3].man_offsets + 0.01)

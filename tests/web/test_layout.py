"""The pure parts of the dashboard: the graph layout, the chart geometry and the text filters."""

from __future__ import annotations

from datetime import date, timedelta

from overseer.domain import Dependency, Task, TaskStatus, utcnow
from overseer.web.charts import daily_bars, nice_ceiling
from overseer.web.graph import NODE_H, NODE_W, PAD, layers, layout
from overseer.web.templating import ago, money, span


def tasks(*ids: str) -> list[Task]:
    return [Task(id=i, title=f"task {i}") for i in ids]


def blocks(task: str, on: str) -> Dependency:
    return Dependency(task, on, "blocks")


def test_a_task_sits_one_column_right_of_the_deepest_task_it_waits_on() -> None:
    waits = {"b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "e": {"a", "d"}}
    assert layers(["a", "b", "c", "d", "e", "f"], waits) == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3, "f": 0}


def test_a_cycle_cannot_hang_the_layout_its_members_go_last() -> None:
    assert layers(["a", "b", "c"], {"b": {"c"}, "c": {"b"}}) == {"a": 0, "b": 1, "c": 1}


def test_the_layout_places_nodes_by_depth_and_draws_only_blocks_edges_among_them() -> None:
    found = tasks("a", "b", "c")
    deps = [blocks("b", "a"), blocks("c", "b"), Dependency("c", "a", "related"), blocks("c", "outside"),
            Dependency("a", "epic", "parent-child")]
    graph = layout(found, deps)
    x = {n.id: n.x for n in graph.nodes}
    assert x["a"] == PAD and x["a"] < x["b"] < x["c"]
    assert {(e.source, e.target) for e in graph.edges} == {("a", "b"), ("b", "c")}
    first = next(e for e in graph.edges if e.source == "a")
    assert first.path.startswith(f"M{PAD + NODE_W},{PAD + NODE_H // 2} ")  # from the right edge of what is waited on
    assert graph.width == 2 * PAD + 3 * NODE_W + 2 * 48 and not graph.cut


def test_nodes_in_a_column_are_ordered_near_what_they_wait_on() -> None:
    found = tasks("a", "b", "x", "y")  # x waits on b, y on a: y belongs beside a (row 0), x beside b (row 1)
    graph = layout(found, [blocks("x", "b"), blocks("y", "a")])
    row = {n.id: n.y for n in graph.nodes}
    assert row["y"] < row["x"]


def test_a_long_title_is_cut_on_the_node_and_kept_whole_in_its_tooltip() -> None:
    long = Task(id="a", title="A title much longer than any node of the graph can hold", status=TaskStatus.RUNNING)
    [node] = layout([long], []).nodes
    assert node.label.endswith("…") and len(node.label) <= 26 and node.title == long.title and node.status == "running"


def test_the_chart_has_a_bar_per_day_zero_for_a_day_without_spending_and_a_round_top() -> None:
    start = date(2030, 1, 1)
    chart = daily_bars({"2030-01-03": 0.87, "2030-01-30": 0.2, "2029-12-31": 5.0}, start, 30)
    assert len(chart.bars) == 30 and chart.bars[0].day == start and chart.bars[-1].day == start + timedelta(days=29)
    assert [b.value for b in chart.bars if b.value] == [0.87, 0.2]
    assert chart.ticks[-1].value == 1.0 and chart.bars[2].height > chart.bars[29].height > 0 == chart.bars[0].height
    assert [label.text for label in chart.labels][-1] == "Jan 30"
    assert daily_bars({}, start, 30).empty


def test_the_top_of_the_scale_is_one_two_two_and_a_half_or_five_times_a_power_of_ten() -> None:
    assert [nice_ceiling(v) for v in (0, 0.87, 1, 1.2, 2.4, 3, 9.45, 120)] == [1, 1, 1, 2, 2.5, 5, 10, 200]


def test_amounts_and_durations_read_short() -> None:
    assert [money(v) for v in (0, 0.0842, 0.5, 9.45, 1234.5)] == ["$0", "$0.0842", "$0.50", "$9.45", "$1,234.50"]
    assert [span(s) for s in (4, 190, 7500, 90000)] == ["4s", "3m 10s", "2h 5m", "1d 1h"]
    assert ago(utcnow() - timedelta(minutes=3)) == "3m ago" and ago(utcnow() + timedelta(hours=2, seconds=30)).startswith("in 2h")

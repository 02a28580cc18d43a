"""The server-drawn bar charts: geometry and labels."""

from requests_app.statistics.charts import BAR_SPACE, Bar, bar_chart, shorten


def test_the_longest_bar_fills_the_chart_and_the_others_are_in_proportion():
    chart = bar_chart([Bar("Borrowing", 10, "10"), Bar("Lending", 5, "5")])
    assert [bar.width for bar in chart.bars] == [f"{BAR_SPACE:.1f}", f"{BAR_SPACE / 2:.1f}"]


def test_percentages_are_drawn_against_a_full_hundred():
    chart = bar_chart([Bar("AAA", 50, "50.0 %")], scale=100)
    assert chart.bars[0].width == f"{BAR_SPACE / 2:.1f}"


def test_a_chart_without_bars_is_not_drawn():
    assert bar_chart([]) is None


def test_a_chart_of_zeros_draws_empty_bars_rather_than_dividing_by_zero():
    assert bar_chart([Bar("AAA", 0, "0")]).bars[0].width == "0.0"


def test_a_long_label_is_cut_in_the_middle_so_its_end_stays_readable():
    label = "A History of Interlibrary Loan in Europe and America, volume 12"
    short = shorten(label, 30)
    assert len(short) <= 30
    assert short.endswith("volume 12")
    assert "…" in short

"""The report's bar charts: bars for what is above zero, the tail and the values below
zero each summed in a note of their own."""

from estate.report.charts import bar_chart


def money(value: float) -> str:
    return f"£{value:,.0f}"


def test_values_below_zero_are_not_drawn_nor_summed_with_the_tail():
    values = {"CRM": 500.0, "HR": 300.0, "Payroll": 100.0, "Email": -50.0, "Print": -25.0,
              "Nothing": 0.0}
    chart = bar_chart("Saving", values, money, top=2,
                      negative_text=lambda n, total: f"{n} cost more ({total})")
    assert [b.label for b in chart.bars] == ["CRM", "HR"]
    assert chart.rest == "and 1 more (£100 in all)"
    assert chart.below == "2 cost more (£-75)"


def test_no_note_below_zero_when_every_value_is_positive():
    chart = bar_chart("Systems", {"CRM": 3, "HR": 1}, str)
    assert [b.label for b in chart.bars] == ["CRM", "HR"] and chart.below == ""
    assert chart.rest == ""


def test_only_values_below_zero_leave_the_chart_empty_with_its_note():
    chart = bar_chart("Saving", {"CRM": -10.0}, money)
    assert chart.bars == [] and chart.below == "1 below zero (£-10 in all)"


def test_report_html_notes_capabilities_that_would_cost_more(tiny_findings, tmp_path):
    from estate.report import write_reports

    tiny_findings.analysis.clusters[1].annual_saving = -20_000.0
    write_reports(tiny_findings, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ("1 capability where consolidating would cost more than it saves "
            "(−£20k a year in all)") in html

"""The one CSV writer: text that would start a formula is quoted, numbers stay numbers, lines stream."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from requests_app.utilities.csv_export import CONTENT_TYPE, csv_download, csv_lines, safe_cell

FORMULAS = ['=HYPERLINK("http://evil.example/","Click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def read(lines) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


@pytest.mark.parametrize("formula", FORMULAS, ids=["equals", "plus", "minus", "at", "tab", "carriage return"])
def test_text_that_starts_a_formula_is_written_behind_a_single_quote(formula):
    assert read(csv_lines([[formula]])) == [["'" + formula]]


def test_text_that_reads_like_a_negative_number_is_still_text_and_quoted():
    assert read(csv_lines([["-1"]])) == [["'-1"]]


@pytest.mark.parametrize("number", [-5, Decimal("-12.50"), -0.25], ids=["int", "Decimal", "float"])
def test_a_negative_number_passed_as_a_number_stays_a_number(number):
    assert read(csv_lines([[number]])) == [[str(number)]]


def test_text_with_a_formula_character_later_in_it_is_left_as_typed():
    assert read(csv_lines([["Smith, Jane = author", "A+B", "x@example.org"]])) == [
        ["Smith, Jane = author", "A+B", "x@example.org"]]


def test_dates_none_and_other_values_are_written_as_text():
    assert read(csv_lines([[dt.date(2026, 3, 1), None, True]])) == [["2026-03-01", "", "True"]]


def test_a_value_that_is_not_text_is_neutralised_by_what_it_prints():
    class Label:
        def __str__(self) -> str:
            return "=1+1"

    assert safe_cell(Label()) == "'=1+1"


def test_quotes_commas_and_line_breaks_inside_a_cell_survive_a_round_trip():
    cell = 'He said "lend it", then\nleft'
    assert read(csv_lines([[cell, "a,b"]])) == [[cell, "a,b"]]


def test_the_download_streams_one_line_per_row_header_first():
    response = csv_download(["title", "count"], [["One", 1], ["=Two", 2]], filename="top.csv")
    assert response.streaming
    assert list(response.streaming_content) == [b"title,count\r\n", b"One,1\r\n", b"'=Two,2\r\n"]


def test_the_download_is_a_csv_attachment_with_its_file_name():
    response = csv_download(["a"], [], filename="OWN-budgets-2026-01-01-2026-12-31.csv")
    assert response["Content-Type"] == CONTENT_TYPE == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="OWN-budgets-2026-01-01-2026-12-31.csv"'


def test_a_header_that_starts_a_formula_is_quoted_too():
    assert read(csv_lines([["-balance"]])) == [["'-balance"]]

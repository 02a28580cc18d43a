"""The one citation presenter: every part labelled, every missing part left out with its label."""

from __future__ import annotations

from types import SimpleNamespace

from requests_app import citations

FIELDS = ("title", "author", "container_title", "volume", "issue", "pages", "publication_date", "edition",
          "publisher", "place_of_publication")


def cite(**given) -> SimpleNamespace:
    return SimpleNamespace(**{field: given.get(field, "") for field in FIELDS})


TVERSKY = cite(author="Tversky, A.", title="Judgment under uncertainty", container_title="Science", volume="185",
               issue="4157", pages="1124-1131", publication_date="1974")


def test_an_article_reads_with_volume_issue_and_pages_labelled():
    assert citations.source(TVERSKY) == "Science, vol. 185, no. 4157, pp. 1124–1131"


def test_the_whole_line_has_author_title_source_and_date():
    assert citations.citation_line(TVERSKY) == (
        "Tversky, A. Judgment under uncertainty. Science, vol. 185, no. 4157, pp. 1124–1131, 1974.")


def test_a_missing_issue_leaves_out_its_label():
    assert citations.source(cite(container_title="Nature", volume="171", pages="737-738")) == (
        "Nature, vol. 171, pp. 737–738")


def test_a_single_page_is_labelled_p():
    assert citations.source(cite(container_title="Nature", pages="737")) == "Nature, p. 737"


def test_a_list_of_pages_is_labelled_pp():
    assert citations.page_label("12, 15") == "pp. 12, 15"


def test_a_spaced_or_doubled_hyphen_in_a_range_becomes_an_en_dash():
    assert citations.page_label("230 -- 245") == "pp. 230–245"


def test_parts_without_a_journal_still_read_alone():
    assert citations.source(cite(volume="3", pages="12")) == "vol. 3, p. 12"


def test_a_citation_without_source_parts_has_an_empty_source():
    assert citations.source(cite(title="The name of the rose")) == ""


def test_a_book_reads_with_edition_imprint_and_date():
    book = cite(author="Eco, Umberto", title="The name of the rose", edition="2", place_of_publication="San Diego",
                publisher="Harcourt", publication_date="1994")
    assert citations.citation_line(book) == "Eco, Umberto. The name of the rose. 2nd ed., San Diego: Harcourt, 1994."


def test_an_edition_written_out_is_kept_as_typed():
    assert citations.edition_label("Revised edition") == "Revised edition"


def test_an_ordinal_edition_gets_ed():
    assert citations.edition_label("11th") == "11th ed."


def test_a_publisher_without_a_place_stands_alone():
    assert citations.publication(cite(publisher="Harcourt", publication_date="1994")) == "Harcourt, 1994"


def test_a_title_alone_is_the_whole_line():
    assert citations.citation_line(cite(title="Untitled")) == "Untitled."


def test_an_empty_citation_is_an_empty_line():
    assert citations.citation_line(cite()) == ""


def test_blank_parts_are_left_out():
    assert citations.source(cite(container_title="  Science ", volume=" ", issue="\t")) == "Science"

"""OpenURL links as discovery systems send them, read into our citation fields."""

from urllib.parse import parse_qs, urlencode

import pytest
from django.http import QueryDict

from requests_app.openurl import parse_openurl


def parse(query_string: str) -> dict:
    return parse_openurl(QueryDict(query_string))


VUFIND_ARTICLE = (
    "url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&ctx_enc=info%3Aofi%2Fenc%3AUTF-8"
    "&rfr_id=info%3Asid%2Fvufind.svn.sourceforge.net%3Agenerator"
    "&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Ajournal&rft.genre=article"
    "&rft.atitle=The+effect+of+interlibrary+loan+on+collection+use&rft.jtitle=College+%26+Research+Libraries"
    "&rft.issn=0010-0870&rft.volume=74&rft.issue=3&rft.spage=230&rft.epage=245&rft.date=2013"
    "&rft.au=Kinnear%2C+Patricia&rft.au=Doe%2C+John&rft_id=info%3Adoi%2F10.5860%2Fcrl-341"
)

PRIMO_BOOK = (
    "ctx_ver=Z39.88-2004&ctx_enc=info:ofi/enc:UTF-8&url_ver=Z39.88-2004"
    "&rfr_id=info:sid/primo.exlibrisgroup.com:primo3-Article-proquest"
    "&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=book&rft.btitle=Information+literacy+instruction"
    "&rft.title=Information+literacy+instruction&rft.aulast=Grassian&rft.aufirst=Esther"
    "&rft.date=2009&rft.edition=2nd+ed.&rft.pub=Neal-Schuman&rft.place=New+York"
    "&rft.isbn=9781555706661&rft_id=info:oclcnum/233939541&rft.object_id=&rft_dat=<PRIMO>123</PRIMO>"
)

EBSCO_ARTICLE_01 = (
    "sid=EBSCO:aph&genre=article&issn=00280836&ISBN=&volume=448&issue=7153&date=20070705"
    "&spage=27&pages=27-28&title=Nature&atitle=Open+access%3A+the+true+cost&aulast=Giles%2C+Jim"
    "&id=doi:10.1038/448027a"
)

GOOGLE_SCHOLAR = (
    "sid=google&auinit=J&aulast=Watson&atitle=Molecular+structure+of+nucleic+acids"
    "&id=doi:10.1038/171737a0&id=pmid:13054692&title=Nature&volume=171&issue=4356&date=1953&spage=737"
    "&issn=0028-0836"
)

WORLDCAT_BOOK = (
    "url_ver=Z39.88-2004&rfr_id=info%3Asid%2Ffirstsearch.oclc.org%3AWorldCat&rft_val_fmt=info%3Aofi%2Ffmt%3Akev"
    "%3Amtx%3Abook&rft.genre=book&req_dat=%3Csessionid%3E%3C%2Fsessionid%3E"
    "&rfe_dat=%3Caccessionnumber%3E61131880%3C%2Faccessionnumber%3E&rft_id=info%3Aoclcnum%2F61131880"
    "&rft_id=urn%3AISBN%3A0-321-33572-4&rft.btitle=Library+of+Babel&rft.au=Borges%2C+Jorge+Luis"
    "&rft.date=2005&rft.pub=Godine"
)


def test_a_vufind_article_link_fills_the_article_fields():
    citation = parse(VUFIND_ARTICLE)
    assert citation["format"] == "article"
    assert citation["title"] == "The effect of interlibrary loan on collection use"
    assert citation["container_title"] == "College & Research Libraries"
    assert (citation["volume"], citation["issue"], citation["pages"]) == ("74", "3", "230-245")
    assert citation["publication_date"] == "2013"
    assert citation["issn"] == "0010-0870"
    assert citation["doi"] == "10.5860/crl-341"


def test_every_author_of_a_1_0_link_is_kept_in_order():
    assert parse(VUFIND_ARTICLE)["author"] == "Kinnear, Patricia; Doe, John"


def test_the_rfr_id_names_the_sending_system():
    assert parse(VUFIND_ARTICLE)["referrer"] == "vufind.svn.sourceforge.net:generator"


def test_a_primo_book_link_fills_the_book_fields():
    citation = parse(PRIMO_BOOK)
    assert citation["format"] == "book"
    assert citation["title"] == "Information literacy instruction"
    assert citation["author"] == "Grassian, Esther"
    assert citation["edition"] == "2nd ed."
    assert citation["publisher"] == "Neal-Schuman"
    assert citation["place_of_publication"] == "New York"
    assert citation["isbn"] == "9781555706661"
    assert citation["oclc_number"] == "233939541"
    assert "container_title" not in citation


def test_an_ebsco_0_1_link_reads_the_journal_from_title_and_the_doi_from_id():
    citation = parse(EBSCO_ARTICLE_01)
    assert citation["format"] == "article"
    assert citation["title"] == "Open access: the true cost"
    assert citation["container_title"] == "Nature"
    assert citation["issn"] == "0028-0836"
    assert citation["doi"] == "10.1038/448027a"
    assert citation["pages"] == "27-28"
    assert citation["referrer"] == "EBSCO:aph"
    assert citation["author"] == "Giles, Jim"


def test_an_ebsco_date_written_as_eight_digits_gives_its_year():
    assert parse(EBSCO_ARTICLE_01)["publication_date"] == "2007"


def test_a_google_scholar_link_without_a_genre_is_read_as_an_article():
    citation = parse(GOOGLE_SCHOLAR)
    assert citation["format"] == "article"
    assert citation["author"] == "Watson, J."
    assert citation["pmid"] == "13054692"
    assert citation["doi"] == "10.1038/171737a0"
    assert citation["pages"] == "737"


def test_a_worldcat_link_gives_the_oclc_number_and_the_isbn_from_rft_id():
    citation = parse(WORLDCAT_BOOK)
    assert citation["format"] == "book"
    assert citation["oclc_number"] == "61131880"
    assert citation["isbn"] == "9780321335722"
    assert citation["title"] == "Library of Babel"


def test_a_bookitem_is_a_chapter_with_the_book_as_its_container():
    citation = parse("genre=bookitem&atitle=Chapter+one&btitle=The+whole+book&isbn=0-306-40615-2&pages=1-20")
    assert citation["format"] == "chapter"
    assert citation["title"] == "Chapter one"
    assert citation["container_title"] == "The whole book"
    assert citation["isbn"] == "9780306406157"


def test_a_proceeding_is_a_conference_paper():
    assert parse("rft.genre=proceeding&rft.atitle=A+paper&rft.jtitle=Proc.+of+X")["format"] == "conference"


def test_a_dissertation_format_is_a_thesis_with_its_university_as_publisher():
    citation = parse("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:dissertation&rft.title=On+loans"
                     "&rft.au=Roe,+R.&rft.inst=University+of+Michigan&rft.date=1999")
    assert citation["format"] == "thesis"
    assert citation["publisher"] == "University of Michigan"


def test_an_unknown_genre_is_other():
    assert parse("genre=unknown&title=Something")["format"] == "other"


def test_an_eissn_is_used_when_no_print_issn_is_given():
    assert parse("genre=article&atitle=A&jtitle=B&eissn=1476-4687")["issn"] == "1476-4687"


def test_a_bad_isbn_is_left_out_and_reported_as_a_warning():
    citation = parse("genre=book&title=A+book&isbn=1234567890")
    assert "isbn" not in citation
    assert any("1234567890" in w and "ISBN" in w for w in citation["warnings"])


def test_a_bad_doi_is_left_out_and_reported_as_a_warning():
    citation = parse("genre=article&atitle=A&rft_id=info:doi/not-a-doi")
    assert "doi" not in citation
    assert len(citation["warnings"]) == 1


def test_a_valid_identifier_after_a_bad_one_is_used_without_a_warning():
    citation = parse("genre=book&title=A&isbn=123&isbn=0306406152")
    assert citation["isbn"] == "9780306406157"
    assert citation["warnings"] == []


def test_repeated_keys_take_the_first_value():
    assert parse("genre=article&atitle=First&atitle=Second")["title"] == "First"


def test_an_empty_query_gives_an_empty_other_citation():
    assert parse_openurl(QueryDict("")) == {"format": "other", "referrer": "", "warnings": [], "notices": []}


def test_huge_values_are_cut_to_the_length_of_their_field():
    citation = parse("genre=article&atitle=" + "x" * 10_000 + "&volume=" + "9" * 500)
    assert len(citation["title"]) == 500
    assert len(citation["volume"]) == 30


def test_control_characters_and_runs_of_spaces_are_cleaned():
    assert parse_openurl({"atitle": ["  A\x00title\n\twith   gaps "], "genre": ["article"]})["title"] == (
        "A title with gaps")


def test_a_plain_dict_of_lists_is_accepted():
    assert parse_openurl(parse_qs(GOOGLE_SCHOLAR))["doi"] == "10.1038/171737a0"


def test_garbage_does_not_crash():
    for garbage in ["%%%&&&===", "rft_id=&id=&genre=", "rft.genre=" + "\udcff", "a=b&" * 500,
                    "rft_id=info:oclcnum/abc&rfe_dat=<accessionnumber></accessionnumber>", "isbn=urn:ISBN:"]:
        citation = parse(garbage)
        assert citation["format"] in {"article", "book", "chapter", "thesis", "conference", "other"}


def test_non_string_values_in_a_dict_are_ignored():
    assert parse_openurl({"genre": [None, 3], "title": "Plain string"})["title"] == "Plain string"


# The links of more systems, as they publish them ---------------------------------------------

def q(*pairs: tuple[str, str]) -> str:
    """A query string from key/value pairs, encoded once, as a browser sends it."""
    return urlencode(pairs)


#: PubMed's LinkOut ("Outside Tool") sends nothing but its name and the PMID.
PUBMED_LINKOUT = "sid=Entrez:PubMed&id=pmid:13054692"

#: Primo (Alma) for an article: every key, most of them empty, the first author given three ways.
PRIMO_ARTICLE = q(
    ("ctx_ver", "Z39.88-2004"), ("ctx_enc", "info:ofi/enc:UTF-8"), ("url_ver", "Z39.88-2004"),
    ("rfr_id", "info:sid/primo.exlibrisgroup.com:primo3-Article-crossref"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
    ("rft.genre", "article"), ("rft.atitle", "Does interlibrary loan pay?"), ("rft.jtitle", "Journal of Documentation"),
    ("rft.btitle", ""), ("rft.aulast", "Smith"), ("rft.auinit", "JA"), ("rft.auinit1", "J"), ("rft.auinitm", "A"),
    ("rft.ausuffix", ""), ("rft.au", "Smith, Jane A."), ("rft.au", "Okafor, Chidi"), ("rft.aucorp", ""),
    ("rft.date", "2019-05"), ("rft.volume", "75"), ("rft.issue", "3"), ("rft.part", ""), ("rft.quarter", ""),
    ("rft.ssn", ""), ("rft.spage", "512"), ("rft.epage", "530"), ("rft.pages", "512-530"), ("rft.artnum", ""),
    ("rft.issn", "0022-0418"), ("rft.eissn", "1758-7379"), ("rft.isbn", ""), ("rft.sici", ""), ("rft.coden", ""),
    ("rft_id", "info:doi/10.1108/JD-08-2018-0131"), ("rft.object_id", ""), ("svc_dat", "viewit"),
    ("rft_dat", "<crossref>10.1108/JD-08-2018-0131</crossref>"), ("rft.eisbn", ""), ("rft_id", "info:oai/"),
)

#: Alma's "request" link for a book, built from the MARC record with its ISBD punctuation.
ALMA_MARC_BOOK = q(
    ("ctx_ver", "Z39.88-2004"), ("rfr_id", "info:sid/primo.exlibrisgroup.com-ALMA"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", "book"),
    ("rft.btitle", "The name of the rose /"), ("rft.title", "The name of the rose /"),
    ("rft.au", "Eco, Umberto,"), ("rft.aulast", "Eco"), ("rft.aufirst", "Umberto"),
    ("rft.pub", "Harcourt Brace Jovanovich,"), ("rft.place", "[San Diego] :"), ("rft.date", "c1983."),
    ("rft.edition", "1st ed."), ("rft.isbn", "0151446474 (hbk.)"), ("rft.oclcnum", "9464372"),
    ("rft.mms_id", "991001234569705251"),
)

#: Summon (360 Link): every author as rft.au, the publisher even for an article, a full date, a DOI in capitals.
SUMMON_ARTICLE = q(
    ("ctx_ver", "Z39.88-2004"), ("ctx_enc", "info:ofi/enc:UTF-8"), ("rfr_id", "info:sid/summon.serialssolutions.com"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", "article"),
    ("rft.atitle", "Resource sharing in the age of open access"),
    ("rft.jtitle", "Journal of the Association for Information Science and Technology"),
    ("rft.au", "Nguyen, Linh"), ("rft.au", "Meyer, Hans-Peter"), ("rft.date", "2019-02-12"),
    ("rft.pub", "Wiley Subscription Services, Inc"), ("rft.issn", "2330-1635"), ("rft.eissn", "2330-1643"),
    ("rft.volume", "70"), ("rft.issue", "2"), ("rft.spage", "101"), ("rft.epage", "115"),
    ("rft_id", "info:doi/10.1002/ASI.24129"), ("rft.externalDocID", "A1234567"), ("paramdict", "en-US"),
)

#: Zotero's COinS for a journal article: the first author as aulast/aufirst and again, with the others, as
#: "First Last" in rft.au; an ISO date; the identifiers in rft_id.
ZOTERO_ARTICLE = q(
    ("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"), ("rfr_id", "info:sid/zotero.org:2"),
    ("rft_id", "info:doi/10.1038/171737a0"), ("rft_id", "info:pmid/13054692"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", "article"),
    ("rft.atitle", "Molecular Structure of Nucleic Acids: A Structure for Deoxyribose Nucleic Acid"),
    ("rft.jtitle", "Nature"), ("rft.stitle", "Nature"), ("rft.volume", "171"), ("rft.issue", "4356"),
    ("rft.aufirst", "J. D."), ("rft.aulast", "Watson"), ("rft.au", "J. D. Watson"), ("rft.au", "F. H. C. Crick"),
    ("rft.date", "1953-04-25"), ("rft.pages", "737-738"), ("rft.spage", "737"), ("rft.epage", "738"),
    ("rft.issn", "0028-0836"),
)

#: Zotero's COinS for a book section.
ZOTERO_CHAPTER = q(
    ("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"), ("rfr_id", "info:sid/zotero.org:2"),
    ("rft_id", "urn:isbn:978-0-19-852663-6"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", "bookitem"),
    ("rft.atitle", "Sharing what we hold"), ("rft.btitle", "Libraries together"), ("rft.place", "Oxford"),
    ("rft.publisher", "Clarendon Press"), ("rft.edition", "2"), ("rft.aufirst", "Mary"), ("rft.aulast", "Roe"),
    ("rft.au", "Mary Roe"), ("rft.date", "1998"), ("rft.pages", "45-67"), ("rft.spage", "45"), ("rft.epage", "67"),
    ("rft.isbn", "978-0-19-852663-6"),
)

#: VuFind's Dublin Core link for what is neither a book nor an article (here a map), from a MARC record.
VUFIND_DC_MAP = q(
    ("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"), ("ctx_enc", "info:ofi/enc:UTF-8"),
    ("rfr_id", "info:sid/vufind.svn.sourceforge.net:generator"),
    ("rft.title", "A plan of the cities of London and Westminster /"),
    ("rft.date", "[1746?]"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc"), ("rft.creator", "Rocque, John, -1762."),
    ("rft.pub", "Printed for J. Pine,"), ("rft.format", "Map"), ("rft.language", "English"),
)

#: VuFind's Dublin Core link for a thesis: the kind is in rft.format.
VUFIND_DC_THESIS = q(
    ("url_ver", "Z39.88-2004"), ("rfr_id", "info:sid/vufind.svn.sourceforge.net:generator"),
    ("rft.title", "Lending across borders :"), ("rft.date", "2011."), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc"),
    ("rft.creator", "Kowalski, Anna."), ("rft.pub", "University of Warsaw,"), ("rft.format", "Thesis"),
)

#: Scopus sends 0.1 with the DOI's slash encoded inside the value, so the link carries it encoded twice.
SCOPUS_ARTICLE = (
    "sid=Elsevier:Scopus&_service_type=getFullTxt&issn=00222836&isbn=&volume=431&issue=4&spage=1&epage=12"
    "&pages=1-12&artnum=&date=2019&id=doi:10.1016%252Fj.jmb.2019.01.001&title=Journal+of+Molecular+Biology"
    "&atitle=Folding+in+the+cell&aufirst=Ada&auinit=A.&auinit1=A&auinitm=&aulast=Byron"
)

#: WorldCat asking for a whole journal: only its title, ISSN and OCLC number.
WORLDCAT_JOURNAL = q(
    ("url_ver", "Z39.88-2004"), ("rfr_id", "info:sid/worldcat.org:worldcat"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", "journal"), ("rft.jtitle", "Nature"),
    ("rft.issn", "0028-0836"), ("rft_id", "info:oclcnum/1586310"),
    ("rfe_dat", "<accessionnumber>1586310</accessionnumber>"),
)


def test_a_pubmed_linkout_link_is_an_article_with_its_pmid():
    citation = parse(PUBMED_LINKOUT)
    assert (citation["format"], citation["pmid"], citation["referrer"]) == ("article", "13054692", "Entrez:PubMed")


def test_a_pubmed_linkout_link_tells_the_patron_what_to_add():
    assert any("PubMed ID" in n and "title" in n for n in parse(PUBMED_LINKOUT)["notices"])


def test_a_bare_doi_is_an_article_with_its_doi():
    citation = parse("rft_id=info:doi/10.1038/171737a0")
    assert (citation["format"], citation["doi"]) == ("article", "10.1038/171737a0")
    assert citation["notices"]


def test_a_primo_article_link_fills_every_field_it_carries():
    citation = parse(PRIMO_ARTICLE)
    assert {k: v for k, v in citation.items() if k not in ("warnings", "notices")} == {
        "format": "article", "title": "Does interlibrary loan pay?", "container_title": "Journal of Documentation",
        "author": "Smith, Jane A.; Okafor, Chidi", "volume": "75", "issue": "3", "pages": "512-530",
        "publication_date": "2019", "issn": "0022-0418", "doi": "10.1108/JD-08-2018-0131",
        "referrer": "primo.exlibrisgroup.com:primo3-Article-crossref",
    }
    assert citation["warnings"] == [] and citation["notices"] == []


def test_an_alma_book_link_loses_the_catalogue_punctuation():
    citation = parse(ALMA_MARC_BOOK)
    assert citation["title"] == "The name of the rose"
    assert citation["author"] == "Eco, Umberto"
    assert citation["publisher"] == "Harcourt Brace Jovanovich"
    assert citation["place_of_publication"] == "San Diego"
    assert citation["publication_date"] == "1983"
    assert citation["edition"] == "1st ed."


def test_an_alma_book_link_reads_an_isbn_with_its_qualifier_and_the_oclc_number():
    citation = parse(ALMA_MARC_BOOK)
    assert (citation["isbn"], citation["oclc_number"]) == ("9780151446476", "9464372")
    assert citation["warnings"] == []


def test_a_summon_link_keeps_every_author_and_the_publisher_and_reads_the_year():
    citation = parse(SUMMON_ARTICLE)
    assert citation["author"] == "Nguyen, Linh; Meyer, Hans-Peter"
    assert citation["publisher"] == "Wiley Subscription Services, Inc"
    assert citation["publication_date"] == "2019"
    assert (citation["issn"], citation["pages"]) == ("2330-1635", "101-115")


def test_a_doi_keeps_the_case_the_link_sent():
    assert parse(SUMMON_ARTICLE)["doi"] == "10.1002/ASI.24129"


def test_a_zotero_article_names_its_first_author_once():
    assert parse(ZOTERO_ARTICLE)["author"] == "Watson, J. D.; F. H. C. Crick"


def test_a_zotero_article_gives_both_identifiers_and_the_year_of_its_iso_date():
    citation = parse(ZOTERO_ARTICLE)
    assert (citation["doi"], citation["pmid"], citation["publication_date"]) == ("10.1038/171737a0", "13054692", "1953")
    assert citation["container_title"] == "Nature"
    assert citation["title"] == "Molecular Structure of Nucleic Acids: A Structure for Deoxyribose Nucleic Acid"


def test_a_zotero_book_section_is_a_chapter_of_its_book():
    citation = parse(ZOTERO_CHAPTER)
    assert {k: v for k, v in citation.items() if k not in ("warnings", "notices", "referrer")} == {
        "format": "chapter", "title": "Sharing what we hold", "container_title": "Libraries together",
        "author": "Roe, Mary", "pages": "45-67", "publication_date": "1998", "edition": "2",
        "publisher": "Clarendon Press", "place_of_publication": "Oxford", "isbn": "9780198526636",
    }


def test_vufinds_creator_is_the_author():
    assert parse(VUFIND_DC_MAP)["author"] == "Rocque, John, -1762"


def test_a_vufind_dublin_core_map_is_other_with_its_date_as_sent():
    citation = parse(VUFIND_DC_MAP)
    assert citation["format"] == "other"
    assert citation["title"] == "A plan of the cities of London and Westminster"
    assert citation["publisher"] == "Printed for J. Pine"
    assert citation["publication_date"] == "1746?"


def test_a_vufind_dublin_core_thesis_is_a_thesis():
    citation = parse(VUFIND_DC_THESIS)
    assert (citation["format"], citation["title"], citation["author"], citation["publisher"],
            citation["publication_date"]) == ("thesis", "Lending across borders", "Kowalski, Anna",
                                              "University of Warsaw", "2011")


def test_a_scopus_doi_encoded_twice_is_decoded():
    assert parse(SCOPUS_ARTICLE)["doi"] == "10.1016/j.jmb.2019.01.001"


def test_a_scopus_link_fills_the_article_fields():
    citation = parse(SCOPUS_ARTICLE)
    assert (citation["format"], citation["title"], citation["container_title"], citation["author"]) == (
        "article", "Folding in the cell", "Journal of Molecular Biology", "Byron, Ada")
    assert (citation["issn"], citation["volume"], citation["issue"], citation["pages"]) == (
        "0022-2836", "431", "4", "1-12")


def test_a_worldcat_whole_journal_link_is_an_article_form_with_the_journal_and_no_article():
    citation = parse(WORLDCAT_JOURNAL)
    assert citation["format"] == "article"
    assert "title" not in citation
    assert (citation["container_title"], citation["issn"], citation["oclc_number"]) == ("Nature", "0028-0836",
                                                                                        "1586310")


def test_a_worldcat_whole_journal_link_asks_the_patron_for_the_article():
    assert any("journal, not an article" in n for n in parse(WORLDCAT_JOURNAL)["notices"])


# When genre and rft_val_fmt disagree, the fields decide --------------------------------------

def test_a_book_format_carrying_an_article_is_read_as_an_article():
    citation = parse("rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=article&rft.atitle=A&rft.jtitle=J"
                     "&rft.issn=0028-0836&rft.volume=1&rft.spage=3")
    assert (citation["format"], citation["container_title"]) == ("article", "J")


def test_a_journal_format_carrying_a_book_is_read_as_a_book():
    citation = parse("rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=book&rft.btitle=A+book"
                     "&rft.isbn=0198526636&rft.pub=Clarendon")
    assert (citation["format"], citation["title"]) == ("book", "A book")


def test_a_zotero_conference_paper_in_book_format_is_a_conference_paper():
    citation = parse(q(
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", "proceeding"), ("rft.atitle", "A paper"),
        ("rft.btitle", "Proceedings of the 12th conference"), ("rft.publisher", "ACM"), ("rft.spage", "1"),
        ("rft.isbn", "978-0-19-852663-6")))
    assert (citation["format"], citation["container_title"]) == ("conference", "Proceedings of the 12th conference")


def test_a_journal_format_with_the_genre_unknown_is_an_article():
    assert parse("rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=unknown&rft.atitle=A&rft.jtitle=J")[
        "format"] == "article"


def test_a_genre_the_fields_do_not_contradict_wins_over_the_value_format():
    assert parse("rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=report&rft.title=A+report")["format"] == "other"


# Dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "year"), [
    ("2022-02-12", "2022"), ("2019-05", "2019"), ("May 2019", "2019"), ("2019/05/01", "2019"),
    ("Spring 2019", "2019"), ("c1998", "1998"), ("[1998?]", "1998"), ("c1998.", "1998"), ("©1998", "1998"),
    ("20070705", "2007"), ("12/02/2019", "2019"), ("1953-04-25T00:00:00Z", "1953"), ("1998-1999", "1998-1999"),
    ("1998/99", "1998-1999"), ("2010-11", "2010"), ("1953", "1953"),
])
def test_the_year_field_gets_the_year_of_any_common_date(sent, year):
    assert parse(q(("genre", "article"), ("atitle", "A"), ("date", sent)))["publication_date"] == year


def test_a_date_without_a_year_in_it_is_kept_as_sent():
    assert parse(q(("genre", "book"), ("title", "A"), ("date", "196-?")))["publication_date"] == "196-?"


def test_the_other_form_keeps_the_fuller_date():
    assert parse(q(("genre", "report"), ("title", "A"), ("date", "2022-02-12")))["publication_date"] == "2022-02-12"


def test_an_article_without_volume_or_issue_gets_its_fuller_date_as_the_issue():
    citation = parse(q(("genre", "article"), ("atitle", "A"), ("jtitle", "The New Yorker"), ("date", "May 2019")))
    assert (citation["issue"], citation["publication_date"]) == ("May 2019", "2019")


def test_an_article_with_a_volume_keeps_only_the_year():
    citation = parse(q(("genre", "article"), ("atitle", "A"), ("jtitle", "B"), ("volume", "7"), ("date", "2019-05")))
    assert "issue" not in citation


def test_the_other_form_writes_an_eight_digit_date_as_iso():
    assert parse(q(("genre", "report"), ("title", "A"), ("date", "20220212")))["publication_date"] == "2022-02-12"


# Catalogue punctuation -----------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "kept"), [
    ("Title /", "Title"), ("Title :", "Title"), ("Title.", "Title"), ("[Title]", "Title"),
    ("Who moved my cheese?", "Who moved my cheese?"), ("Who moved my cheese? /", "Who moved my cheese?"),
    ("Help!", "Help!"), ("Data science : a primer /", "Data science: a primer"),
    ("Moby Dick [electronic resource] /", "Moby Dick"), ("Letters of J.", "Letters of J."),
    ("A history of Washington, D.C.", "A history of Washington, D.C."), ("Works, etc.", "Works, etc."),
    ("Folding of <i>E. coli</i> proteins", "Folding of E. coli proteins"), ("AT&amp;T in 1984", "AT&T in 1984"),
])
def test_a_title_loses_catalogue_punctuation_and_keeps_its_own(sent, kept):
    assert parse(q(("genre", "book"), ("btitle", sent)))["title"] == kept


def test_an_abbreviated_journal_title_keeps_its_last_period():
    assert parse("genre=article&atitle=A&stitle=Phys.+Rev.+Lett.")["container_title"] == "Phys. Rev. Lett."


@pytest.mark.parametrize(("key", "sent", "kept"), [
    ("place", "London :", "London"), ("place", "[London]", "London"), ("place", "[London] :", "London"),
    ("place", "Oxford ; New York :", "Oxford; New York"), ("place", "New York, N.Y. :", "New York, N.Y."),
    ("place", "London [etc.]", "London"), ("pub", "Oxford University Press,", "Oxford University Press"),
    ("pub", "J. Wiley & Sons, Inc.", "J. Wiley & Sons, Inc."), ("pub", "Clarendon Press.", "Clarendon Press"),
])
def test_a_place_or_publisher_loses_catalogue_punctuation(key, sent, kept):
    field = {"place": "place_of_publication", "pub": "publisher"}[key]
    assert parse(q(("genre", "book"), ("btitle", "A"), (key, sent)))[field] == kept


@pytest.mark.parametrize("sent", ["[S.l.] :", "[s.n.],", "[Place of publication not identified]"])
def test_no_place_and_no_publisher_leave_the_field_empty(sent):
    citation = parse(q(("genre", "book"), ("btitle", "A"), ("place", sent), ("pub", sent)))
    assert "place_of_publication" not in citation and "publisher" not in citation


@pytest.mark.parametrize(("sent", "kept"), [
    ("Smith, John,", "Smith, John"), ("Smith, John.", "Smith, John"), ("Smith, J.", "Smith, J."),
    ("Smith, John, 1950-", "Smith, John, 1950-"), ("Borges, Jorge Luis, 1899-1986.", "Borges, Jorge Luis, 1899-1986"),
    ("[Anonymous]", "Anonymous"),
])
def test_an_author_loses_catalogue_punctuation_and_keeps_initials(sent, kept):
    assert parse(q(("genre", "book"), ("btitle", "A"), ("au", sent)))["author"] == kept


# Authors -------------------------------------------------------------------------------------

def test_aulast_and_aufirst_make_the_first_author():
    assert parse("genre=book&title=A&aulast=Smith&aufirst=John")["author"] == "Smith, John"


def test_auinit_is_written_as_initials():
    assert parse("genre=book&title=A&aulast=Smith&auinit=JA")["author"] == "Smith, J. A."


def test_auinit1_and_auinitm_make_the_initials_and_ausuffix_follows():
    assert parse("rft.genre=book&rft.title=A&rft.aulast=King&rft.auinit1=M&rft.auinitm=L&rft.ausuffix=Jr.")[
        "author"] == "King, M. L., Jr."


def test_the_first_author_given_as_aulast_and_as_au_is_kept_once_in_its_fuller_form():
    assert parse("genre=book&title=A&aulast=Smith&auinit=J&au=Smith,+John+A.&au=Doe,+Jane")["author"] == (
        "Smith, John A.; Doe, Jane")


def test_several_creators_are_all_kept():
    assert parse("rft_val_fmt=info:ofi/fmt:kev:mtx:dc&rft.title=A&rft.creator=Roe,+R.&rft.creator=Poe,+P.")[
        "author"] == "Roe, R.; Poe, P."


def test_a_corporate_author_is_used_when_no_person_is_named():
    assert parse("genre=book&title=A&aucorp=World+Health+Organization")["author"] == "World Health Organization"


def test_a_long_author_list_ends_with_et_al_within_the_field():
    link = "genre=article&atitle=A&" + "&".join(f"au=Author{i:03},+Firstname" for i in range(40))
    author = parse(link)["author"]
    assert len(author) <= 300 and author.endswith("; et al.") and author.startswith("Author000, Firstname; ")


# Identifiers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("link", [
    "id=doi:10.1038/171737a0", "rft_id=info:doi/10.1038/171737a0", "rft_id=https://doi.org/10.1038/171737a0",
    "rft_id=http%3A%2F%2Fdx.doi.org%2F10.1038%2F171737a0", "rft.doi=10.1038/171737a0", "doi=10.1038/171737a0",
    "id=doi:10.1038%252F171737a0", "rft_id=info%253Adoi%252F10.1038%252F171737a0",
    "rft_id=https://example.org/record/1&rft_id=info:doi/10.1038/171737a0&rft_id=info:pmid/13054692",
    "rft_id=10.1038/171737a0",
])
def test_a_doi_is_read_from_every_form_it_comes_in(link):
    assert parse(link)["doi"] == "10.1038/171737a0"


@pytest.mark.parametrize("link", [
    "id=pmid:13054692", "rft_id=info:pmid/13054692", "rft.pmid=13054692", "pmid=13054692",
    "rft_id=https://pubmed.ncbi.nlm.nih.gov/13054692/", "rft_id=https://www.ncbi.nlm.nih.gov/pubmed/13054692",
    "id=info:pmid:13054692", "rft_id=pmid:13054692",
])
def test_a_pmid_is_read_from_every_form_it_comes_in(link):
    citation = parse(link)
    assert (citation["pmid"], citation["format"]) == ("13054692", "article")


def test_an_oclc_number_is_read_from_a_worldcat_address():
    assert parse("genre=book&title=A&rft_id=https://www.worldcat.org/oclc/9464372")["oclc_number"] == "9464372"


def test_an_issn_with_a_qualifier_is_read_without_it():
    assert parse("genre=article&atitle=A&jtitle=B&issn=0028-0836+(Print)")["issn"] == "0028-0836"

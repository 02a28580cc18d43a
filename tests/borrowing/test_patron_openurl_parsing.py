"""OpenURL links as discovery systems send them, read into our citation fields."""

from urllib.parse import parse_qs

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


def test_a_google_scholar_link_without_a_genre_is_read_as_an_article():
    citation = parse(GOOGLE_SCHOLAR)
    assert citation["format"] == "article"
    assert citation["author"] == "Watson, J"
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
    assert parse_openurl(QueryDict("")) == {"format": "other", "referrer": "", "warnings": []}


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

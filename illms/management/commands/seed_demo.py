"""``manage.py seed_demo``: a living demo installation for ``make run``.

Creates two member libraries (DEMO and its branch DEMO2), partner libraries with differing
policies, patrons, a staff account for every role, and requests in every state of both
workflows. Each request starts as a patron's submission or a partner's request and reaches
its state through the workflow service (``requests_app.services.perform``) acted by the
right staff member, patron, partner or job, so its event history is a real one.

Running it again changes nothing: libraries and accounts are found by their natural keys,
existing accounts keep their passwords, and requests are made only while the demo library
has none (staff working the demo requests must not make the next ``make run`` add more).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import BillingSettings, Budget, Direction, ExchangeRate, FeeSchedule, Service
from billing.services import charge_for_event, create_monthly_invoices
from billing.services.invoices import render_and_release
from borrowing.models import DocumentSupplier, PurchaseRule, PurchaseVendor, SupplierPrice
from borrowing.services import purchasing, submit_request, suppliers
from borrowing.states import BorrowingStatus
from lending.models import Holding, HoldingFormat
from lending.services import receive_request
from lending.services.availability import check_availability
from lending.services.edelivery import deliver_copy
from lending.states import LendingStatus
from requests_app import roles, saved_views
from requests_app.identity import loads
from requests_app.models import (
    COPY_FORMATS,
    ActorKind,
    AddressPurpose,
    AgencyIdType,
    DeliveryMethod,
    Event,
    EventSource,
    IllRequest,
    Library,
    PartnerApiKey,
    PatronCategory,
    PatronLoad,
    PatronMatchKey,
    PatronProfile,
    PickupLocation,
    RequesterAddress,
    RequesterDetails,
    RequestFormat,
    Role,
    SavedQueueView,
    ServiceType,
    StaffProfile,
)
from requests_app.partners import outbox
from requests_app.partners.keys import issue_api_key
from requests_app.services import perform
from requests_app.two_factor import policy as two_factor_policy
from requests_app.two_factor.demo import DEMO_SECRET, give_demo_authenticator
from requests_app.workflow import Actor, Transition, Workflow, WorkflowError, registry

DEFAULT_PASSWORD = "illms-demo"
DEMO = "DEMO"

# The directory -------------------------------------------------------------------------------

MEMBERS = [
    dict(symbol=DEMO, name="Demo University Library", agency_id_type=AgencyIdType.OCLC, agency_id_value="DEMO",
         address_line1="1 University Plaza", address_line2="Interlibrary Loan Office, Room 104",
         city="Springfield", region="IL", postal_code="62704", country="US",
         contact_name="Interlibrary Loan Office", email="ill@demo.example.edu", phone="+1 217 555 0100",
         billing_email="ill-billing@demo.example.edu", timezone="America/Chicago", reciprocal_groups="GWLA",
         loan_period_days=28),
    dict(symbol="DEMO2", name="Demo University Health Sciences Library", agency_id_type=AgencyIdType.OCLC,
         agency_id_value="DEMO2", address_line1="200 Medical Center Drive", city="Springfield", region="IL",
         postal_code="62702", country="US", contact_name="Document Delivery", email="docdel@demo.example.edu",
         phone="+1 217 555 0180", timezone="America/Chicago", reciprocal_groups="GWLA", loan_period_days=21),
]
#: Pickup desks: (code, name, address). A desk with an address of its own is where lenders ship its loans;
#: one without ships to the library's address.
PICKUP_LOCATIONS = {
    DEMO: [("main", "Main circulation desk", {}),
           ("science", "Science library", dict(address_line1="Science Library, Loading Dock B",
                                               address_line2="45 Laboratory Lane", city="Springfield", region="IL",
                                               postal_code="62704", country="US"))],
    "DEMO2": [("health", "Health sciences service desk", dict(address_line1="200 Medical Center Drive",
                                                             address_line2="Document Delivery, Room G12",
                                                             city="Springfield", region="IL", postal_code="62702",
                                                             country="US"))],
}

PARTNERS = [
    dict(symbol="NFC", name="Northfield College Library", agency_id_value="NFC",
         address_line1="1520 St. Olaf Avenue", city="Northfield", region="MN", postal_code="55057", country="US",
         contact_name="Resource Sharing", email="ill@northfield.example.edu", phone="+1 507 555 0142",
         reciprocal_groups="GWLA", loan_period_days=42,
         lending_notes="Reciprocal within GWLA: no charges. Loans 6 weeks, one renewal."),
    dict(symbol="RSU", name="Ridgemont State University Libraries", agency_id_value="RSU",
         address_line1="800 Campus Drive", city="Ridgemont", region="CO", postal_code="80631", country="US",
         contact_name="Interlibrary Services", email="ils@ridgemont.example.edu",
         billing_email="ar@ridgemont.example.edu",
         loan_fee=Decimal("15.00"), copy_fee=Decimal("10.00"), max_loans_outstanding=10,
         lending_notes="Settles through IFM. At most ten of our loans out to one library at a time."),
    dict(symbol="HPL", name="Harbourview Public Library", agency_id_value="HPL",
         address_line1="5440 Spring Garden Road", city="Halifax", region="NS", postal_code="B3J 1E9", country="CA",
         contact_name="Interlibrary Loans", email="ill@harbourview.example.ca", currency="CAD",
         timezone="America/Halifax", loan_fee=Decimal("20.00"), copy_fee=Decimal("12.50"),
         lending_notes="Invoices monthly in CAD. Audio-visual material does not circulate."),
    dict(symbol="FIT", name="Fenwick Institute of Technology Library", agency_id_value="FIT",
         address_line1="77 Technology Square", city="Cambridge", region="MA", postal_code="02139", country="US",
         contact_name="Document Delivery", email="docdel@fenwick.example.edu", lends_loans=False,
         copy_fee=Decimal("8.00"), lending_notes="Copies only (articles, chapters, papers); no loans."),
    dict(symbol="KBU", name="Kingsbridge University Library", agency_id_value="KBU",
         address_line1="Library Road", city="Kingsbridge", postal_code="TQ7 1AA", country="GB",
         contact_name="Inter-Library Loans", email="ill@kingsbridge.example.ac.uk", currency="GBP",
         timezone="Europe/London", loan_fee=Decimal("18.00"), copy_fee=Decimal("9.00"), loan_period_days=35,
         lending_notes="International loans by tracked post; IFLA vouchers accepted."),
    dict(symbol="WMC", name="Westbrook Medical Center Library", agency_id_value="WMC",
         address_line1="3100 Westbrook Boulevard", city="Omaha", region="NE", postal_code="68198", country="US",
         contact_name="Library Services", email="library@westbrook.example.org", reciprocal_groups="GWLA DOCLINE",
         loan_period_days=21, lending_notes="Reciprocal within GWLA and DOCLINE."),
    dict(symbol="DE-LND1", name="Universitätsbibliothek Lindenau", agency_id_type=AgencyIdType.ISIL,
         agency_id_value="DE-LND1", address_line1="Bibliotheksplatz 1", city="Lindenau", postal_code="04177",
         country="DE", contact_name="Fernleihe", email="fernleihe@ub-lindenau.example.de", currency="EUR",
         timezone="Europe/Berlin", copy_fee=Decimal("8.00"), loan_fee=Decimal("12.00"),
         iso18626_endpoint="http://127.0.0.1:8001/iso18626",
         lending_notes="Talks ISO 18626 to its own ILL system (the interop demo on port 8001)."),
    dict(symbol="OMS", name="Old Mill Theological Seminary Library", agency_id_value="OMS",
         address_line1="12 Mill Street", city="Lancaster", region="PA", postal_code="17602", country="US",
         email="library@oldmill.example.edu", active=False,
         lending_notes="Closed for renovation; not lending or borrowing until further notice."),
]

# People --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffAccount:
    username: str
    first_name: str
    last_name: str
    role: str
    groups: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False
    library: str = DEMO


@dataclass(frozen=True)
class PatronAccount:
    username: str
    first_name: str
    last_name: str
    category: str
    department: str
    pickup: str = "main"
    blocked_reason: str = ""


STAFF = [
    StaffAccount("admin", "Ada", "Admin", f"Superuser and {roles.DIRECTORY_ADMINISTRATOR} (Django admin, every "
                 "library)", (roles.DIRECTORY_ADMINISTRATOR,), is_staff=True, is_superuser=True),
    StaffAccount("borrowing", "Beatriz", "Souza", roles.BORROWING_STAFF, (roles.BORROWING_STAFF,)),
    StaffAccount("lending", "Liam", "O'Neill", roles.LENDING_STAFF, (roles.LENDING_STAFF,)),
    StaffAccount("billing", "Grace", "Kim", roles.BILLING_STAFF, (roles.BILLING_STAFF,)),
    StaffAccount("illadmin", "Ian", "Adeyemi", f"{roles.ILL_ADMINISTRATOR} (and Django admin, own library)",
                 (roles.ILL_ADMINISTRATOR,), is_staff=True),
    StaffAccount("reports", "Rosa", "Martínez", roles.REPORTING, (roles.REPORTING,)),
    StaffAccount("docdel", "Noor", "Haddad", f"{roles.LENDING_STAFF} at DEMO2, the health sciences library",
                 (roles.LENDING_STAFF,), library="DEMO2"),
]

#: The desk clerks' saved views of their queues: (username, desk, name, the queue's query string).
SAVED_VIEWS = [
    ("borrowing", Role.BORROWING, "Sent, quietest first",
     f"status={BorrowingStatus.SENT}&sort=updated&cols=age,need_by"),
    ("lending", Role.LENDING, "New, by need-by date",
     f"status={LendingStatus.NEW}&sort=need_by&cols=call_number,age,need_by"),
]

PATRONS = [
    PatronAccount("patron", "Priya", "Raman", PatronCategory.GRADUATE, "Biology", pickup="science"),
    PatronAccount("mchen", "Michael", "Chen", PatronCategory.FACULTY, "History"),
    PatronAccount("aokafor", "Amara", "Okafor", PatronCategory.FACULTY, "Chemistry", pickup="science"),
    PatronAccount("jlindqvist", "Johan", "Lindqvist", PatronCategory.UNDERGRADUATE, "Computer Science"),
    PatronAccount("sgarcia", "Sofía", "García", PatronCategory.UNDERGRADUATE, "Psychology"),
    PatronAccount("dthompson", "Dana", "Thompson", PatronCategory.STAFF, "Facilities Management"),
    PatronAccount("rwhite", "Robert", "White", PatronCategory.PUBLIC, ""),
    PatronAccount("kbrennan", "Kevin", "Brennan", PatronCategory.GRADUATE, "Economics",
                  blocked_reason="Two interlibrary loans unreturned since March: please see the ILL office."),
]

# Citations (real works; identifiers checked) -------------------------------------------------


def book(title: str, author: str, publisher: str, place: str, year: str, isbn: str, edition: str = "") -> dict:
    return dict(format=RequestFormat.BOOK, title=title, author=author, publisher=publisher,
                place_of_publication=place, publication_date=year, isbn=isbn, edition=edition)


def article(title: str, author: str, journal: str, volume: str, issue: str, pages: str, year: str, issn: str,
            doi: str) -> dict:
    return dict(format=RequestFormat.ARTICLE, title=title, author=author, container_title=journal, volume=volume,
                issue=issue, pages=pages, publication_date=year, issn=issn, doi=doi)


def chapter(title: str, author: str, in_book: str, pages: str, publisher: str, place: str, year: str,
            isbn: str) -> dict:
    return dict(format=RequestFormat.CHAPTER, title=title, author=author, container_title=in_book, pages=pages,
                publisher=publisher, place_of_publication=place, publication_date=year, isbn=isbn)


CITATIONS: dict[str, dict] = {
    "kuhn": book("The Structure of Scientific Revolutions", "Kuhn, Thomas S.", "University of Chicago Press",
                 "Chicago", "2012", "9780226458120", "4th ed."),
    "kimmerer": book("Braiding Sweetgrass: Indigenous Wisdom, Scientific Knowledge and the Teachings of Plants",
                     "Kimmerer, Robin Wall", "Milkweed Editions", "Minneapolis", "2013", "9781571313560"),
    "kolbert": book("The Sixth Extinction: An Unnatural History", "Kolbert, Elizabeth", "Henry Holt",
                    "New York", "2014", "9780805092998"),
    "kahneman": book("Thinking, Fast and Slow", "Kahneman, Daniel", "Farrar, Straus and Giroux", "New York",
                     "2011", "9780374275631"),
    "carson": book("Silent Spring", "Carson, Rachel", "Houghton Mifflin", "Boston", "2002", "9780618249060",
                   "40th anniversary ed."),
    "hofstadter": book("Gödel, Escher, Bach: An Eternal Golden Braid", "Hofstadter, Douglas R.", "Basic Books",
                       "New York", "1999", "9780465026562", "20th anniversary ed."),
    "foucault": book("The Order of Things: An Archaeology of the Human Sciences", "Foucault, Michel",
                     "Vintage Books", "New York", "1994", "9780679753353"),
    "diamond": book("Guns, Germs, and Steel: The Fates of Human Societies", "Diamond, Jared", "W. W. Norton",
                    "New York", "1999", "9780393317558"),
    "jacobs": book("The Death and Life of Great American Cities", "Jacobs, Jane", "Vintage Books", "New York",
                   "1992", "9780679741954"),
    "anderson": book("Imagined Communities: Reflections on the Origin and Spread of Nationalism",
                     "Anderson, Benedict", "Verso", "London", "2006", "9781844670864", "Rev. ed."),
    "fanon": book("The Wretched of the Earth", "Fanon, Frantz", "Grove Press", "New York", "2004",
                  "9780802141323"),
    "said": book("Orientalism", "Said, Edward W.", "Vintage Books", "New York", "1979", "9780394740676"),
    "dawkins": book("The Selfish Gene", "Dawkins, Richard", "Oxford University Press", "Oxford", "2016",
                    "9780198788607", "40th anniversary ed."),
    "zinn": book("A People's History of the United States", "Zinn, Howard", "Harper Perennial", "New York",
                 "2015", "9780062397348"),
    "thompson": book("The Making of the English Working Class", "Thompson, E. P.", "Vintage Books", "New York",
                     "1966", "9780394703220"),
    "harari": book("Sapiens: A Brief History of Humankind", "Harari, Yuval Noah", "Harper", "New York", "2015",
                   "9780062316097"),
    "skloot": book("The Immortal Life of Henrietta Lacks", "Skloot, Rebecca", "Crown", "New York", "2010",
                   "9781400052172"),
    "mukherjee": book("The Gene: An Intimate History", "Mukherjee, Siddhartha", "Scribner", "New York", "2016",
                      "9781476733500"),
    "piketty": book("Capital in the Twenty-First Century", "Piketty, Thomas", "Belknap Press", "Cambridge, MA",
                    "2014", "9780674430006"),
    "wilkerson": book("The Warmth of Other Suns: The Epic Story of America's Great Migration",
                      "Wilkerson, Isabel", "Random House", "New York", "2010", "9780679444329"),
    "collapse": book("Collapse: How Societies Choose to Fail or Succeed", "Diamond, Jared", "Viking",
                     "New York", "2005", "9780670033379"),
    "beauvoir": book("The Second Sex", "Beauvoir, Simone de", "Alfred A. Knopf", "New York", "2010",
                     "9780307265562"),
    "dubois": book("The Souls of Black Folk", "Du Bois, W. E. B.", "Penguin Classics", "New York", "1996",
                   "9780140189988"),
    "austin": book("How to Do Things with Words", "Austin, J. L.", "Harvard University Press", "Cambridge, MA",
                   "1975", "9780674411524", "2nd ed."),
    "watson_crick": article("Molecular Structure of Nucleic Acids: A Structure for Deoxyribose Nucleic Acid",
                            "Watson, J. D.; Crick, F. H. C.", "Nature", "171", "4356", "737-738", "1953",
                            "0028-0836", "10.1038/171737a0"),
    "lecun": article("Deep learning", "LeCun, Yann; Bengio, Yoshua; Hinton, Geoffrey", "Nature", "521", "7553",
                     "436-444", "2015", "0028-0836", "10.1038/nature14539"),
    "jumper": article("Highly accurate protein structure prediction with AlphaFold",
                      "Jumper, John; Evans, Richard; Pritzel, Alexander; et al.", "Nature", "596", "7873",
                      "583-589", "2021", "0028-0836", "10.1038/s41586-021-03819-2"),
    "hardin": article("The Tragedy of the Commons", "Hardin, Garrett", "Science", "162", "3859", "1243-1248",
                      "1968", "0036-8075", "10.1126/science.162.3859.1243"),
    "tversky": article("Judgment under Uncertainty: Heuristics and Biases", "Tversky, Amos; Kahneman, Daniel",
                       "Science", "185", "4157", "1124-1131", "1974", "0036-8075",
                       "10.1126/science.185.4157.1124"),
    "pauling": article("The structure of proteins: Two hydrogen-bonded helical configurations of the polypeptide "
                       "chain", "Pauling, Linus; Corey, Robert B.; Branson, H. R.",
                       "Proceedings of the National Academy of Sciences of the United States of America", "37", "4",
                       "205-211", "1951", "0027-8424", "10.1073/pnas.37.4.205"),
    "granovetter": article("The Strength of Weak Ties", "Granovetter, Mark S.", "American Journal of Sociology",
                           "78", "6", "1360-1380", "1973", "0002-9602", "10.1086/225469"),
    "shannon": article("A Mathematical Theory of Communication", "Shannon, C. E.",
                       "The Bell System Technical Journal", "27", "3", "379-423", "1948", "0005-8580",
                       "10.1002/j.1538-7305.1948.tb01338.x"),
    "ioannidis": article("Why Most Published Research Findings Are False", "Ioannidis, John P. A.",
                         "PLoS Medicine", "2", "8", "e124", "2005", "1549-1277",
                         "10.1371/journal.pmed.0020124"),
    "hirsch": article("An index to quantify an individual's scientific research output", "Hirsch, J. E.",
                      "Proceedings of the National Academy of Sciences of the United States of America", "102",
                      "46", "16569-16572", "2005", "0027-8424", "10.1073/pnas.0507655102"),
    "brin_page": article("The anatomy of a large-scale hypertextual Web search engine",
                         "Brin, Sergey; Page, Lawrence", "Computer Networks and ISDN Systems", "30", "1-7",
                         "107-117", "1998", "0169-7552", "10.1016/S0169-7552(98)00110-X"),
    "geertz": chapter("Thick Description: Toward an Interpretive Theory of Culture", "Geertz, Clifford",
                      "The Interpretation of Cultures: Selected Essays", "3-30", "Basic Books", "New York", "1973",
                      "9780465097197"),
    "haraway": chapter("A Cyborg Manifesto: Science, Technology, and Socialist-Feminism in the Late Twentieth "
                       "Century", "Haraway, Donna J.", "Simians, Cyborgs, and Women: The Reinvention of Nature",
                       "149-181", "Routledge", "New York", "1991", "9780415903875"),
    "benjamin": chapter("The Work of Art in the Age of Mechanical Reproduction", "Benjamin, Walter",
                        "Illuminations: Essays and Reflections", "217-251", "Schocken Books", "New York", "1969",
                        "9780805202410"),
    "shannon_thesis": dict(format=RequestFormat.THESIS, title="A Symbolic Analysis of Relay and Switching Circuits",
                           author="Shannon, Claude Elwood", publisher="Massachusetts Institute of Technology",
                           place_of_publication="Cambridge, MA", publication_date="1940",
                           patron_note="Master's thesis, Department of Electrical Engineering."),
    "nash_thesis": dict(format=RequestFormat.THESIS, title="Non-Cooperative Games", author="Nash, John Forbes",
                        publisher="Princeton University", place_of_publication="Princeton, NJ",
                        publication_date="1950", patron_note="PhD dissertation, Department of Mathematics."),
    "resnet": dict(format=RequestFormat.CONFERENCE, title="Deep Residual Learning for Image Recognition",
                   author="He, Kaiming; Zhang, Xiangyu; Ren, Shaoqing; Sun, Jian",
                   container_title="2016 IEEE Conference on Computer Vision and Pattern Recognition (CVPR)",
                   pages="770-778", publisher="IEEE", place_of_publication="Las Vegas, NV",
                   publication_date="2016", doi="10.1109/CVPR.2016.90"),
    "transformer": dict(format=RequestFormat.CONFERENCE, title="Attention Is All You Need",
                        author="Vaswani, Ashish; Shazeer, Noam; Parmar, Niki; et al.",
                        container_title="Advances in Neural Information Processing Systems 30 (NIPS 2017)",
                        pages="5998-6008", publisher="Curran Associates", place_of_publication="Red Hook, NY",
                        publication_date="2017"),
}

# Holdings: what the demo libraries' catalogues say they have -----------------------------------


def holding(barcode: str, title: str, call_number: str, location: str, *, author: str = "", isbn: str = "",
            issn: str = "", format: str = HoldingFormat.BOOK, circulates: bool = True) -> dict:
    return dict(barcode=barcode, title=title, author=author, isbn=isbn, issn=issn, call_number=call_number,
                location=location, format=format, circulates=circulates)


def journal(barcode: str, title: str, issn: str, call_number: str, location: str) -> dict:
    """A bound or licensed journal run: copied from, never lent."""
    return holding(barcode, title, call_number, location, issn=issn, format=HoldingFormat.SERIAL, circulates=False)


MAIN, SCIENCE, SPECIAL = "Main library, stacks", "Science library, stacks", "Special Collections reading room"
#: The items the lending requests ask for, matched by ISBN or ISSN as a catalogue import would be. Left out
#: on purpose: the Bell System Technical Journal and Computer Networks (those requests read "Not held").
#: Illuminations is here too: the borrowing request for it was cancelled because we own it.
HOLDINGS: dict[str, list[dict]] = {
    DEMO: [
        journal("39001000100011", "Science", "0036-8075", "Q1 .S35", "Science library, bound journals"),
        journal("39001000100029", "Nature", "0028-0836", "Q1 .N2", "Science library, bound journals"),
        journal("39001000100037", "Proceedings of the National Academy of Sciences of the United States of "
                "America", "0027-8424", "Q11 .N26", "Science library, bound journals"),
        journal("39001000100045", "PLoS Medicine", "1549-1277", "Online journal", "Electronic resources (licensed)"),
        holding("39001000200019", "The Interpretation of Cultures: Selected Essays", "GN315 .G36 1973", MAIN,
                author="Geertz, Clifford", isbn="9780465097197"),
        holding("39001000200027", "Capital in the Twenty-First Century", "HB501 .P43613 2014", MAIN,
                author="Piketty, Thomas", isbn="9780674430006"),
        holding("39001000200035", "The Warmth of Other Suns: The Epic Story of America's Great Migration",
                "E185.6 .W685 2010", SPECIAL, author="Wilkerson, Isabel", isbn="9780679444329", circulates=False),
        holding("39001000200043", "The Immortal Life of Henrietta Lacks", "RC265.6.L24 S55 2010", SCIENCE,
                author="Skloot, Rebecca", isbn="9781400052172"),
        holding("39001000200051", "Sapiens: A Brief History of Humankind", "CB113.H4 H3713 2015", MAIN,
                author="Harari, Yuval Noah", isbn="9780062316097"),
        holding("39001000200069", "The Gene: An Intimate History", "QH447 .M85 2016", SCIENCE,
                author="Mukherjee, Siddhartha", isbn="9781476733500"),
        holding("39001000200077", "Collapse: How Societies Choose to Fail or Succeed", "HM791 .D53 2005", MAIN,
                author="Diamond, Jared", isbn="9780670033379"),
        holding("39001000200085", "The Souls of Black Folk", "E185.5 .D8 1996", MAIN, author="Du Bois, W. E. B.",
                isbn="9780140189988"),
        holding("39001000200093", "The Second Sex", "HQ1208 .B352 2010", MAIN, author="Beauvoir, Simone de",
                isbn="9780307265562"),
        holding("39001000200101", "How to Do Things with Words", "B840 .A9 1975", MAIN, author="Austin, J. L.",
                isbn="9780674411524"),
        holding("39001000200119", "Simians, Cyborgs, and Women: The Reinvention of Nature", "HQ1190 .H37 1991",
                MAIN, author="Haraway, Donna J.", isbn="9780415903875"),
        holding("39001000200127", "Illuminations: Essays and Reflections", "PT2603.E455 A26 1969", MAIN,
                author="Benjamin, Walter", isbn="9780805202410"),
    ],
    "DEMO2": [
        journal("39002000100018", "Science", "0036-8075", "Q1 .S35", "Health sciences, journals"),
        journal("39002000100026", "Proceedings of the National Academy of Sciences of the United States of "
                "America", "0027-8424", "Q11 .N26", "Health sciences, journals"),
        journal("39002000100034", "The Lancet", "0140-6736", "W1 LA453", "Health sciences, journals"),
        journal("39002000100042", "The New England Journal of Medicine", "0028-4793", "W1 NE55",
                "Health sciences, journals"),
    ],
}

# Billing: what the demo library charges, and how it invoices ------------------------------------

#: DEMO's fees for what it supplies (receivables): one row for every partner, and its own rows for the
#: partners it bills in their currency. GWLA partners pay nothing (reciprocity waives the fee).
RECEIVABLE_FEES = [
    (None, Service.LOAN, Decimal("20.00"), "USD"),
    (None, Service.COPY, Decimal("12.00"), "USD"),
    (None, Service.LOST_ITEM, Decimal("125.00"), "USD"),
    ("KBU", Service.LOAN, Decimal("16.00"), "GBP"),
    ("KBU", Service.COPY, Decimal("9.50"), "GBP"),
    ("HPL", Service.LOAN, Decimal("25.00"), "CAD"),
]
BILLING_SETTINGS = dict(
    payment_terms_days=30,
    payment_instructions="Pay through OCLC IFM, or by transfer to Demo University, First Springfield Bank, "
                         "account 000123456, routing 071000013, quoting the invoice number. IFLA vouchers accepted.",
)
#: What one unit of each currency the demo pays or charges in was worth in US dollars (for the budget).
EXCHANGE_RATES = {"GBP": Decimal("1.27"), "CAD": Decimal("0.73"), "EUR": Decimal("1.08")}

# Requests: where each one goes, and how -------------------------------------------------------

LOAN_ROUTE = ("sent", "expects_to_supply", "shipped", "received", "ready_for_pickup", "checked_out")
LENDING_LOAN_ROUTE = ("awaiting_picking", "awaiting_shipping", "shipped")


@dataclass
class Scenario:
    """One demo request: the states it passes through (the last is where it stays).

    Between two waypoints the path is the shortest one in the workflow table, so a scenario
    only names the stops that make its history read like a real one.
    """

    role: str
    route: tuple[str, ...]
    citation: str
    patron: str = "patron"
    #: Borrowing: the lenders, in the order the request is sent to them.
    lenders: tuple[str, ...] = ("NFC",)
    #: Lending: the library asking us.
    requester: str = "NFC"
    #: The lender's due date, in days from today (negative: already past).
    due_in_days: int = 35
    #: Actions that leave the status as it is (renewals, a receipt), performed on reaching a waypoint.
    asides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: How long ago the request was made; its events are spread over that time.
    age_days: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


B, L = Role.BORROWING, Role.LENDING
SCENARIOS = [
    # Borrowing: our patrons' requests.
    Scenario(B, ("submitted",), "kuhn", patron="jlindqvist", age_days=0,
             extra={"need_by": 21, "patron_note": "For my philosophy of science seminar paper."}),
    Scenario(B, ("submitted",), "shannon_thesis", patron="patron", age_days=1),
    Scenario(B, ("sourcing", "awaiting_copyright"), "jumper", patron="aokafor"),
    Scenario(B, ("sourcing",), "kolbert", patron="sgarcia", extra={"max_cost": Decimal("15.00")}),
    Scenario(B, ("sent",), "kimmerer", patron="patron", lenders=("NFC",)),
    # To the branch library, in-process through the outbox like any other partner.
    Scenario(B, ("sent",), "anderson", patron="mchen", lenders=("DEMO2",), age_days=1),
    Scenario(B, ("sent", "expects_to_supply"), "diamond", patron="rwhite", lenders=("RSU",),
             extra={"max_cost": Decimal("20.00")}),
    Scenario(B, ("sent", "conditional"), "nash_thesis", patron="patron", lenders=("HPL",)),
    Scenario(B, ("sent", "conditional", "expects_to_supply"), "transformer", patron="jlindqvist", lenders=("KBU",)),
    Scenario(B, LOAN_ROUTE[:3], "hofstadter", patron="jlindqvist", lenders=("NFC",)),
    Scenario(B, LOAN_ROUTE[:4], "jacobs", patron="dthompson", lenders=("WMC",)),
    Scenario(B, LOAN_ROUTE[:5], "fanon", patron="sgarcia", lenders=("NFC",)),
    Scenario(B, LOAN_ROUTE, "foucault", patron="patron", lenders=("KBU",),
             asides={"checked_out": ("request_renewal", "lender_renewal_answer")}),
    Scenario(B, (*LOAN_ROUTE, "overdue"), "dawkins", patron="rwhite", lenders=("RSU",), due_in_days=-4,
             age_days=40),
    Scenario(B, (*LOAN_ROUTE, "recalled"), "carson", patron="aokafor", lenders=("WMC",)),
    Scenario(B, (*LOAN_ROUTE, "returned"), "said", patron="mchen", lenders=("NFC",)),
    Scenario(B, (*LOAN_ROUTE, "returned", "return_shipped"), "zinn", patron="dthompson", lenders=("HPL",)),
    Scenario(B, (*LOAN_ROUTE, "returned", "return_shipped", "completed"), "thompson", patron="mchen",
             lenders=("NFC",), due_in_days=-12, age_days=60),
    # Copies from the branch library: it scans them here, so the patron's download works in the demo.
    Scenario(B, ("sent", "delivered"), "hardin", patron="patron", lenders=("DEMO2",)),
    Scenario(B, ("sent", "delivered"), "pauling", patron="aokafor", lenders=("DEMO2",), age_days=3),
    Scenario(B, ("sent", "delivered", "completed"), "granovetter", patron="sgarcia", lenders=("FIT",)),
    Scenario(B, ("sent", "sourcing", "sent", "sourcing", "end_of_rota"), "resnet", patron="jlindqvist",
             lenders=("RSU", "KBU")),
    Scenario(B, ("sent", "cancel_pending"), "kahneman", patron="jlindqvist", lenders=("RSU",)),
    Scenario(B, ("cancelled",), "benjamin", patron="mchen"),
    Scenario(B, ("sent", "cancel_pending", "cancelled"), "lecun", patron="patron", lenders=("FIT",)),
    # Lending: other libraries' requests to us.
    Scenario(L, ("new",), "tversky", requester="KBU", age_days=0),
    Scenario(L, ("new",), "geertz", requester="WMC", age_days=1),
    Scenario(L, ("awaiting_picking",), "piketty", requester="RSU"),
    Scenario(L, ("awaiting_picking", "conditional"), "wilkerson", requester="HPL"),
    Scenario(L, LENDING_LOAN_ROUTE[:2], "skloot", requester="NFC"),
    Scenario(L, LENDING_LOAN_ROUTE, "harari", requester="KBU", asides={"shipped": ("borrower_received",)}),
    Scenario(L, ("awaiting_picking", "copy_delivered"), "ioannidis", requester="WMC"),
    Scenario(L, (*LENDING_LOAN_ROUTE, "overdue"), "mukherjee", requester="RSU", due_in_days=-6, age_days=45,
             asides={"shipped": ("borrower_received",)}),
    Scenario(L, (*LENDING_LOAN_ROUTE, "recalled"), "collapse", requester="NFC",
             asides={"shipped": ("borrower_received",)}),
    Scenario(L, (*LENDING_LOAN_ROUTE, "return_shipped"), "dubois", requester="HPL",
             asides={"shipped": ("borrower_received", "borrower_renewal_request", "answer_renewal")}),
    Scenario(L, (*LENDING_LOAN_ROUTE, "return_shipped", "completed"), "beauvoir", requester="KBU",
             due_in_days=-9, age_days=50,
             asides={"shipped": ("borrower_received",)}),
    Scenario(L, ("awaiting_picking", "copy_delivered", "completed"), "hirsch", requester="FIT"),
    Scenario(L, ("awaiting_picking", "unfilled"), "austin", requester="WMC"),
    Scenario(L, ("cancelled",), "brin_page", requester="NFC"),
    Scenario(L, ("awaiting_picking", "conditional", "cancelled"), "haraway", requester="HPL"),
    Scenario(L, ("new",), "watson_crick", requester="RSU", age_days=0),
    Scenario(L, ("new",), "shannon", requester="NFC", age_days=2),
]

#: The staff account that works each desk: (library, workflow) → username.
STAFF_AT = {(DEMO, Role.BORROWING): "borrowing", (DEMO, Role.LENDING): "lending", ("DEMO2", Role.LENDING): "docdel"}
#: Where the demo is served (``make run``): the download links of the copies it delivers point there.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

#: Who acts when a transition allows several: the partner answers for itself, staff do the
#: rest; these actions read better done by someone else.
ACTOR_ORDER = (ActorKind.PARTNER, ActorKind.STAFF, ActorKind.SYSTEM, ActorKind.PATRON)
PREFERRED_ACTOR = {
    "mark_overdue": ActorKind.SYSTEM, "end_rota": ActorKind.SYSTEM, "complete_copy": ActorKind.SYSTEM,
    "cancel": ActorKind.PATRON, "request_cancel": ActorKind.PATRON, "request_renewal": ActorKind.PATRON,
}
#: When two transitions lead to the same state, these are taken first.
PREFERRED_ACTIONS = ("accept_conditions", "mark_overdue")
SOURCES = {ActorKind.PATRON: EventSource.WEB, ActorKind.STAFF: EventSource.WEB,
           ActorKind.PARTNER: EventSource.ISO18626, ActorKind.SYSTEM: EventSource.JOB}
NOTES = {
    "send_to_copyright": "Over the rule of five for Nature this year: needs clearance.",
    "cancel_owned_locally": "We own this book: Main library, PT2603.E455 A26 1969. The patron was told.",
    "lender_conditional": "Library use only: the item may not leave the reading room.",
    "accept_conditions": "The patron agrees to read it in the library.",
    "lender_unfilled": "Not on shelf.",
    "end_rota": "No lender left in the rota.",
    "lender_recalled": "Needed for a course reserve.",
    "request_cancel": "No longer needed: found an open-access copy.",
    "offer_conditions": "Library use only: fragile binding.",
    "borrower_rejected_conditions": "Our patron cannot come to the library to read it.",
    "unfill": "Missing from the shelf after two searches.",
    "borrower_cancelled": "Filled by another lender.",
    "mark_overdue": "Due date passed.",
}


def actor_kind(transition: Transition, role: str) -> ActorKind | None:
    """Who performs ``transition`` in the demo: the preferred kind, else the first allowed one."""
    preferred = PREFERRED_ACTOR.get(transition.action)
    if preferred in transition.performers:
        return preferred
    for kind in ACTOR_ORDER:
        if kind in transition.performers and (kind != ActorKind.PATRON or role == Role.BORROWING):
            return kind
    return None


def find_path(workflow: Workflow, start: str, goal: str,
              usable: Callable[[Transition], bool] = lambda t: True,
              prefer: Iterable[str] = PREFERRED_ACTIONS) -> list[Transition]:
    """The fewest state-changing transitions from ``start`` to ``goal`` (breadth-first).

    Among equally short paths it takes the ``prefer`` actions first, then table order.
    Raises ``LookupError`` when ``goal`` cannot be reached with the ``usable`` transitions.
    """
    preferred = frozenset(prefer)
    if start == goal:
        return []
    came_from: dict[str, tuple[str, Transition]] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for transition in sorted(workflow.available(state), key=lambda t: t.action not in preferred):
            target = transition.target
            if not target or target == start or target in came_from or not usable(transition):
                continue
            came_from[target] = (state, transition)
            if target == goal:
                path = []
                while target != start:
                    target, step = came_from[target]
                    path.append(step)
                return path[::-1]
            queue.append(target)
    raise LookupError(f"No way from “{start}” to “{goal}” in the {workflow.role} workflow.")


def citation_fields(scenario: Scenario, today: dt.date) -> dict[str, Any]:
    fields = {**CITATIONS[scenario.citation], **scenario.extra}
    if isinstance(fields.get("need_by"), int):
        fields["need_by"] = today + dt.timedelta(days=fields["need_by"])
    if scenario.role == Role.LENDING:
        fields.pop("patron_note", None)
        copy = fields["format"] in COPY_FORMATS
        fields.setdefault("service_type", ServiceType.COPY if copy else ServiceType.LOAN)
        fields.setdefault("delivery_method", DeliveryMethod.ELECTRONIC if copy else DeliveryMethod.PHYSICAL)
    return fields


class Command(BaseCommand):
    help = ("Create demo libraries, accounts and requests in every workflow state, then list the accounts. "
            "Safe to run again: it adds nothing twice and changes no existing password.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"Password of the demo accounts it creates (default: {DEFAULT_PASSWORD}).")
        parser.add_argument("--site-url", default="",
                            help="Where the demo is served, for the download links of the copies it delivers "
                                 f"(default: ILLMS_SITE_URL, else {DEFAULT_SITE_URL}).")

    def handle(self, *args: Any, password: str, site_url: str = "", verbosity: int = 1, **options: Any) -> None:
        if not password:
            raise CommandError("The demo password cannot be empty.")
        self.site_url = site_url or settings.ILLMS_SITE_URL or DEFAULT_SITE_URL
        if not self.site_url.startswith(("http://", "https://")):
            raise CommandError(f"The site URL must start with http:// or https:// (not “{self.site_url}”).")
        self.verbosity = verbosity
        self.today = timezone.localdate()
        with transaction.atomic():
            try:
                roles.sync_roles()
            except LookupError as exc:
                raise CommandError(f"{exc} Run “manage.py migrate” first.") from exc
            libraries = self.seed_directory()
            partner_keys = self.seed_partner_keys(libraries)
            self.demo = libraries[DEMO]
            self.libraries = libraries
            accounts = self.seed_accounts(password)
            self.seed_saved_views()
            patron_load = self.seed_patron_load()
            holdings = self.seed_holdings()
            self.seed_billing()
            made = self.seed_requests()
            if made:
                invoices = self.seed_invoices()
            elif holdings:  # a demo seeded before it had holdings: its requests are checked again
                self.check_lending_requests()
        if verbosity >= 1:
            partners = sum(1 for lib in libraries.values() if not lib.is_member)
            self.stdout.write(self.style.SUCCESS(
                f"Demo directory: {len(MEMBERS)} member libraries, {partners} partners."))
            if holdings:
                self.stdout.write(self.style.SUCCESS(f"Demo holdings: {holdings} items catalogued."))
            if patron_load:
                self.stdout.write(self.style.SUCCESS(
                    f"Demo patron load: {patron_load.updated} patrons' expiry dates from the student system, "
                    f"{patron_load.failed} record with an error (Policies → Patron loads)."))
            if made:
                self.stdout.write(self.style.SUCCESS(f"Demo requests: {made} created, in every workflow state."))
                self.stdout.write(self.style.SUCCESS(
                    f"Demo invoices: {len(invoices)} issued for past months' receivables, with their PDFs."))
            else:
                self.stdout.write(f"Demo requests: {self.demo.symbol} already has requests; none added.")
            self.print_accounts(accounts, password)
            self.print_partner_keys(partner_keys)

    # Directory --------------------------------------------------------------------------------

    def seed_directory(self) -> dict[str, Library]:
        libraries = {}
        for fields, is_member in [*((m, True) for m in MEMBERS), *((p, False) for p in PARTNERS)]:
            values = dict(fields)
            symbol = values.pop("symbol")
            library, _ = Library.objects.get_or_create(symbol=symbol, defaults={**values, "is_member": is_member})
            libraries[symbol] = library
        for symbol, desks in PICKUP_LOCATIONS.items():
            for code, name, address in desks:
                PickupLocation.objects.get_or_create(library=libraries[symbol], code=code,
                                                     defaults={"name": name, **address})
        return libraries

    def seed_partner_keys(self, libraries: dict[str, Library]) -> list[tuple[Library, str]]:
        """An API key for every active partner that has none: every door refuses a partner without one.

        Returns ``(partner, raw key)`` for the keys issued now (shown once; a second run issues none).
        """
        partners = [lib for lib in libraries.values() if not lib.is_member and lib.active]
        have_keys = set(PartnerApiKey.objects.filter(library__in=partners).values_list("library_id", flat=True))
        return [(partner, issue_api_key(library=partner, name="Demo key")[1])
                for partner in partners if partner.pk not in have_keys]

    def print_partner_keys(self, issued: list[tuple[Library, str]]) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo partner API keys (every partner door needs one):"))
        if not issued:
            self.stdout.write("  Issued by an earlier run and not shown again: issue a new one with "
                              "“manage.py issue_partner_key SYMBOL” or in the admin under Partner API keys.")
            return
        width = max(len(partner.symbol) for partner, _ in issued)
        for partner, raw in issued:
            self.stdout.write(f"  {partner.symbol.ljust(width)}  {raw}")
        self.stdout.write("  Send one as “Authorization: Bearer <key>”, or as HTTP Basic with the partner's symbol "
                          "as user name and the key as password. Shown only now.")

    # Holdings and billing ---------------------------------------------------------------------

    def seed_holdings(self) -> int:
        """The demo libraries' catalogued items, found by barcode; returns how many were added now."""
        have = set(Holding.objects.filter(library__symbol__in=HOLDINGS).values_list("library__symbol", "barcode"))
        new = []
        for symbol, items in HOLDINGS.items():
            for item in items:
                if (symbol, item["barcode"]) not in have:
                    row = Holding(library=self.libraries[symbol], **item)
                    row.fill_keys()
                    new.append(row)
        Holding.objects.bulk_create(new)
        return len(new)

    def check_lending_requests(self) -> None:
        """Run the availability check again on the demo libraries' lending requests (holdings arrived)."""
        for request in IllRequest.objects.filter(library__symbol__in=HOLDINGS, role=Role.LENDING).only("pk"):
            check_availability(request=request)

    def seed_billing(self) -> None:
        """DEMO's fee schedule, invoice settings, exchange rates and this fiscal year's borrowing budget."""
        since = self.today.replace(year=self.today.year - 2, month=1, day=1)
        for symbol, service, amount, currency in RECEIVABLE_FEES:
            FeeSchedule.objects.get_or_create(
                library=self.demo, partner=self.libraries[symbol] if symbol else None,
                direction=Direction.RECEIVABLE, service=service,
                defaults={"amount": amount, "currency": currency, "effective_from": since})
        BillingSettings.objects.get_or_create(library=self.demo, defaults=BILLING_SETTINGS)
        if not ExchangeRate.objects.filter(library=self.demo).exists():
            ExchangeRate.objects.bulk_create(
                ExchangeRate(library=self.demo, currency=currency, base_currency=self.demo.currency, rate=rate,
                             valid_from=since, source="Demo rates (enter your bank's)")
                for currency, rate in EXCHANGE_RATES.items())
        first = self.today.year if self.today.month >= 7 else self.today.year - 1  # July to June
        Budget.objects.get_or_create(library=self.demo, fiscal_year=f"FY{first + 1}", fund="", defaults={
            "starts_on": dt.date(first, 7, 1), "ends_on": dt.date(first + 1, 6, 30), "amount": Decimal("2500.00"),
            "currency": self.demo.currency})
        # Purchase on demand: a bookseller and a rule, so recent books for faculty are proposed for buying.
        PurchaseVendor.objects.get_or_create(library=self.demo, name="Demo Books Ltd", defaults={
            "order_email": "orders@books.example.com", "account_number": "ACC-1001", "customer_id": "DEMO-42",
            "currency": self.demo.currency})
        PurchaseRule.objects.get_or_create(library=self.demo, name="Recent books for faculty and graduates", defaults={
            "formats": [RequestFormat.BOOK], "published_within_years": 3, "max_price": Decimal("80.00"),
            "currency": self.demo.currency, "patron_categories": [PatronCategory.FACULTY, PatronCategory.GRADUATE]})
        # A commercial document supplier for articles, ordered by e-mail from the request page (not in the rota, so the
        # demo's rotas stay the partner libraries').
        supplier, made = DocumentSupplier.objects.get_or_create(library=self.demo, code="DEMODOC", defaults={
            "name": "Demo Document Delivery", "in_rota": False, "country": self.demo.country,
            "currency": self.demo.currency, "account_number": "DD-2048", "order_email": "orders@docs.example.com"})
        if made:
            SupplierPrice.objects.create(supplier=supplier, format=RequestFormat.ARTICLE, price=Decimal("12.00"),
                                         delivery_hours=48)

    def record_charges(self, request: IllRequest) -> None:
        """The charges of ``request``'s supply events, dated when they happened (after ``spread_history``).

        Billing records them when the transition commits, which for the seed is after all requests
        are made and their events dated: then each exists already and is left as it is.
        """
        for event in Event.objects.filter(request=request).order_by("created_at", "pk"):
            charge_for_event(request=request, event=event)

    def seed_invoices(self) -> list:
        """The monthly job's invoices for the months before this one, issued, each with its PDF stored."""
        issued = create_monthly_invoices()
        for invoice in issued:
            render_and_release(invoice_id=invoice.pk)
        return issued

    # Accounts ---------------------------------------------------------------------------------

    def seed_accounts(self, password: str) -> list[tuple[Any, str]]:
        """Every demo account with the role shown for it; new ones get ``password``."""
        self.password = password
        self.password_hash = ""
        accounts = []
        for staff in STAFF:
            user = self.user(staff.username, staff.first_name, staff.last_name,
                             is_staff=staff.is_staff, is_superuser=staff.is_superuser)
            StaffProfile.objects.get_or_create(user=user, defaults={"library": self.libraries[staff.library]})
            if staff.groups:
                user.groups.add(*Group.objects.filter(name__in=staff.groups))
            if two_factor_policy.required_for(user):
                give_demo_authenticator(user)
            accounts.append((user, staff.role))
        desks = {p.code: p for p in PickupLocation.objects.filter(library=self.demo)}
        for n, patron in enumerate(PATRONS, start=1):
            user = self.user(patron.username, patron.first_name, patron.last_name)
            PatronProfile.objects.get_or_create(user=user, defaults={
                "library": self.demo, "card_barcode": f"2100100{n:07d}", "category": patron.category,
                "department": patron.department, "pickup_location": desks.get(patron.pickup),
                "blocked": bool(patron.blocked_reason), "blocked_reason": patron.blocked_reason,
            })
            role = f"Patron: {PatronCategory(patron.category).label}"
            role += f", {patron.department}" if patron.department else ""
            role += " (blocked)" if patron.blocked_reason else ""
            accounts.append((user, role))
        return accounts

    def seed_saved_views(self) -> None:
        """The desk clerks' saved views (each once: a second run finds them by name)."""
        for username, role, name, query in SAVED_VIEWS:
            staff = get_user_model().objects.get(username=username)
            if SavedQueueView.objects.filter(owner=staff, queue=role, name=name).exists():
                continue
            saved_views.save_view(owner=staff, library=staff.staff_profile.library, role=role, name=name,
                                  query=saved_views.parse(saved_views.queues.get(role), query))

    def seed_patron_load(self) -> PatronLoad | None:
        """Last night's file from the student system: every demo patron's expiry date, and one record it could
        not read; ``None`` when the demo library has a load already."""
        if PatronLoad.objects.filter(library=self.demo).exists():
            return None
        expiry = dt.date(self.today.year + 1, 6, 30)
        lines = ["barcode,category,expires_on"]
        lines += [f"2100100{n:07d},{patron.category},{expiry}" for n, patron in enumerate(PATRONS, start=1)]
        lines.append(f"21001009999999,alumnus,{expiry}")
        load = loads.start_load(
            library=self.demo, upload=SimpleUploadedFile("student-system-export.csv", "\n".join(lines).encode()),
            file_format="csv", match_key=PatronMatchKey.BARCODE, create_missing=False,
            user=get_user_model().objects.filter(username="illadmin").first(), queue=False)
        return loads.run_load(load.pk)

    def user(self, username: str, first_name: str, last_name: str, **flags: bool):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            # One hash for every new account: hashing is slow on purpose, and this password is public.
            self.password_hash = self.password_hash or make_password(self.password)
            user = User.objects.create(username=username, first_name=first_name, last_name=last_name,
                                       email=f"{username}@demo.example.edu", password=self.password_hash, **flags)
        return user

    def print_accounts(self, accounts: list[tuple[Any, str]], password: str) -> None:
        works: dict[str, bool] = {self.password_hash: True} if self.password_hash else {}

        def shown(user) -> str:
            if user.password not in works:
                works[user.password] = check_password(password, user.password)
            return password if works[user.password] else "(changed: not shown)"

        rows = [("Username", "Password", "Role", "Name")]
        rows += [(u.get_username(), shown(u), role, u.get_full_name()) for u, role in accounts]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts (sign in at /accounts/login/):"))
        self.stdout.write(lines[0])
        self.stdout.write("  ".join("-" * width for width in widths))
        for line in lines[1:]:
            self.stdout.write(line)
        with_app = set(TOTPDevice.objects.filter(user__in=[u for u, _role in accounts], confirmed=True)
                       .values_list("user_id", flat=True))
        asked = [u.get_username() for u, _role in accounts if u.pk in with_app]
        if asked:
            self.stdout.write("")
            self.stdout.write(f"Two factors: {', '.join(asked)} give a code after the password. Their demo "
                              f"authenticator's secret is published: {DEMO_SECRET} (add it to an authenticator app, "
                              f"or run oathtool --totp -b {DEMO_SECRET}); the demo's code page also shows the code.")

    # Requests ---------------------------------------------------------------------------------

    def seed_requests(self) -> int:
        if IllRequest.objects.filter(library=self.demo).exists():
            return 0
        users = get_user_model().objects.in_bulk(
            [s.username for s in STAFF] + [p.username for p in PATRONS], field_name="username")
        self.users = users
        scenarios = [*SCENARIOS, *self.uncovered_states(SCENARIOS)]
        for n, scenario in enumerate(scenarios, start=1):
            self.lender_side: list[IllRequest] = []
            request = self.play(scenario, n)
            self.spread_history([request, *self.lender_side], scenario, n)
            for made in (request, *self.lender_side):
                self.record_charges(made)
            if self.verbosity >= 2:
                self.stdout.write(f"  {request.number:>5}  {request.status:<18}  {request.title[:60]}")
        return len(scenarios)

    def uncovered_states(self, scenarios: Iterable[Scenario]) -> list[Scenario]:
        """A plain request for each state no scenario ends in, should a workflow gain one."""
        ends = {(s.role, s.route[-1]) for s in scenarios}
        extra = []
        for role in (Role.BORROWING, Role.LENDING):
            for state in registry.get(role).states:
                if (role, state) not in ends:
                    citation = "kuhn" if self.reachable(role, state, "kuhn") else "hardin"
                    extra.append(Scenario(role, (state,), citation))
        return extra

    def reachable(self, role: str, state: str, citation: str) -> bool:
        scenario = Scenario(role, (state,), citation)
        try:
            find_path(registry.get(role), registry.get(role).initial, state, self.usable_for(scenario))
        except LookupError:
            return False
        return True

    def usable_for(self, scenario: Scenario) -> Callable[[Transition], bool]:
        """Whether a transition can be taken for ``scenario``'s request: someone may act, its guards pass."""
        workflow = registry.get(scenario.role)
        fields = citation_fields(scenario, self.today)
        if scenario.role == Role.BORROWING:
            copy = fields["format"] in COPY_FORMATS
            fields.setdefault("service_type", ServiceType.COPY if copy else ServiceType.LOAN)
            partner = self.libraries[scenario.lenders[0]]
        else:
            partner = self.libraries[scenario.requester]
        probe = IllRequest(role=scenario.role, library=self.demo, partner=partner, status=workflow.initial,
                           **fields)
        system = Actor.system("demo data")

        def usable(transition: Transition) -> bool:
            if actor_kind(transition, scenario.role) is None:
                return False
            try:
                return not any(guard(probe, system, {}) for guard in transition.guards)
            except Exception:
                return True  # a guard that needs a saved row is left for perform to judge

        return usable

    def play(self, scenario: Scenario, n: int) -> IllRequest:
        """Make ``scenario``'s request and walk it along its route through ``perform``."""
        workflow = registry.get(scenario.role)
        fields = citation_fields(scenario, self.today)
        if scenario.role == Role.BORROWING:
            request = submit_request(patron=self.users[scenario.patron], source=EventSource.WEB, **fields)
        else:
            partner = self.libraries[scenario.requester]
            request, _ = receive_request(library=self.demo, partner=partner, source=EventSource.ISO18626,
                                         requesting_agency_request_id=f"{partner.symbol}-{24000 + n}", **fields)
            # The shelf check the request queues runs after the seed commits: the desk would read
            # "Not checked" until a worker got to it, so it is run here, before staff act.
            check_availability(request=request)
            if n % 2 == 0:  # the others show the directory's address, as a request that gave none
                self.requester_said(request, partner)
        lenders = iter(scenario.lenders)
        usable = self.usable_for(scenario)
        for waypoint in scenario.route:
            for transition in find_path(workflow, request.status, waypoint, usable):
                lender = next(lenders, None) if transition.action == "send_to_lender" else None
                if lender:
                    request.partner = self.libraries[lender]
                    request.save(update_fields=["partner"])
                if self.by_member_lender(request, transition):
                    self.supply_locally(request, transition, scenario)
                    continue
                self.act(request, transition, scenario)
                if transition.action == "send_to_lender" and request.partner.is_member:
                    self.lender_side.append(self.deliver_to_member(request))
            for action in scenario.asides.get(waypoint, ()):
                self.act(request, workflow.transition(action), scenario)
        return request

    # A member library as lender: its own staff answer, in-process ----------------------------

    def by_member_lender(self, request: IllRequest, transition: Transition) -> bool:
        """Whether ``transition`` is the lender's answer and the lender is one of our member libraries."""
        return (request.role == Role.BORROWING and request.partner_id is not None and request.partner.is_member
                and actor_kind(transition, request.role) == ActorKind.PARTNER)

    def deliver_to_member(self, request: IllRequest) -> IllRequest:
        """Send ``request``'s messages to its member lender now (the outbox would after the seed commits)
        and return the lender's request they made, checked against the lender's shelves."""
        outbox.deliver_request(request.pk)
        lending = IllRequest.objects.get(role=Role.LENDING, library=request.partner, partner=request.library,
                                         requesting_agency_request_id=request.requesting_agency_request_id)
        check_availability(request=lending)
        return lending

    def supply_locally(self, request: IllRequest, transition: Transition, scenario: Scenario) -> None:
        """The member lender's staff do what brings ``transition`` about on our side: for a copy they
        print the pull slip and upload the scan, and the answer reaches us through the outbox."""
        if transition.action != "lender_delivered_copy":
            raise CommandError(f"Demo request {request.number}: the member lender cannot yet play "
                               f"“{transition.label}” in the demo.")
        lending = next(r for r in self.lender_side if r.library_id == request.partner_id)
        lender = registry.get(Role.LENDING)
        for action in ("print_pull_slip", "deliver_copy"):
            self.act(lending, lender.transition(action), scenario)
        outbox.deliver_request(lending.pk)
        request.refresh_from_db()
        if request.status != transition.target:
            raise CommandError(f"Demo request {request.number}: {request.partner.symbol} delivered the copy, "
                               f"but the request is “{request.status}”.")

    def scan(self, request: IllRequest) -> SimpleUploadedFile:
        """A one-page PDF standing in for the scanned pages of ``request``'s article or chapter."""
        from weasyprint import HTML

        html = render_to_string("demo/scan.html", {"ill_request": request})
        return SimpleUploadedFile(f"scan-{request.number}.pdf", HTML(string=html).write_pdf(),
                                  content_type="application/pdf")

    def requester_said(self, request: IllRequest, partner: Library) -> None:
        """What a partner's ISO 18626 request says of itself: its ILL office, where to ship, who to bill."""
        RequesterDetails.objects.create(request=request, name=partner.name, contact_name="Interlibrary Loan",
                                        billing_name=f"{partner.name}, Accounts Payable", service_level="Normal")
        postal = dict(line1=f"Interlibrary Loan, {partner.address_line1}", line2="Shipping and Receiving",
                      locality=partner.city, region=partner.region, postal_code=partner.postal_code,
                      country=partner.country)
        RequesterAddress.objects.bulk_create(a for a in [
            RequesterAddress(request=request, purpose=AddressPurpose.SHIP_TO, position=0, **postal),
            RequesterAddress(request=request, purpose=AddressPurpose.SHIP_TO, position=1, electronic_type="Email",
                             electronic_data=partner.email),
            RequesterAddress(request=request, purpose=AddressPurpose.CONTACT, position=0, electronic_type="Email",
                             electronic_data=partner.email),
            RequesterAddress(request=request, purpose=AddressPurpose.BILLING, position=0, **postal),
        ] if a.is_physical or a.electronic_data)

    def act(self, request: IllRequest, transition: Transition, scenario: Scenario) -> None:
        kind = actor_kind(transition, request.role)
        if kind == ActorKind.STAFF:
            actor = Actor.staff(self.users[STAFF_AT[(request.library.symbol, request.role)]])
        elif kind == ActorKind.PATRON:
            actor = Actor.patron(request.patron)
        elif kind == ActorKind.PARTNER:
            actor = Actor.partner(request.partner)
        else:
            actor = Actor.system("demo data")
        note = NOTES.get(transition.action, "")
        if transition.needs_note and not note:
            note = str(transition.description or transition.label)
        try:
            if transition.action == "deliver_copy":  # a real scan, stored and downloadable like any upload
                deliver_copy(request=request, actor=actor, upload=self.scan(request), base_url=self.site_url,
                             note=note, source=SOURCES[actor.kind])
                request.refresh_from_db()
            elif transition.action == "order_purchase":  # a real order: its MARC record, CSV and e-mail
                vendor = PurchaseVendor.objects.filter(library=request.library, active=True).order_by("pk").first()
                purchasing.order_purchase(request=request, actor=actor, vendor=vendor, unit_price=Decimal("42.00"),
                                          outside_rules=True, source=SOURCES[actor.kind])
                request.refresh_from_db()
            elif transition.action == "order_from_supplier":  # a real order: its e-mail and its rota entry
                supplier = DocumentSupplier.objects.filter(library=request.library, active=True).order_by("pk").first()
                suppliers.order_from_supplier(request=request, actor=actor, supplier=supplier,
                                              source=SOURCES[actor.kind])
                request.refresh_from_db()
            elif transition.action == "receive_purchase":
                purchasing.receive_purchase(request=request, actor=actor, invoice_number=f"INV-{request.pk}",
                                            source=SOURCES[actor.kind])
                request.refresh_from_db()
            else:
                perform(request=request, action=transition.action, actor=actor, source=SOURCES[actor.kind],
                        note=note, data=self.payload(transition.action, request, scenario))
        except WorkflowError as exc:
            raise CommandError(f"Demo request {request.number} ({scenario.citation}) could not "
                               f"“{transition.label}” from “{request.status}”: {exc}") from exc

    def payload(self, action: str, request: IllRequest, scenario: Scenario) -> dict[str, Any]:
        """What the actions that need data carry: due dates, renewal answers, reasons, fees."""
        due = self.today + dt.timedelta(days=scenario.due_in_days)
        if action in {"lender_shipped", "lender_shipped_anyway", "ship"}:
            return {"due_date": due}
        if action in {"lender_renewal_answer", "answer_renewal"}:
            return {"answer": "Y", "due_date": (request.due_date or due) + dt.timedelta(days=21)}
        if action == "lender_recalled":
            return {"due_date": self.today + dt.timedelta(days=7)}
        if action == "lender_unfilled":
            return {"reason_unfilled": "Not on shelf"}
        if action == "lender_delivered_copy":
            # The lender's link to the scan; the patron downloads it from My requests.
            lender = (request.partner.symbol if request.partner_id else "lender").lower()
            return {"url": f"https://{lender}.example.edu/ill/delivery/demo-{request.pk}/"}
        if action == "clear_copyright":
            return {"clearance_fee": "32.50", "currency": "USD"}
        return {}

    def spread_history(self, requests: list[IllRequest], scenario: Scenario, n: int) -> None:
        """Move the requests' events back in time, in order, so lists and turnaround look lived in.

        The workflow writes events at the moment it acts; a seed acts in a second, so this
        rewrites their timestamps once, right after making them. A member lender's request is
        spread with ours, on one timeline.
        """
        events = list(Event.objects.filter(request__in=requests).order_by("created_at", "pk")
                      .values_list("pk", "request_id"))
        age = scenario.age_days if scenario.age_days is not None else 2 * len(events) + n % 4
        end = timezone.now() - dt.timedelta(minutes=30 + n)
        start = end - dt.timedelta(days=age, hours=n % 7 + 1)
        step = (end - start) / max(len(events) - 1, 1)
        times: dict[int, list[dt.datetime]] = {}
        for i, (pk, request_id) in enumerate(events):
            Event.objects.filter(pk=pk).update(created_at=start + step * i)
            times.setdefault(request_id, []).append(start + step * i)
        for request_id, when in times.items():
            IllRequest.objects.filter(pk=request_id).update(created_at=when[0], status_changed_at=when[-1],
                                                            updated_at=when[-1])

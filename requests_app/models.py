"""The core both sides share: directory, patrons, citation, the request, its events and notes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Cast, Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import citations, identifiers, policy_declarations
from .actors import ActorKind
from .iso18626 import xml
from .ncip import profiles as ncip_profiles
from .states import CLOSED_STATUSES, LENDING_NEW
from .utilities.precompiled_sql import RowsStatement
from .utilities.setting_lines import setting_lines
from .workflow import Workflow, registry


class AgencyIdType(models.TextChoices):
    """Common schemes of the ISO 18626 open list ``agencyIdType``; others are accepted too."""

    OCLC = "OCLC", _("OCLC symbol")
    ISIL = "ISIL", "ISIL"
    DNUCNI = "DNUCNI", _("NUC symbol")
    ICOLC = "ICOLC", _("Consortium code")


class Iso18626Version(models.TextChoices):
    """The ISO 18626 versions we write (``requests_app.iso18626.xml``), one per partner."""

    V1_2 = xml.VERSION_1_2, _("1.2 (ReShare and most systems; 1.0 and 1.1 peers too)")
    V2021_2 = xml.VERSION_2021_2, "2021-2"


class SruVersion(models.TextChoices):
    """The SRU versions our catalogue client speaks (``requests_app.directory.sru``)."""

    V1_2 = "1.2", _("SRU 1.2 (most library catalogues)")
    V2_0 = "2.0", "SRU 2.0"


class SruRecordSchema(models.TextChoices):
    """The record schemas our catalogue client reads: MARCXML (with holdings fields) or Dublin Core."""

    MARCXML = "marcxml", _("MARCXML (holdings in 852, 949 or Alma's AVA fields)")
    DC = "dc", _("Dublin Core (no holdings: a record found means this library holds it)")


class IllSystem(models.TextChoices):
    """The ILL system a partner runs: its profile says whether its ISO 18626 messages need lenient intake."""

    RESHARE = "reshare", "ReShare (mod-rs)"
    CROSSLINK = "crosslink", _("Index Data crosslink broker")
    ALMA = "alma", "Alma"
    WORLDSHARE = "worldshare", "WorldShare ILL / Tipasa"
    ILLIAD = "illiad", "ILLiad"
    ILLMS = "illms", "ILLMS"
    OTHER = "other", _("Other or not known")


#: The systems whose messages arrive with the small, well-known defects lenient intake repairs
#: (``requests_app.iso18626.repairs``; docs/partners.md lists what each profile expects). ILLMS writes
#: schema-valid messages, and an unknown system is read strictly until staff say otherwise.
SYSTEMS_NEEDING_REPAIRS = frozenset({IllSystem.RESHARE, IllSystem.CROSSLINK, IllSystem.ALMA, IllSystem.WORLDSHARE,
                                     IllSystem.ILLIAD})


class OutgoingAuthScheme(models.TextChoices):
    BEARER = "bearer", "Authorization: Bearer <key>"
    API_KEY = "api-key", "Authorization: Api-Key <key>"
    BASIC = "basic", _("HTTP Basic (user name and password)")


def parse_holder_symbols(text: str) -> dict[str, str]:
    """Read “CODE = SYMBOL” lines (blank lines and ``#`` comments allowed).

    Raises ``ValidationError`` naming the first line that is not one."""
    mapping: dict[str, str] = {}
    for number, line in setting_lines(text):
        code, sep, symbol = (part.strip() for part in line.partition("="))
        if not sep or not code or not symbol or len(code) > 64 or len(symbol) > 32:
            raise ValidationError(gettext("Line %(number)d: write “CODE = SYMBOL”, e.g. “DE-1a = BERLIN”.")
                                  % {"number": number})
        mapping[code.upper()] = symbol
    return mapping


def validate_holder_symbols(text: str) -> None:
    parse_holder_symbols(text)


def language_choices() -> list[tuple[str, str]]:
    """The languages a person may choose (``LANGUAGES``), empty for the site's default; a callable, so a site
    configured for en-gb English does not need a migration of its own."""
    from django.utils.translation import get_language_info

    return [("", _("The site's default")),
            *((code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES)]


class Library(models.Model):
    """A library in the directory: a member served by this installation, or a partner."""

    symbol = models.CharField(
        max_length=32, unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9:\-_.]+$", _("Letters, digits, colon, dash, dot or underscore."))],
        help_text=_("OCLC symbol, ISIL or consortium code, e.g. EYM or US-MiU."), verbose_name=_("symbol"),
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    is_member = models.BooleanField(
        _("member library"), default=False,
        help_text=_("Served by this installation: has its own staff, queues, policies and money."),
    )
    active = models.BooleanField(default=True,
                                 help_text=_("Inactive libraries are neither sent requests nor accepted from."),
                                 verbose_name=_("active"))

    # Addresses and contact.
    address_line1 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 1"))
    address_line2 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 2"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code."),
                               verbose_name=_("country"))
    contact_name = models.CharField(max_length=200, blank=True, verbose_name=_("contact name"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=40, blank=True, verbose_name=_("phone"))
    billing_email = models.EmailField(blank=True, verbose_name=_("billing email"))
    timezone = models.CharField(max_length=64, default="UTC", verbose_name=_("timezone"))
    currency = models.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code."), verbose_name=_("currency"))
    language = models.CharField(
        max_length=10, blank=True, choices=language_choices,
        help_text=_("The language of what we send this library: invoice and credit-note e-mails, the copyright "
                    "cover sheet, the labels and slips that travel with an item; empty: the site's default."),
        verbose_name=_("language"))

    # Partner protocol.
    agency_id_type = models.CharField(_("ISO 18626 agency id type"), max_length=32, default=AgencyIdType.OCLC)
    agency_id_value = models.CharField(_("ISO 18626 agency id"), max_length=64)
    iso18626_endpoint = models.URLField(_("ISO 18626 endpoint"), blank=True)
    iso18626_version = models.CharField(
        _("ISO 18626 version"), max_length=8, choices=Iso18626Version.choices, default=Iso18626Version.V1_2,
        help_text=_("The version the partner's system speaks: what we send validates against its schema."),
    )
    rest_endpoint = models.URLField(_("ILLMS REST endpoint"), blank=True,
                                    help_text=_("Base URL of another ILLMS installation's API, if it has one."))
    ill_system = models.CharField(
        _("ILL system"), max_length=20, choices=IllSystem.choices, default=IllSystem.OTHER,
        help_text=_("The system the partner's messages come from; its profile says whether they need lenient intake."),
    )
    lenient_intake = models.BooleanField(
        _("lenient intake"), null=True, blank=True, default=None,
        help_text=_("Repair the small, well-known defects of this partner's ISO 18626 messages (empty elements, a "
                    "missing lastChange or dateSent, a CancelResponse without statusInfo, version 1.0) instead of "
                    "refusing them. Unknown: as its ILL system's profile says."),
    )
    # What we send with our messages to the partner's endpoint (``transports``): a scheme, and a secret the
    # partner issued to us, stored encrypted (``requests_app.partners.credentials``) and never shown again.
    outgoing_auth_scheme = models.CharField(
        _("how we authenticate to the partner"), max_length=10, choices=OutgoingAuthScheme.choices,
        default=OutgoingAuthScheme.BEARER,
        help_text=_("Sent with our messages: “Authorization: Bearer <secret>”, “Authorization: Api-Key <secret>” "
                    "or HTTP Basic (user name and the secret as password)."),
    )
    outgoing_username = models.CharField(
        _("user name at the partner"), max_length=100, blank=True,
        help_text=_("HTTP Basic only: the user name the partner gave us."),
    )
    outgoing_secret = models.TextField(
        _("our key or password at the partner (encrypted)"), blank=True, editable=False,
        help_text=_("Fernet token of the key or password the partner issued to us; set through the admin form."),
    )
    ip_allowlist = models.CharField(
        _("IP allow-list"), max_length=500, blank=True,
        help_text=_("Space-separated addresses or networks (CIDR) the partner's messages may come from; empty: any. "
                    "Checked besides the credential, never instead of it."),
    )
    # Every door authenticates a partner (``partners.authentication``). Accepting its messages without a
    # credential is an administrator's recorded decision (who, when, why), never a default.
    open_without_credential = models.BooleanField(
        _("accepts messages without a credential"), default=False, editable=False,
        help_text=_("ISO 18626 messages naming this partner are accepted without a key or password."),
    )
    opened_without_credential_at = models.DateTimeField(null=True, blank=True, editable=False,
                                                        verbose_name=_("opened without credential at"))
    opened_without_credential_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+",
        verbose_name=_("opened without credential by"),
    )
    opened_without_credential_reason = models.TextField(blank=True, editable=False,
                                                        verbose_name=_("opened without credential reason"))
    # Messages refused for their credential or address, counted with F() (``partners.authentication.count_refusal``).
    refused_messages = models.PositiveIntegerField(_("refused messages"), default=0, editable=False)
    last_refused_at = models.DateTimeField(_("last refused"), null=True, blank=True, editable=False)
    last_refused_reason = models.CharField(max_length=200, blank=True, editable=False,
                                           verbose_name=_("last refused reason"))

    # Lending policy, as the directory tells it.
    lends_loans = models.BooleanField(default=True, verbose_name=_("lends loans"))
    lends_copies = models.BooleanField(default=True, verbose_name=_("lends copies"))
    loan_period_days = models.PositiveSmallIntegerField(default=28, verbose_name=_("loan period days"))
    loan_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"),
                                   validators=[MinValueValidator(Decimal("0"))], verbose_name=_("loan fee"))
    copy_fee = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("0"),
                                   validators=[MinValueValidator(Decimal("0"))], verbose_name=_("copy fee"))
    reciprocal_groups = models.CharField(
        max_length=200, blank=True,
        help_text=_("Space-separated codes of the networks this library lends in without fees."),
        verbose_name=_("reciprocal groups"),
    )
    max_loans_outstanding = models.PositiveIntegerField(null=True, blank=True,
                                                        help_text=_("Empty: no limit."),
                                                        verbose_name=_("max loans outstanding"))
    lending_notes = models.TextField(blank=True, verbose_name=_("lending notes"))

    # Its catalogue over SRU (``directory.holdings``): who holds an item, asked before a rota is built.
    sru_base_url = models.URLField(
        _("SRU base URL"), blank=True,
        help_text=_("The catalogue's SRU address, e.g. https://catalogue.example.edu/sru; empty: not searched."))
    sru_version = models.CharField(_("SRU version"), max_length=3, choices=SruVersion.choices, default=SruVersion.V1_2)
    sru_record_schema = models.CharField(_("SRU record schema"), max_length=10, choices=SruRecordSchema.choices,
                                         default=SruRecordSchema.MARCXML)
    sru_union_catalogue = models.BooleanField(
        _("union catalogue"), default=False,
        help_text=_("The catalogue answers for many libraries: each holding names its holder by ISIL or OCLC "
                    "symbol (852 $a, 949 $h, AVA $a). Otherwise every record found is this library's."))
    sru_holder_symbols = models.TextField(
        _("holder symbols"), blank=True,
        validators=[validate_holder_symbols],
        help_text=_("A union catalogue's holder codes that are not a directory symbol or agency id, one per line: "
                    "“CODE = SYMBOL” (e.g. “DE-1a = BERLIN”). Codes matching a symbol or agency id need no line."))

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("library")
        verbose_name_plural = _("libraries")
        ordering = ["symbol"]
        constraints = [
            models.UniqueConstraint(fields=["agency_id_type", "agency_id_value"], name="library_unique_agency_id"),
        ]
        indexes = [
            # Every ISO 18626 message finds its sender (and a request its supplier) by agency id, compared
            # case-insensitively (UPPER(...) = UPPER(...)); without these, a scan of ~10,500 libraries each time.
            models.Index(Upper("agency_id_type"), Upper("agency_id_value"), name="library_agency_upper_idx"),
            models.Index(Upper("symbol"), name="library_symbol_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} – {self.name}"

    @property
    def reads_leniently(self) -> bool:
        """Whether its messages get lenient intake: as staff set it, else as its ILL system's profile says."""
        if self.lenient_intake is not None:
            return self.lenient_intake
        return self.ill_system in SYSTEMS_NEEDING_REPAIRS

    @property
    def has_outgoing_secret(self) -> bool:
        return bool(self.outgoing_secret)

    @property
    def reciprocal_group_set(self) -> frozenset[str]:
        return frozenset(self.reciprocal_groups.upper().split())

    def is_reciprocal_with(self, other: Library) -> bool:
        return bool(self.reciprocal_group_set & other.reciprocal_group_set)

    @property
    def holder_symbol_map(self) -> dict[str, str]:
        """``sru_holder_symbols`` as {holder code (upper case): directory symbol}."""
        return parse_holder_symbols(self.sru_holder_symbols)

    @property
    def postal_address(self) -> str:
        parts = [self.name, self.address_line1, self.address_line2,
                 " ".join(p for p in (self.city, self.region, self.postal_code) if p), self.country]
        return "\n".join(p for p in parts if p)

    @property
    def has_address(self) -> bool:
        return has_street_address(self)


def has_street_address(place: Library | PickupLocation) -> bool:
    """A parcel can be addressed to ``place``: it has a street line, a city or a postal code (not a country alone)."""
    return bool(place.address_line1 or place.address_line2 or place.city or place.postal_code)


class PickupLocation(models.Model):
    """A desk where patrons collect their loans; its address, when it has one, is where lenders ship to."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="pickup_locations",
                                verbose_name=_("library"))
    code = models.SlugField(max_length=32, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    active = models.BooleanField(default=True, verbose_name=_("active"))
    # Where lenders ship a loan for this desk (ISO 18626 requestedDeliveryInfo); empty: the library's address.
    address_line1 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 1"))
    address_line2 = models.CharField(max_length=200, blank=True, verbose_name=_("address line 2"))
    city = models.CharField(max_length=100, blank=True, verbose_name=_("city"))
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code."),
                               verbose_name=_("country"))

    class Meta:
        verbose_name = _("pickup location")
        verbose_name_plural = _("pickup locations")
        ordering = ["library", "name"]
        constraints = [models.UniqueConstraint(fields=["library", "code"], name="pickup_location_unique_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_address(self) -> bool:
        return has_street_address(self)


class PatronCategory(models.TextChoices):
    FACULTY = "faculty", _("Faculty")
    GRADUATE = "graduate", _("Graduate student")
    UNDERGRADUATE = "undergraduate", _("Undergraduate student")
    STAFF = "staff", _("Staff")
    PUBLIC = "public", _("Public")


class PatronProfile(models.Model):
    """What the ILL office knows of a patron, beside the auth user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patron_profile",
                                verbose_name=_("user"))
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="patrons",
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    card_barcode = models.CharField(max_length=32, verbose_name=_("card barcode"))
    category = models.CharField(max_length=20, choices=PatronCategory.choices, default=PatronCategory.UNDERGRADUATE,
                                verbose_name=_("category"))
    department = models.CharField(max_length=100, blank=True, verbose_name=_("department"))
    pickup_location = models.ForeignKey(PickupLocation, on_delete=models.SET_NULL, null=True, blank=True,
                                        verbose_name=_("pickup location"))
    notify_by_email = models.BooleanField(default=True, verbose_name=_("notify by email"))
    due_date_reminders = models.BooleanField(default=True, verbose_name=_("due date reminders"))
    language = models.CharField(
        max_length=10, blank=True, choices=language_choices,
        help_text=_("The language of the patron's pages and e-mails (chosen in the page header); empty: the site's."),
        verbose_name=_("language"))
    blocked = models.BooleanField(default=False, verbose_name=_("blocked"))
    blocked_reason = models.CharField(max_length=200, blank=True,
                                      help_text=_("Shown to the patron when they try to request."),
                                      verbose_name=_("blocked reason"))
    blocked_by_ils = models.BooleanField(
        _("blocked by the library's ILS"), default=False,
        help_text=_("The block is the ILS's (NCIP LookupUser at sign-in or at a request): lifted when the ILS no "
                    "longer blocks the patron."))
    # From the library's systems: the sign-in doors and the patron load keep these current.
    institution_id = models.CharField(
        max_length=100, blank=True,
        help_text=_("The person's id in the institution's systems (student or employee number), for patron loads."),
        verbose_name=_("institution id"))
    expires_on = models.DateField(
        null=True, blank=True, help_text=_("The day the library account ends; from then on the patron cannot request."),
        verbose_name=_("expires on"))
    refreshed_from = models.CharField(
        max_length=20, blank=True,
        help_text=_("Where the details were last refreshed from (a sign-in door or a load)."),
        verbose_name=_("refreshed from"))
    refreshed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("refreshed at"))

    class Meta:
        verbose_name = _("patron profile")
        verbose_name_plural = _("patron profiles")
        constraints = [
            models.UniqueConstraint(fields=["library", "card_barcode"], name="patron_unique_card_per_library"),
        ]
        indexes = [models.Index(fields=["library", "institution_id"], name="patron_institution_id")]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.card_barcode})"

    def expired(self, today) -> bool:
        return self.expires_on is not None and self.expires_on < today

    @property
    def expired_today(self) -> bool:
        return self.expired(timezone.localdate())


class ExternalIdentity(models.Model):
    """An account's name at an identity provider: the door (saml, cas, ldap, oidc) and the subject it asserts.

    A sign-in through a door finds its account by this pair only, never by a user name or e-mail typed
    elsewhere, so a person cannot take over an account by having the same name at another door.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities",
                             verbose_name=_("user"))
    door = models.CharField(max_length=20, verbose_name=_("door"))
    subject = models.CharField(max_length=255, verbose_name=_("subject"))
    first_seen = models.DateTimeField(auto_now_add=True, verbose_name=_("first seen"))
    last_seen = models.DateTimeField(auto_now=True, verbose_name=_("last seen"))

    class Meta:
        verbose_name = _("external identity")
        constraints = [models.UniqueConstraint(fields=["door", "subject"], name="external_identity_unique_subject")]
        verbose_name_plural = _("external identities")

    def __str__(self) -> str:
        return f"{self.door}:{self.subject}"


class PatronLoadFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class PatronMatchKey(models.TextChoices):
    BARCODE = "barcode", _("Library card barcode")
    INSTITUTION_ID = "institution_id", _("Institutional id")


class PatronLoadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Loading")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


#: A load in one of these is over: its job does nothing more with it.
PATRON_LOAD_FINISHED = (PatronLoadStatus.DONE, PatronLoadStatus.FAILED)


class PatronLoadSettings(models.Model):
    """A member library's column names and category values for its patron loads (over the installation's)."""

    library = models.OneToOneField(Library, on_delete=models.CASCADE, primary_key=True,
                                   related_name="patron_load_settings", verbose_name=_("library"))
    columns = models.TextField(
        blank=True,
        help_text=_("field=column[,column] pairs separated by ; (barcode=Card number;category=Patron type)"),
        verbose_name=_("columns"))
    categories = models.TextField(
        blank=True, help_text=_("value=category pairs separated by ; (UG=undergraduate;PG=graduate;FAC=faculty)"),
        verbose_name=_("categories"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("patron load settings")
        verbose_name_plural = _("patron load settings")

    def __str__(self) -> str:
        return f"Patron load columns of {self.library_id}"


class PatronLoad(models.Model):
    """One file of patrons from the library's systems and how its load went (the progress bar reads this row).

    ``processed`` is also where the job goes on: the records before it are written, in the same transaction
    that counted them, so a job that dies mid-way and is run again takes up at the next record. ``claim`` is
    the token of the job holding the load, until ``lease_until``.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="patron_loads",
                                verbose_name=_("library"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    file = models.FileField(upload_to="patron-loads/%Y/%m/", max_length=300, verbose_name=_("file"))
    original_name = models.CharField(max_length=255, blank=True, verbose_name=_("original name"))
    file_format = models.CharField(max_length=10, choices=PatronLoadFormat.choices, verbose_name=_("file format"))
    match_key = models.CharField(max_length=20, choices=PatronMatchKey.choices, default=PatronMatchKey.BARCODE,
                                 verbose_name=_("match key"))
    create_missing = models.BooleanField(
        default=True, help_text=_("Create patrons the file has and we do not; otherwise only update known patrons."),
        verbose_name=_("create missing"))
    #: The column names and category values in force when the load was started, so that a rerun reads alike.
    columns = models.JSONField(default=dict, blank=True, verbose_name=_("columns"))
    categories = models.JSONField(default=dict, blank=True, verbose_name=_("categories"))
    status = models.CharField(max_length=10, choices=PatronLoadStatus.choices, default=PatronLoadStatus.PENDING,
                              verbose_name=_("status"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("total"))
    processed = models.PositiveIntegerField(default=0, verbose_name=_("processed"))
    created = models.PositiveIntegerField(default=0, verbose_name=_("created"))
    updated = models.PositiveIntegerField(default=0, verbose_name=_("updated"))
    unchanged = models.PositiveIntegerField(default=0, verbose_name=_("unchanged"))
    skipped = models.PositiveIntegerField(default=0, help_text=_("Not known here, and the load creates no patrons."),
                                          verbose_name=_("skipped"))
    failed = models.PositiveIntegerField(default=0, verbose_name=_("failed"))
    stopped = models.PositiveIntegerField(default=0, help_text=_("Patrons this load newly expired or blocked."),
                                          verbose_name=_("stopped"))
    message = models.TextField(blank=True, help_text=_("Why the whole load failed, if it did."),
                               verbose_name=_("message"))
    claim = models.CharField(max_length=32, blank=True, verbose_name=_("claim"))
    lease_until = models.DateTimeField(null=True, blank=True, verbose_name=_("lease until"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("patron load")
        verbose_name_plural = _("patron loads")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["library", "-created_at"], name="patron_load_library_idx"),
                   models.Index(fields=["status", "lease_until"], name="patron_load_status_idx")]

    def __str__(self) -> str:
        return f"{self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == PatronLoadStatus.DONE:
            return 100
        return min(100, int(100 * self.processed / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in PATRON_LOAD_FINISHED


class PatronLoadError(models.Model):
    """One thing wrong with one record of a load: its line (CSV) or record number (JSON), field and why."""

    load = models.ForeignKey(PatronLoad, on_delete=models.CASCADE, related_name="errors", verbose_name=_("load"))
    line = models.PositiveIntegerField(verbose_name=_("line"))
    field = models.CharField(max_length=40, blank=True, verbose_name=_("field"))
    value = models.CharField(max_length=200, blank=True, verbose_name=_("value"))
    message = models.CharField(max_length=300, verbose_name=_("message"))

    class Meta:
        verbose_name = _("patron load error")
        verbose_name_plural = _("patron load errors")
        ordering = ["line", "pk"]
        indexes = [models.Index(fields=["load", "line"], name="patron_load_error_line_idx")]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class StaffProfile(models.Model):
    """The member library a staff account works for; its queues are scoped to it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile",
                                verbose_name=_("user"))
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="staff",
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    language = models.CharField(
        max_length=10, blank=True, choices=language_choices,
        help_text=_("The language of the staff member's pages (chosen in the page header); empty: the site's."),
        verbose_name=_("language"))

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user.get_username()} @ {self.library.symbol}"


class Role(models.TextChoices):
    BORROWING = "borrowing", _("Borrowing")
    LENDING = "lending", _("Lending")


class RequestFormat(models.TextChoices):
    BOOK = "book", _("Book")
    ARTICLE = "article", _("Journal article")
    CHAPTER = "chapter", _("Book chapter")
    THESIS = "thesis", _("Thesis or dissertation")
    CONFERENCE = "conference", _("Conference paper")
    OTHER = "other", _("Other")


#: Formats delivered as a copy (non-returnable) unless asked otherwise.
COPY_FORMATS = frozenset({RequestFormat.ARTICLE, RequestFormat.CHAPTER, RequestFormat.CONFERENCE})


class ServiceType(models.TextChoices):
    """ISO 18626 ``serviceType``."""

    LOAN = "Loan", _("Loan")
    COPY = "Copy", _("Copy")
    COPY_OR_LOAN = "CopyOrLoan", _("Copy or loan")


class DeliveryMethod(models.TextChoices):
    ELECTRONIC = "electronic", _("Electronic (download link)")
    PHYSICAL = "physical", _("Physical (pick up at the library)")


class CopyrightCompliance(models.TextChoices):
    CCG = "CCG", _("CCG – complies with the CONTU guidelines")
    CCL = "CCL", _("CCL – complies with copyright law otherwise")


class SpacedText(models.Func):
    """Text columns joined by spaces with a flat ``||`` (SQL's own operator, immutable on PostgreSQL, as a
    generated column needs; ``Concat`` nests a ``COALESCE`` per column, deeper than SQLite parses). For
    columns that are never NULL."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra):
        copy = self.copy()
        copy.set_source_expressions([Cast(expression, models.TextField())
                                     for expression in copy.get_source_expressions()])
        return super(SpacedText, copy).as_sql(compiler, connection, **extra)


#: The request's fields staff search by a word or part of one (``IllRequest.search_text``).
SEARCHED_FIELDS = ("title", "author", "container_title", "isbn", "issn", "oclc_number", "doi", "pmid",
                   "requesting_agency_request_id", "supplying_agency_request_id")


class Citation(models.Model):
    """The bibliographic description of what is asked for.

    Identifiers are stored normalised (ISBN-13, ``NNNN-NNNC``, a DOI without its resolver, in its own case); ``clean()``
    normalises them and reports each bad one on its own field.
    """

    format = models.CharField(max_length=20, choices=RequestFormat.choices, default=RequestFormat.BOOK,
                              verbose_name=_("format"))
    title = models.CharField(max_length=500, help_text=_("Book title, or the article or chapter title."),
                             verbose_name=_("title"))
    author = models.CharField(max_length=300, blank=True, verbose_name=_("author"))
    container_title = models.CharField(_("journal or book title"), max_length=500, blank=True,
                                       help_text=_("The journal of an article, the book of a chapter."))
    volume = models.CharField(max_length=30, blank=True, verbose_name=_("volume"))
    issue = models.CharField(max_length=30, blank=True, verbose_name=_("issue"))
    pages = models.CharField(max_length=50, blank=True, verbose_name=_("pages"))
    publication_date = models.CharField(_("date"), max_length=30, blank=True, help_text=_("Year, or a fuller date."))
    edition = models.CharField(max_length=50, blank=True, verbose_name=_("edition"))
    publisher = models.CharField(max_length=200, blank=True, verbose_name=_("publisher"))
    place_of_publication = models.CharField(max_length=100, blank=True, verbose_name=_("place of publication"))
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True)
    issn = models.CharField(_("ISSN"), max_length=9, blank=True)
    oclc_number = models.CharField(_("OCLC number"), max_length=12, blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    pmid = models.CharField(_("PMID"), max_length=9, blank=True)
    need_by = models.DateField(_("needed by"), null=True, blank=True)
    max_cost = models.DecimalField(_("maximum cost"), max_digits=9, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(Decimal("0"))],
                                   help_text=_("The most the patron accepts to pay; empty: no limit stated."))
    max_cost_currency = models.CharField(max_length=3, default="USD", verbose_name=_("max cost currency"))

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        values = {field: getattr(self, field) for field in identifiers.NORMALIZERS}
        cleaned, errors = identifiers.normalize_identifiers(values)
        for field, value in cleaned.items():
            setattr(self, field, value)
        if errors:
            raise ValidationError(errors)

    @property
    def publication_year(self) -> int | None:
        digits = "".join(ch if ch.isdigit() else " " for ch in self.publication_date).split()
        years = [int(d) for d in digits if len(d) == 4 and 1000 <= int(d) <= 2999]
        return years[0] if years else None

    @property
    def is_copy_format(self) -> bool:
        return self.format in COPY_FORMATS

    @property
    def citation_line(self) -> str:
        """The whole citation, each part labelled (``requests_app.citations``)."""
        return citations.citation_line(self)


class IllRequestQuerySet(models.QuerySet):
    def borrowing(self) -> IllRequestQuerySet:
        return self.filter(role=Role.BORROWING)

    def lending(self) -> IllRequestQuerySet:
        return self.filter(role=Role.LENDING)

    def for_library(self, library: Library) -> IllRequestQuerySet:
        return self.filter(library=library)

    def for_patron(self, user) -> IllRequestQuerySet:
        return self.filter(role=Role.BORROWING, patron=user)

    def open(self) -> IllRequestQuerySet:
        """Requests not in a final state (the condition of ``request_open_status_idx``)."""
        return self.exclude(status__in=CLOSED_STATUSES)

    def reserve_id(self) -> int | None:
        """An id for a request not yet written, taken from the table's own sequence; ``None`` without one.

        A lending request's supplier id contains its own id (``<symbol>-<id>``): with the id known
        before the ``INSERT``, the row is written once, instead of written and then updated (an update
        that touched every index of the table). PostgreSQL has the sequence; elsewhere (SQLite) the
        caller writes the row first and reads the id the database gave it.
        """
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [self.model._meta.db_table])
            return cursor.fetchone()[0]


class IllRequest(Citation):
    """One interlibrary loan transaction, seen from one side.

    ``role`` says which side: a *borrowing* request is our patron's, sent to ``partner``
    (the current lender); a *lending* request came from ``partner`` (the requesting
    library). Both sides of one loan between two member libraries are two rows.
    The status belongs to that side's workflow (``borrowing/workflow.py``,
    ``lending/workflow.py``) and changes only through ``requests_app.services.perform``.
    """

    role = models.CharField(max_length=10, choices=Role.choices, verbose_name=_("role"))
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="requests",
                                limit_choices_to={"is_member": True},
                                help_text=_("The member library this request belongs to."), verbose_name=_("library"))
    partner = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="partner_requests",
                                null=True, blank=True,
                                help_text=_("Borrowing: the current lender. Lending: the requesting library."),
                                verbose_name=_("partner"))
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="ill_requests", verbose_name=_("patron"))
    status = models.CharField(max_length=32, db_index=True, verbose_name=_("status"))
    service_type = models.CharField(max_length=12, choices=ServiceType.choices, default=ServiceType.LOAN,
                                    verbose_name=_("service type"))
    delivery_method = models.CharField(max_length=12, choices=DeliveryMethod.choices, default=DeliveryMethod.PHYSICAL,
                                       verbose_name=_("delivery method"))
    pickup_location = models.ForeignKey(PickupLocation, on_delete=models.SET_NULL, null=True, blank=True,
                                        verbose_name=_("pickup location"))
    patron_note = models.TextField(blank=True, help_text=_("What the patron wrote with the request."),
                                   verbose_name=_("patron note"))
    # Anonymous facts about the patron, copied when the request is made: statistics by category and
    # department survive the purge of the patron's identity.
    patron_category = models.CharField(max_length=20, choices=PatronCategory.choices, blank=True,
                                       verbose_name=_("patron category"))
    patron_department = models.CharField(max_length=100, blank=True, verbose_name=_("patron department"))
    patron_purged_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text=_("When the patron's identity was removed from this request (privacy purge)."),
        verbose_name=_("patron purged at"))
    copyright_compliance = models.CharField(max_length=3, choices=CopyrightCompliance.choices, blank=True,
                                            verbose_name=_("copyright compliance"))

    due_date = models.DateField(null=True, blank=True, help_text=_("The lender's due date."),
                                verbose_name=_("due date"))
    patron_due_date = models.DateField(null=True, blank=True,
                                       help_text=_("The due date given to the patron, before the lender's."),
                                       verbose_name=_("patron due date"))
    renewal_count = models.PositiveSmallIntegerField(default=0, verbose_name=_("renewal count"))
    renewal_requested_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("When the borrower asked the lender to renew the loan; empty once the lender answered."),
        verbose_name=_("renewal requested at"))

    # ISO 18626 identifiers: (requesting agency, requesting_agency_request_id) names the transaction.
    requesting_agency_request_id = models.CharField(max_length=64, blank=True, db_index=True,
                                                    verbose_name=_("requesting agency request id"))
    supplying_agency_request_id = models.CharField(max_length=64, blank=True,
                                                   verbose_name=_("supplying agency request id"))
    #: What staff search for, lower-cased in one column the database keeps (``requests_app.search``): the
    #: citation's words and identifiers and the protocol's request ids. On PostgreSQL a trigram index over it
    #: answers ``%word%`` (migration 0036).
    search_text = models.GeneratedField(expression=Lower(SpacedText(*SEARCHED_FIELDS)),
                                        output_field=models.TextField(), db_persist=True, verbose_name=_("search text"))

    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    status_changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("status changed at"))

    objects = IllRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("ILL request")
        verbose_name_plural = _("ILL requests")
        ordering = ["-created_at"]
        indexes = [
            # The queues: a member library's requests of one side in one status, newest activity first; the id
            # breaks ties as the keyset pages do, so rows changed in the same instant (one bulk UPDATE) do not
            # make PostgreSQL read and sort the whole tie before the first page.
            models.Index(fields=["library", "role", "status", "-updated_at", "-id"], name="request_queue_idx"),
            # A desk's whole queue, newest activity first, keyset-paged on (updated_at, id): without it the
            # page walks the global updated_at index skipping every other library's rows, the longer the
            # smaller the library.
            models.Index(fields=["library", "role", "-updated_at", "-id"], name="request_activity_idx"),
            # The partner API's list: one partner's requests (both sides), changed since, newest first and
            # cursor-paged on (updated_at, id). With the role between partner and updated_at, PostgreSQL read
            # and sorted every match of the period; now it reads 51 rows.
            models.Index(fields=["partner", "-updated_at", "-id"], name="request_partner_changes_idx"),
            models.Index(fields=["patron", "-created_at"], name="request_patron_idx"),
            # Statistics for a period (volumes, most requested titles) and the partner API's created-since.
            models.Index(fields=["library", "role", "created_at"], name="request_created_idx"),
            # The nightly privacy purge: borrowing requests still holding their patron's identity. Purged
            # rows leave the index, so it stays the size of the open and recent requests.
            models.Index(fields=["library", "status_changed_at"], name="request_purge_due_idx",
                         condition=Q(role="borrowing", patron_purged_at__isnull=True)),
            # The dashboards count the open requests per state: finished ones (nearly all of ten years of
            # history) stay out of this index, so the count reads a few thousand entries, not the history.
            models.Index(fields=["library", "role", "status"], condition=~Q(status__in=CLOSED_STATUSES),
                         name="request_open_status_idx"),
            # The availability check of the requests partners just sent (lending's initial state): a range of
            # the last minutes, read without walking every open request of every library.
            models.Index(fields=["created_at"], condition=Q(role=Role.LENDING, status=LENDING_NEW),
                         name="request_lending_new_idx"),
        ]
        constraints = [
            # A partner's request arrives once: its id is unique among the lending requests it sent us.
            models.UniqueConstraint(
                fields=["library", "partner", "requesting_agency_request_id"],
                condition=Q(role="lending"), name="lending_request_unique_partner_id",
            ),
            models.CheckConstraint(condition=Q(role__in=["borrowing", "lending"]), name="request_role_valid"),
            models.CheckConstraint(condition=Q(role="borrowing") | Q(patron__isnull=True),
                                   name="request_patron_only_when_borrowing"),
        ]
        permissions = [
            ("work_borrowing", "Can work the borrowing queues"),
            ("work_lending", "Can work the lending queues"),
            ("view_statistics", "Can view statistics and reports"),
            ("administer_ill", "Can administer ILL policies"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title[:60]}"

    @property
    def number(self) -> str:
        """The request's barcode text and the id staff quote: ``B123`` or ``L123``."""
        return self.number_of(self.role, self.pk)

    @staticmethod
    def number_of(role: str, pk: int) -> str:
        return f"{'B' if role == Role.BORROWING else 'L'}{pk}"

    @property
    def workflow(self) -> Workflow:
        return registry.get(self.role)

    @property
    def status_label(self) -> str:
        return self.status_label_of(self.role, self.status)

    @staticmethod
    def status_label_of(role: str, status: str) -> str:
        return registry.get(role).state(status).label

    @property
    def is_final(self) -> bool:
        return self.workflow.state(self.status).final

    @property
    def age_days(self) -> int:
        """Whole days since the request was made (submitted by the patron, or received from the partner), today
        in the installation's time zone."""
        return max((timezone.localdate() - timezone.localtime(self.created_at).date()).days, 0)

    @property
    def days_overdue(self) -> int:
        """Whole days since the due date passed, while this side's workflow holds the item overdue; else 0.

        The earlier of the patron's and the lender's due dates on the borrowing side (the patron's comes
        first), the lender's own due date on the lending side; today in the installation's time zone.
        """
        if not self.workflow.state(self.status).overdue:
            return 0
        dates = [d for d in (self.patron_due_date, self.due_date) if d] if self.role == Role.BORROWING else (
            [self.due_date] if self.due_date else [])
        return max((timezone.localdate() - min(dates)).days, 0) if dates else 0


class RequesterDetails(models.Model):
    """What a partner's request said about the requesting library beyond the citation (lending side).

    ISO 18626 ``requestingAgencyInfo`` (its name and contact), ``billingInfo`` (who to bill) and
    ``serviceInfo/serviceLevel``, kept as the message gave them; its addresses are
    :class:`RequesterAddress` rows. A request whose message said none of this has no row.
    """

    request = models.OneToOneField(IllRequest, on_delete=models.CASCADE, primary_key=True,
                                   related_name="requester_details", verbose_name=_("request"))
    name = models.CharField(_("library name"), max_length=200, blank=True)
    contact_name = models.CharField(max_length=200, blank=True, verbose_name=_("contact name"))
    billing_name = models.CharField(max_length=200, blank=True, verbose_name=_("billing name"))
    billing_method = models.CharField(max_length=50, blank=True, verbose_name=_("billing method"))
    payment_method = models.CharField(max_length=50, blank=True, verbose_name=_("payment method"))
    service_level = models.CharField(max_length=50, blank=True, help_text=_("As the borrower asked, e.g. Rush."),
                                     verbose_name=_("service level"))

    class Meta:
        verbose_name = _("requester details")
        verbose_name_plural = _("requester details")

    def __str__(self) -> str:
        return self.name or f"request {self.request_id}"

    @property
    def is_rush(self) -> bool:
        """The borrower asked for faster than normal service (Rush, Express or Urgent, in any case)."""
        return self.service_level.strip().lower() in {"rush", "express", "urgent"}


class AddressPurpose(models.TextChoices):
    """Which part of a partner's request an address came from."""

    SHIP_TO = "ship_to", _("Ship to")  # requestedDeliveryInfo
    CONTACT = "contact", _("Contact")  # requestingAgencyInfo
    BILLING = "billing", _("Bill to")  # billingInfo


class RequesterAddress(models.Model):
    """One address a partner's request gave (ISO 18626 ``address``: electronic or physical), in its order.

    The ship-to addresses are in the borrower's order of preference (``sortOrder``, then the order sent):
    the first physical one is where a loan is shipped.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="requester_addresses",
                                verbose_name=_("request"))
    purpose = models.CharField(max_length=10, choices=AddressPurpose.choices, verbose_name=_("purpose"))
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Preference: the first is the one to use."),
                                                verbose_name=_("position"))
    delivery_method = models.CharField(max_length=50, blank=True, help_text=_("Ship-to only, when the borrower said."),
                                       verbose_name=_("delivery method"))
    courier_name = models.CharField(max_length=50, blank=True, verbose_name=_("courier name"))
    electronic_type = models.CharField(max_length=50, blank=True,
                                       help_text=_("E.g. Email; empty for a postal address."),
                                       verbose_name=_("electronic type"))
    electronic_data = models.CharField(max_length=300, blank=True, verbose_name=_("electronic data"))
    line1 = models.CharField(max_length=200, blank=True, verbose_name=_("line 1"))
    line2 = models.CharField(max_length=200, blank=True, verbose_name=_("line 2"))
    locality = models.CharField(max_length=100, blank=True, verbose_name=_("locality"))
    postal_code = models.CharField(max_length=20, blank=True, verbose_name=_("postal code"))
    region = models.CharField(max_length=100, blank=True, verbose_name=_("region"))
    country = models.CharField(max_length=60, blank=True, verbose_name=_("country"))

    class Meta:
        verbose_name = _("requester address")
        verbose_name_plural = _("requester addresses")
        ordering = ["request", "purpose", "position", "pk"]
        indexes = [models.Index(fields=["request", "purpose", "position"], name="requester_address_idx")]

    def __str__(self) -> str:
        return ", ".join(self.lines)

    @property
    def is_physical(self) -> bool:
        return not self.electronic_type and not self.electronic_data

    @property
    def lines(self) -> list[str]:
        """The address as printed: street lines, "locality region postal code", country; or "Type: data"."""
        if not self.is_physical:
            return [f"{self.electronic_type}: {self.electronic_data}" if self.electronic_type else self.electronic_data]
        town = " ".join(p for p in (self.locality, self.region, self.postal_code) if p)
        return [p for p in (self.line1, self.line2, town, self.country) if p]


class EventSource(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", "REST API"
    ISO18626 = "iso18626", "ISO 18626"
    JOB = "job", _("Scheduled job")
    ADMIN = "admin", _("Admin")
    SYSTEM = "system", _("System")


class RequestChannel(models.TextChoices):
    """How a request that staff typed for a patron reached the ILL office (``Event.data["channel"]``)."""

    TELEPHONE = "telephone", _("Telephone")
    WALK_IN = "walk_in", _("Walk-in (in person at the desk)")
    EMAIL = "email", _("E-mail")
    OTHER = "other", _("Other (letter, chat, a colleague…)")


class CopyrightAcceptance(models.TextChoices):
    """How a patron accepted the copyright warning of a copy staff requested for them
    (``Event.data["copyright_accepted"]``): the patron's own form has its tick box instead."""

    SIGNED = "signed", _("The patron signed the warning (paper form at the desk)")
    EMAIL = "email", _("The patron accepted it in writing, by e-mail")
    READ_ALOUD = "read_aloud", _("The warning was read to the patron, who accepted it (telephone)")


class Event(models.Model):
    """One entry of a request's audit log: immutable, written by the workflow service."""

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request"))
    action = models.CharField(max_length=64, verbose_name=_("action"))
    from_status = models.CharField(max_length=32, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=32, blank=True, verbose_name=_("to status"))
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices, verbose_name=_("actor kind"))
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("actor user"))
    actor_library = models.ForeignKey(Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("actor library"))
    actor_name = models.CharField(max_length=100, blank=True, help_text=_("Job or system component, when no user."),
                                  verbose_name=_("actor name"))
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.WEB,
                              verbose_name=_("source"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"], name="event_request_idx"),
                   models.Index(fields=["action", "created_at"], name="event_action_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.action} {self.from_status}→{self.to_status}"

    @property
    def actor_display(self) -> str:
        if self.actor_user_id:
            return self.actor_user.get_full_name() or self.actor_user.get_username()
        if self.actor_library_id:
            return self.actor_library.symbol
        return self.actor_name or self.get_actor_kind_display()


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", _("Staff only")
    PATRON = "patron", _("Shown to the patron")
    PARTNER = "partner", _("Sent to the partner")


class Note(models.Model):
    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="notes", verbose_name=_("request"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    author_library = models.ForeignKey(Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                       help_text=_("Set when a partner library wrote the note."),
                                       verbose_name=_("author library"))
    visibility = models.CharField(max_length=10, choices=NoteVisibility.choices, default=NoteVisibility.INTERNAL,
                                  verbose_name=_("visibility"))
    text = models.TextField(verbose_name=_("text"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    # Notes from outside (a partner, a patron) wait in the staff inbox until someone reads them.
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("read at"))
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("read by"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at", "pk"]
        indexes = [
            # The inbox, the menu's unread count and the "unread messages" lists, on every staff page: only the
            # unread notes written outside the library are in it (``messaging.from_outside``; staff's own notes,
            # most of them, are never read and stay out).
            models.Index(fields=["request"], name="note_unread_from_outside_idx",
                         condition=Q(read_at__isnull=True) & (Q(author_library__isnull=False) | Q(
                             author__isnull=False, visibility=NoteVisibility.PATRON))),
        ]

    def __str__(self) -> str:
        return f"Note on {self.request_id}: {self.text[:40]}"


class PartnerApiKeyQuerySet(models.QuerySet):
    def by_prefix_with_library(self, prefix: str) -> PartnerApiKey | None:
        """The key with ``prefix`` and its library, in one query; ``None`` if there is none.

        What ``select_related("library").filter(prefix=…).first()`` returns, without the ORM compiling
        it (45 columns) on every partner API call, at twice the cost of the database's answer
        (:mod:`requests_app.utilities.precompiled_sql`).
        """
        rows = _KEY_WITH_LIBRARY.fetch([prefix], using=self.db)
        if not rows:
            return None
        key, library = rows[0]
        key.library = library
        return key


def _key_with_library(quote) -> str:
    key, library = PartnerApiKey._meta, Library._meta
    return (f"{quote(key.db_table)} k INNER JOIN {quote(library.db_table)} l"
            f" ON l.{quote(library.pk.column)} = k.{quote(key.get_field('library').column)}"
            f" WHERE k.{quote(key.get_field('prefix').column)} = %s")


class PartnerApiKey(models.Model):
    """A key a partner library uses for the REST API (and, where required, for ISO 18626).

    Only a SHA-256 hash is stored: keys are long random strings, so a fast hash suffices
    (as for GitHub tokens). The raw key is shown once, when issued.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("library"))
    name = models.CharField(max_length=100, help_text=_("What the key is for, e.g. “ILL system production”."),
                            verbose_name=_("name"))
    prefix = models.CharField(max_length=16, unique=True, editable=False, verbose_name=_("prefix"))
    key_hash = models.CharField(max_length=64, editable=False, verbose_name=_("key hash"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last used at"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    objects = PartnerApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
        ordering = ["library", "-created_at"]

    def __str__(self) -> str:
        return f"{self.library.symbol}: {self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


_KEY_WITH_LIBRARY = RowsStatement([("k", PartnerApiKey), ("l", Library)], _key_with_library)


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class Transport(models.TextChoices):
    LOCAL = "local", _("In-process (member library of this installation)")
    ISO18626 = "iso18626", _("ISO 18626 XML over HTTP")
    REST = "rest", "ILLMS REST API"


class OutboxMessage(models.Model):
    """A protocol message to a partner, written in the same transaction as the change that caused it.

    Delivered by a Celery task in order per request (a message waits while an older one of
    the same request is undelivered), with exponential back-off and a retry limit.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("request"))
    sender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", verbose_name=_("sender"))
    recipient = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+", verbose_name=_("recipient"))
    kind = models.CharField(max_length=32, help_text=_("request, supplyingAgencyMessage or requestingAgencyMessage."),
                            verbose_name=_("kind"))
    summary = models.CharField(max_length=100, help_text=_("Status or action carried, for people reading the list."),
                               verbose_name=_("summary"))
    payload = models.JSONField(help_text=_("The message in ILLMS's JSON form of ISO 18626."), verbose_name=_("payload"))
    transport = models.CharField(max_length=10, choices=Transport.choices, verbose_name=_("transport"))
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING,
                              verbose_name=_("status"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    confirmation = models.JSONField(null=True, blank=True, verbose_name=_("confirmation"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["request", "status", "created_at"], name="outbox_request_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} → {self.recipient_id} ({self.status})"

    @property
    def is_delivered(self) -> bool:
        return self.status == OutboxStatus.DELIVERED


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being handed to the mail server")
    SENT = "sent", _("Handed to the mail server")
    FAILED = "failed", _("Failed (gave up)")


class OutgoingEmail(models.Model):
    """An e-mail to a patron or a partner, written in the transaction that decided it.

    Rendered when written (the library's wording, the patron's preferences as they were then);
    sent by a Celery task that claims the row (pending → sending) and records the moment the
    mail server accepted it (``handed_over_at``). ``key`` names what the e-mail is about
    (``reminder:<request>:<stage>:<due date>``, ``invoice:<id>``, ``event:<id>:<kind>``), so
    nothing is written twice. An attachment is named, not stored: its app supplies the file at
    send time (``attachment_kind`` registered in ``requests_app.mailer``), and the e-mail waits
    until the file exists.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="outgoing_emails",
                                help_text=_("The member library sending it."), verbose_name=_("library"))
    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="emails", help_text=_("The request it is about, if any."),
                                verbose_name=_("request"))
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    key = models.CharField(max_length=200, unique=True, help_text=_("What it is about: written once per key."),
                           verbose_name=_("key"))
    recipient = models.EmailField(max_length=254, verbose_name=_("recipient"))
    reply_to = models.EmailField(max_length=254, blank=True, verbose_name=_("reply to"))
    subject = models.TextField(verbose_name=_("subject"))
    body_text = models.TextField(verbose_name=_("body text"))
    body_html = models.TextField(blank=True, verbose_name=_("body html"))
    attachment_kind = models.CharField(max_length=40, blank=True, verbose_name=_("attachment kind"))
    attachment_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("attachment id"))
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING,
                              verbose_name=_("status"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    handed_over_at = models.DateTimeField(null=True, blank=True, help_text=_("When the mail server accepted it."),
                                          verbose_name=_("handed over at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_due_idx"),
            models.Index(fields=["library", "status", "-created_at"], name="email_library_idx"),
            models.Index(fields=["request"], name="email_request_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status=EmailStatus.SENT) | Q(handed_over_at__isnull=False),
                                   name="email_sent_has_hand_over"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class InboundState(models.TextChoices):
    """Where a received partner message is in being applied (``requests_app.partners.intake``)."""

    PENDING = "pending", _("Received, waiting to be applied")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Could not be applied")


class InboundMessage(models.Model):
    """Every protocol message received, keyed so a repeated message is answered again, not acted on twice.

    Acknowledged first and applied by a worker (``ILLMS_ISO18626_APPLY``): a message is stored ``pending``
    with what applying it needs (``payload``, ``member``, ``source``), in its ``thread`` (the transaction it
    belongs to, whose messages are applied in the order received), then ``applied`` or ``failed`` with its
    ``apply_error``. Applied at once, it is written ``applied`` in the transaction that applied it.
    """

    sender = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", verbose_name=_("sender"))
    fingerprint = models.CharField(max_length=64, unique=True,
                                   help_text=_("Hash of sender, kind, request ids, timestamp and status or action."),
                                   verbose_name=_("fingerprint"))
    kind = models.CharField(max_length=32, verbose_name=_("kind"))
    summary = models.CharField(max_length=100, blank=True, verbose_name=_("summary"))
    request = models.ForeignKey(IllRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbox",
                                verbose_name=_("request"))
    confirmation = models.JSONField(help_text=_("The confirmation we answered, to answer a repeat the same way."),
                                    verbose_name=_("confirmation"))
    repairs = models.JSONField(default=list, blank=True,
                               help_text=_("What lenient intake repaired to read it (element, defect, what was done)."),
                               verbose_name=_("repairs"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    read_at = models.DateTimeField(null=True, blank=True, help_text=_("When staff marked it read."),
                                   verbose_name=_("read at"))
    state = models.CharField(max_length=10, choices=InboundState.choices, default=InboundState.APPLIED,
                             verbose_name=_("state"))
    member = models.ForeignKey(Library, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               help_text=_("The member library the message is addressed to."), verbose_name=_("member"))
    source = models.CharField(max_length=10, choices=EventSource.choices, default=EventSource.ISO18626,
                              verbose_name=_("source"))
    thread = models.CharField(max_length=160, blank=True,
                              help_text=_("The transaction the message belongs to; its messages apply in order."),
                              verbose_name=_("thread"))
    payload = models.JSONField(null=True, blank=True,
                               help_text=_("The message (ILLMS's JSON form of ISO 18626) until it is applied."),
                               verbose_name=_("payload"))
    applied_at = models.DateTimeField(null=True, blank=True, verbose_name=_("applied at"))
    apply_error = models.TextField(blank=True, help_text=_("Why applying it failed (staff see it in the inbox)."),
                                   verbose_name=_("apply error"))
    api_key_prefix = models.CharField(
        max_length=12, blank=True, verbose_name=_("API key"),
        help_text=_("The prefix of the partner API key the message came with (empty: none, or a partner opened "
                    "without credential). Kept when the key is deleted."))

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["request", "received_at"], name="inbound_request_idx"),
            # The worker's claim reads the oldest waiting messages, and whether one of the same thread is older.
            models.Index(fields=["id"], name="inbound_pending_idx", condition=Q(state=InboundState.PENDING)),
            models.Index(fields=["thread", "id"], name="inbound_pending_thread_idx",
                         condition=Q(state=InboundState.PENDING)),
            # The inbox's messages that could not be applied, per member library.
            models.Index(fields=["member", "-received_at"], name="inbound_failed_idx",
                         condition=Q(state=InboundState.FAILED)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary} from {self.sender_id}"


class PatronRecordAccess(models.Model):
    """One look by a staff member at a patron's identity: a page, an export, an admin screen.

    Patron records are confidential; this log answers "who saw this patron's data, and when".
    """

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("staff"))
    patron = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("patron"))
    request = models.ForeignKey(IllRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("request"))
    what = models.CharField(max_length=100, help_text=_("The screen or export, e.g. “borrowing request detail”."),
                            verbose_name=_("what"))
    path = models.CharField(max_length=300, blank=True, verbose_name=_("path"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("patron record access")
        ordering = ["-created_at"]
        verbose_name_plural = _("patron record accesses")
        indexes = [models.Index(fields=["patron", "-created_at"], name="patron_access_idx")]

    def __str__(self) -> str:
        return f"{self.staff_id} saw {self.patron_id} ({self.what})"



# Policies an ILL administrator edits in the browser ----------------------------------------------
# Each policy is declared in policy_declarations.POLICIES; its column is made from the declaration.
# A column's default reads the policy's setting when a row is created, so a library's first policy
# row starts where the installation's settings were and nothing changes until someone edits it.

def _setting_default(policy: policy_declarations.Declared):
    """The column default of ``policy``: a module-level function ``default_<name>``, the name by which
    the migrations refer to it."""

    def default():
        return policy.installation_value()

    default.__name__ = default.__qualname__ = f"default_{policy.name}"
    default.__module__ = __name__
    return default


_POLICY_DEFAULTS = {policy.name: _setting_default(policy) for policy in policy_declarations.POLICIES if policy.setting}
globals().update({default.__name__: default for default in _POLICY_DEFAULTS.values()})


def _policy_column(policy: policy_declarations.Declared) -> models.Field:
    if policy.type is dict:
        return models.JSONField(policy.label, default=dict, blank=True, help_text=policy.help_text)
    column = models.BooleanField if policy.type is bool else models.PositiveSmallIntegerField
    return column(policy.label, default=_POLICY_DEFAULTS[policy.name], help_text=policy.help_text)


class LibraryPolicy(models.Model):
    """One member library's ILL policies, edited by its ILL administrator (``/policies/``).

    Read through ``requests_app.policies.policy_for(library)``, which falls back to the settings
    when a library has no row yet. The lending loan period and what the library lends at all
    stay on ``Library`` (the directory entry partners see).
    """

    library = models.OneToOneField(Library, on_delete=models.CASCADE, related_name="policy",
                                   limit_choices_to={"is_member": True}, verbose_name=_("library"))
    # One column per declared policy, in the order declared (a class body's namespace is a plain dict).
    locals().update({policy.name: _policy_column(policy) for policy in policy_declarations.POLICIES})

    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("library policy")
        verbose_name_plural = _("library policies")

    def __str__(self) -> str:
        return f"Policies of {self.library_id}"


class PolicyChange(models.Model):
    """Who changed which policy of a library, when, from what to what (the audit trail of ``/policies/``)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="policy_changes",
                                verbose_name=_("library"))
    area = models.CharField(max_length=40, help_text=_("The form changed: borrowing, lending, e-mail template …"),
                            verbose_name=_("area"))
    changes = models.JSONField(default=dict, help_text=_("Field → [old, new]."), verbose_name=_("changes"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("changed by"))
    changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("changed at"))

    class Meta:
        verbose_name = _("policy change")
        verbose_name_plural = _("policy changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["library", "-changed_at"], name="policy_change_library_idx")]

    def __str__(self) -> str:
        return f"{self.area} of {self.library_id} by {self.changed_by_id}"


def default_language() -> str:
    """The site's default language as a code of ``LANGUAGES`` (``LANGUAGE_CODE``: ``en-us``, ``de``; ``de-at`` is
    ``de``): the language a library's wording of an e-mail is in unless said otherwise."""
    from django.utils.translation import get_supported_language_variant

    try:
        return get_supported_language_variant(settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


class EmailTemplate(models.Model):
    """A library's own wording of one kind of e-mail; the file templates are used when there is none.

    Rendered by ``requests_app.email_templates`` in a sandboxed template engine.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="email_templates",
                                verbose_name=_("library"))
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    language = models.CharField(
        max_length=10, choices=language_choices, default=default_language,
        help_text=_("The language of this wording; recipients in a language without one get the site's default "
                    "language's wording, else the standard wording in their language."), verbose_name=_("language"))
    subject = models.CharField(max_length=300, verbose_name=_("subject"))
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True,
                                 help_text=_("Optional; without it the e-mail is sent as plain text only."))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["library", "kind", "language"]
        constraints = [models.UniqueConstraint(fields=["library", "kind", "language"],
                                               name="email_template_unique_kind_language")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language}) of {self.library_id}"


class SavedQueueView(models.Model):
    """A staff member's named view of one desk queue: its filters, sort and columns (``requests_app.saved_views``).

    Each view belongs to its owner *and* the member library they worked for when they saved it, so an account
    moved to another library does not carry one library's views into the other's desk. The filters are stored
    as the queue's query parameters, already checked against that queue's filters when saved.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_views",
                              verbose_name=_("owner"))
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="saved_queue_views",
                                limit_choices_to={"is_member": True}, verbose_name=_("library"))
    queue = models.CharField(max_length=20, choices=Role.choices, verbose_name=_("queue"))
    name = models.CharField(max_length=80, verbose_name=_("name"))
    filters = models.JSONField(default=dict, blank=True,
                               help_text=_("The queue's filter parameters, name → value (strings)."),
                               verbose_name=_("filters"))
    sort = models.CharField(max_length=40, blank=True, help_text=_("The queue's sort value; empty: its default order."),
                            verbose_name=_("sort"))
    columns = models.JSONField(default=list, blank=True, help_text=_("The optional columns shown, by key."),
                               verbose_name=_("columns"))
    is_default = models.BooleanField(default=False, help_text=_("Opened when the owner opens the queue's address."),
                                     verbose_name=_("is default"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("saved queue view")
        verbose_name_plural = _("saved queue views")
        ordering = ["queue", "name", "pk"]
        constraints = [
            models.UniqueConstraint("owner", "library", "queue", Lower("name"),
                                    name="saved_view_name_unique_per_owner_queue"),
            models.UniqueConstraint(fields=["owner", "library", "queue"], condition=Q(is_default=True),
                                    name="saved_view_one_default_per_owner_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.queue}, {self.owner_id})"


class NcipConnection(models.Model):
    """How one member library's ILS is reached over NCIP 2.02 (``requests_app.ncip``), set on ``/policies/ncip/``.

    ``ils`` names the profile of the ILS family (``requests_app.ncip.profiles``): the services it offers,
    the identifiers it reads, how the due date reaches it. The secret is stored encrypted with the partner
    credentials' keys (``requests_app.utilities.credentials``) and never shown again.
    """

    library = models.OneToOneField(Library, on_delete=models.CASCADE, related_name="ncip",
                                   limit_choices_to={"is_member": True}, verbose_name=_("library"))
    enabled = models.BooleanField(_("NCIP switched on"), default=False)
    ils = models.CharField(_("ILS"), max_length=20, choices=ncip_profiles.CHOICES, default="generic",
                           help_text=_("The library's system: its profile says what the ILS offers and expects."))
    endpoint = models.URLField(_("NCIP address"), max_length=500, blank=True,
                               help_text=_("The ILS's NCIP responder, e.g. https://ils.example.edu/ncip."))
    our_agency_id = models.CharField(
        _("our agency id at the ILS"), max_length=64, blank=True,
        help_text=_("Sent as FromAgencyId: the ILS's configuration for ILL is kept under it."))
    ils_agency_id = models.CharField(_("the ILS's agency id"), max_length=64, blank=True,
                                     help_text=_("Sent as ToAgencyId."))
    auth_scheme = models.CharField(_("how we authenticate"), max_length=12, choices=ncip_profiles.AUTH_CHOICES,
                                   default=ncip_profiles.AuthScheme.NONE)
    username = models.CharField(_("user name"), max_length=100, blank=True, help_text=_("HTTP Basic only."))
    secret = models.TextField(_("password, key or shared secret (encrypted)"), blank=True, editable=False)
    timeout_seconds = models.PositiveSmallIntegerField(
        _("time limit of a queued call (seconds)"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(120)])
    lookup_timeout_seconds = models.PositiveSmallIntegerField(
        _("time limit of the patron check (seconds)"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(15)],
        help_text=_("The LookupUser asked while the patron waits for the request form's answer."))
    check_patrons = models.BooleanField(
        _("check patrons in the ILS when they request"), default=True,
        help_text=_("LookupUser at submission: a patron the ILS does not know, blocks or has expired is refused "
                    "with the ILS's reason. When the ILS does not answer in time the request is accepted."))
    borrowing = models.BooleanField(
        _("borrowed loans circulate in the ILS"), default=True,
        help_text=_("A temporary item at receive (AcceptItem), check-out, renewal, check-in, and its removal."))
    ils_checks_out = models.BooleanField(
        _("the desk checks borrowed items out in the ILS"), default=False,
        help_text=_("The circulation desk checks the temporary item out in the ILS itself: no CheckOutItem is sent. "
                    "Where the ILS can be asked about an item (LookupItem), ILLMS learns of the check-out and the "
                    "check-in every few minutes; otherwise staff record them in ILLMS too."))
    lending = models.BooleanField(
        _("lending holds and loans in the ILS"), default=True,
        help_text=_("A hold to pull the item (RequestItem), the loan to the borrowing library's account, the "
                    "check-in, the cancelled hold; and live availability (LookupItem)."))
    lending_patron_id = models.CharField(
        _("borrowing libraries' account in the ILS"), max_length=100, blank=True,
        help_text=_("The ILS user our loans to other libraries are checked out to; {symbol} is replaced by the "
                    "borrowing library's symbol (e.g. ILL-{symbol})."))
    lending_pickup_code = models.CharField(
        _("where lending holds are pulled to"), max_length=64, blank=True,
        help_text=_("The ILS's pickup location code of the ILL office."))
    pickup_codes = models.JSONField(
        _("pickup location codes in the ILS"), default=dict, blank=True,
        help_text=_("Our pickup location code → the ILS's code; a location without one sends its own code."))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("NCIP connection")
        verbose_name_plural = _("NCIP connections")

    def __str__(self) -> str:
        return f"NCIP of {self.library_id} ({self.ils})"

    @property
    def profile(self) -> ncip_profiles.Profile:
        return ncip_profiles.profile_for(self.ils)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)

    @property
    def ready(self) -> bool:
        """Switched on and complete enough to send anything."""
        return bool(self.enabled and self.endpoint and self.our_agency_id and self.ils_agency_id)

    def pickup_code(self, location: PickupLocation | None) -> str:
        if location is None:
            return ""
        return (self.pickup_codes or {}).get(location.code) or location.code

    def lending_user_for(self, partner: Library) -> str:
        return self.lending_patron_id.replace("{symbol}", partner.symbol) if self.lending_patron_id else partner.symbol


class NcipCallStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DONE = "done", _("Answered")
    FAILED = "failed", _("Failed: needs staff")
    SKIPPED = "skipped", _("Skipped by staff")
    NOT_OFFERED = "not_offered", _("Not offered by the ILS")
    BY_HAND = "by_hand", _("To do at the ILS's desk")


#: A call in one of these is over: nothing more is sent for it.
NCIP_FINISHED = (NcipCallStatus.DONE, NcipCallStatus.SKIPPED, NcipCallStatus.NOT_OFFERED)
#: A call in one of these does not hold back the later calls of its request (a to-do at the ILS's desk, such as
#: a recall's earlier due date an ILS cannot take over NCIP, waits for staff without stopping the check-in).
NCIP_NOT_HOLDING = (*NCIP_FINISHED, NcipCallStatus.BY_HAND)
#: Calls staff must look at: the desks' “NCIP calls to the ILS that failed” list.
NCIP_NEEDS_STAFF = (NcipCallStatus.FAILED, NcipCallStatus.BY_HAND)


class NcipCall(models.Model):
    """One NCIP call to the library's ILS that a workflow change decided, written in its transaction.

    Sent after commit in order per request (a call waits while an older one of its request is unfinished),
    retried with back-off while the ILS does not answer, ``failed`` when the ILS answers with a Problem or
    the retries run out; staff retry or skip a failed call from the request's page. ``arguments`` are what
    the message carries, fixed when the call was decided.
    """

    request = models.ForeignKey(IllRequest, on_delete=models.CASCADE, related_name="ncip_calls",
                                verbose_name=_("request"))
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", verbose_name=_("library"))
    service = models.CharField(max_length=24, choices=[(s.value, s.value) for s in ncip_profiles.Service],
                               verbose_name=_("service"))
    arguments = models.JSONField(default=dict, verbose_name=_("arguments"))
    status = models.CharField(max_length=12, choices=NcipCallStatus.choices, default=NcipCallStatus.PENDING,
                              verbose_name=_("status"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    answer = models.CharField(max_length=300, blank=True, help_text=_("What the ILS answered, in words."),
                              verbose_name=_("answer"))
    problem_type = models.CharField(max_length=100, blank=True, verbose_name=_("problem type"))
    sent_xml = models.TextField(blank=True, verbose_name=_("sent xml"))
    received_xml = models.TextField(blank=True, verbose_name=_("received xml"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", help_text=_("Who skipped it."), verbose_name=_("finished by"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("NCIP call")
        verbose_name_plural = _("NCIP calls")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="ncip_call_due_idx"),
            models.Index(fields=["request", "status"], name="ncip_call_request_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} for {self.request_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in NCIP_FINISHED

    @property
    def is_waiting(self) -> bool:
        """Not answered yet: waiting for its turn or for the ILS to answer again."""
        return self.status == NcipCallStatus.PENDING

    @property
    def staff_may_act(self) -> bool:
        """Retry and Skip apply: it failed, or it waits after the ILS did not answer (a to-do: Skip only)."""
        return self.status in NCIP_NEEDS_STAFF or (self.is_waiting and bool(self.last_error))

    @property
    def by_hand(self) -> bool:
        """Nothing can be sent: staff do it at the ILS's desk and mark it done (Skip)."""
        return self.status == NcipCallStatus.BY_HAND

    @property
    def colour(self) -> str:
        return {NcipCallStatus.DONE: "success", NcipCallStatus.FAILED: "danger",
                NcipCallStatus.PENDING: "warning", NcipCallStatus.BY_HAND: "warning"}.get(self.status, "secondary")
class FigureKind(models.TextChoices):
    """What a cell of the monthly statistics rollup counts (docs/statistics.md, "Rollups")."""

    MADE = "made", _("Requests made (by role, partner, format, service type, state)")
    PATRON = "patron", _("Borrowing requests made (by partner, patron category, department)")
    ANSWER = "answer", _("Answers given (by role, answering partner, outcome, loan or copy, reason)")
    RECEIVED = "received", _("Borrowing: items received (by partner, loan or copy)")
    SPAN = "span", _("Turnaround spans ended (by measure, partner, hour bucket)")
    CLOSED = "closed", _("Borrowing requests ended without a loan (by reason: owned locally, free online, bought…)")


class MonthlyFigure(models.Model):
    """One cell of the monthly statistics rollup: a count of one member library's month (in its time zone).

    Written only by ``requests_app.rollups`` (which replaces a month's cells whole); the statistics pages
    sum the cells of closed months and compute the current month live. A turnaround distribution is kept
    as a fixed-bucket histogram, one cell per whole hour the span took (``hour``), so the cells of any
    months and partners merge by adding their counts.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+", verbose_name=_("library"))
    month = models.DateField(help_text=_("The first day of the month."), verbose_name=_("month"))
    kind = models.CharField(max_length=8, choices=FigureKind.choices, verbose_name=_("kind"))
    role = models.CharField(max_length=10, choices=Role.choices, verbose_name=_("role"))
    partner = models.CharField(max_length=32, blank=True, help_text=_("The partner's symbol; empty: none or unknown."),
                               verbose_name=_("partner"))
    format = models.CharField(max_length=20, blank=True, verbose_name=_("format"))
    service_type = models.CharField(max_length=12, blank=True, verbose_name=_("service type"))
    status = models.CharField(max_length=32, blank=True, verbose_name=_("status"))
    patron_category = models.CharField(max_length=20, blank=True, verbose_name=_("patron category"))
    department = models.CharField(max_length=100, blank=True, verbose_name=_("department"))
    outcome = models.CharField(max_length=10, blank=True, help_text=_("filled or unfilled (answers)."),
                               verbose_name=_("outcome"))
    reason = models.TextField(blank=True, help_text=_("The unfilled answer's reason code."), verbose_name=_("reason"))
    measure = models.CharField(max_length=32, blank=True, verbose_name=_("measure"))
    hour = models.IntegerField(default=0, help_text=_("Spans: whole hours taken (the histogram's bucket)."),
                               verbose_name=_("hour"))
    count = models.PositiveIntegerField(verbose_name=_("count"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        ordering = ["library", "month", "kind"]
        constraints = [models.UniqueConstraint(
            fields=["library", "month", "kind", "role", "partner", "format", "service_type", "status",
                    "patron_category", "department", "outcome", "reason", "measure", "hour"],
            name="monthly_figure_unique_cell")]
        indexes = [
            models.Index(fields=["library", "kind", "month"], name="monthly_figure_read_idx"),
            # The largest kinds, each read whole for a library's months by a statistics page: on PostgreSQL these
            # hold every column the page sums, so it reads the index alone (an index-only scan, a third of the
            # time at 1M requests) instead of a heap page per cell.
            models.Index(fields=["library", "month"], include=["role", "measure", "partner", "hour", "count"],
                         condition=models.Q(kind="span"), name="monthly_figure_span_idx"),
            models.Index(fields=["library", "month"],
                         include=["role", "partner", "outcome", "reason", "service_type", "count"],
                         condition=models.Q(kind="answer"), name="monthly_figure_answer_idx"),
            models.Index(fields=["library", "month"], include=["role", "partner", "service_type", "count"],
                         condition=models.Q(kind="received"), name="monthly_figure_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.library_id} in {self.month:%Y-%m}: {self.count}"


class RollupState(models.Model):
    """The statistics rollup's progress: one row, locked by the job while it runs.

    Every month that ended by ``covered_until`` is in the rollup as the event log stood then; the next run
    recomputes the months touched by events written since (from ``covered_until``, or after
    ``last_event_id``).
    """

    covered_until = models.DateTimeField(null=True, blank=True, verbose_name=_("covered until"))
    last_event_id = models.BigIntegerField(default=0, verbose_name=_("last event id"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    months_computed = models.PositiveIntegerField(default=0, help_text=_("By the last run."),
                                                  verbose_name=_("months computed"))

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"statistics rollup covered until {self.covered_until}"

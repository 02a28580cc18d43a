"""The Django admin, scoped to the member library of the staff member who uses it.

One installation serves many member libraries; the admin is theirs too. Every ModelAdmin and inline
of ours is a ``MemberLibraryScopedAdmin``: it declares ``library_path``, the lookup from its model to
the member library whose row it is (``"library"``, ``"request__library"``), and for everyone but
installation superusers the admin then holds only that library's rows (``selectors.staff_library``):

- lists, change, delete and history pages (a row of another library opens as "doesn't exist");
- foreign-key choices, in selects, raw-id boxes and autocomplete look-ups: a row of another library
  posted in a form is a form error ("Select a valid choice"), and the raw-id box shows no label for it;
- list filters on the library (there is only one).

A staff account with no member library sees no row at all, and a message saying why. Foreign keys to
the directory that name a partner (``partner``, ``lender``, ``recipient``…) offer the whole directory:
a partner may be any library. The directory itself (``Library``, its pickup locations, partner API
keys) is the installation's: ``directory_wide`` admins show every row to directory administrators
(``roles.administers_directory``).

Pages that show one patron's identity (``patron_path``) write the access log, as the desks do.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from . import privacy, roles
from .models import Library
from .selectors import staff_library

NO_LIBRARY_MESSAGE = _("Your account works for no member library, so the admin shows you no rows. "
                       "An installation administrator can give your account a member library.")


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw-id box that names only rows its field may hold: an id of another library's row shows no label."""

    scoped_rows: QuerySet | None = None

    def label_and_url_for_value(self, value):
        if self.scoped_rows is not None:
            key = self.rel.get_related_field().name
            try:
                if not self.scoped_rows.filter(**{key: value}).exists():
                    return "", ""
            except (ValueError, TypeError):
                return "", ""
        return super().label_and_url_for_value(value)


class LibraryScope:
    """What ModelAdmins and inlines share: the path to the member library and the foreign-key choices."""

    #: The lookup from the model to the member library that owns a row ("pk" for the library itself).
    library_path: str = "library"
    #: The directory's own tables: every row for directory administrators, not only superusers.
    directory_wide: bool = False

    @classmethod
    def library_rows(cls, queryset: QuerySet, library: Library) -> QuerySet:
        """``queryset`` narrowed to the rows of member ``library``."""
        return queryset.filter(**{cls.library_path: library.pk})

    def library_field(self) -> str | None:
        """The model's own foreign key to its member library (``library``), whose only choice is that library."""
        name = self.library_path
        if "__" in name or name == "pk":
            return None
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return name if field.is_relation and field.related_model is Library else None

    def sees_every_library(self, request) -> bool:
        user = request.user
        return user.is_superuser or (self.directory_wide and roles.administers_directory(user))

    def scoped(self, request, queryset: QuerySet) -> QuerySet:
        if self.sees_every_library(request):
            return queryset
        library = staff_library(request.user)
        if library is None:
            return queryset.none()
        return self.library_rows(queryset, library)

    def foreign_key_choices(self, request, db_field, queryset: QuerySet) -> QuerySet:
        """The rows ``db_field`` may point to for this staff member: their library's, or any partner."""
        if self.sees_every_library(request):
            return queryset
        library = staff_library(request.user)
        if library is None:
            return queryset.none()
        model = db_field.remote_field.model
        if db_field.name == self.library_field():
            return queryset.filter(pk=library.pk)
        if model is Library:
            return queryset  # a partner: any library of the directory
        scope = scope_of(model, self.admin_site)
        if scope is None:
            return queryset.none()  # a table nobody said how to scope offers nothing, not everything
        return scope.library_rows(queryset, library)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        db = kwargs.get("using")
        if "widget" not in kwargs and db_field.name in self.raw_id_fields \
                and db_field.name not in self.get_autocomplete_fields(request):
            kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, using=db)
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(db, db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(db)
            kwargs["queryset"] = self.foreign_key_choices(request, db_field, queryset)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if isinstance(field.widget, ScopedRawIdWidget):
            field.widget.scoped_rows = field.queryset
        return field


def scope_of(model: type[Model], site: admin.AdminSite) -> type[LibraryScope] | LibraryScope | None:
    """Whoever declares how ``model`` is scoped: its registered admin, or an inline that shows it."""
    registered = site._registry.get(model)
    if registered is not None:
        return registered if isinstance(registered, LibraryScope) else None
    for model_admin in site._registry.values():
        for inline in getattr(model_admin, "inlines", ()):
            if inline.model is model and issubclass(inline, LibraryScope):
                return inline
    return None


def autocomplete_source(request, site: admin.AdminSite):
    """``(admin, field)`` when ``request`` is the admin's autocomplete look-up for a scoped admin's field."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != f"{site.name}:autocomplete":
        return None
    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
        field = model._meta.get_field(request.GET["field_name"])
    except (KeyError, LookupError, FieldDoesNotExist, ValueError):
        return None
    source = site._registry.get(model)
    if not isinstance(source, LibraryScope) or not (field.many_to_one or field.one_to_one):
        return None
    return source, field


class MemberLibraryScopedAdmin(LibraryScope, admin.ModelAdmin):
    """A ModelAdmin that shows and offers only the rows of the staff member's library (see the module)."""

    #: The lookup to the patron whose identity a row's page shows, for the access log (``None``: none).
    patron_path: str | None = None
    #: The lookup to the request the row belongs to, recorded with the look (``None``: none).
    request_path: str | None = None
    #: What the access log calls the page (default: "admin <the model's name>").
    patron_page: str | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        source = autocomplete_source(request, self.admin_site)
        if source is not None and source[1].remote_field.model is self.model:
            # An autocomplete offers what the field it fills may hold: a partner from the whole directory.
            source_admin, field = source
            return source_admin.foreign_key_choices(request, field, queryset)
        return self.scoped(request, queryset)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.sees_every_library(request):
            return filters
        # One library: a filter by library would only offer it (or, for the directory, list everyone).
        field = self.library_field()
        return [f for f in filters if _filter_field(f) != field]

    def changelist_view(self, request, extra_context=None):
        if not self.sees_every_library(request) and staff_library(request.user) is None:
            messages.warning(request, NO_LIBRARY_MESSAGE)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self.log_patron_access(request, object_id)
        return response

    def log_patron_access(self, request, object_id) -> None:
        """Record the look at the patron this row's page shows (nothing for a row without one)."""
        if self.patron_path is None:
            return
        fields = [self.patron_path, self.request_path or self.patron_path]
        row = self.get_queryset(request).filter(pk=unquote(object_id)).values_list(*fields).first()
        if row is None or row[0] is None:
            return
        patron_id, request_id = row
        privacy.log_patron_access(request.user, patron=patron_id,
                                  request=request_id if self.request_path else None,
                                  what=self.patron_page or f"{privacy.ADMIN_LOOK}{self.model._meta.verbose_name_raw}",
                                  path=request.path)


class MemberLibraryScopedInline(LibraryScope):
    """Mixed into an inline: its rows and foreign-key choices are scoped like its admin's."""

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))


def _filter_field(list_filter) -> str | None:
    if isinstance(list_filter, str):
        return list_filter.split("__")[0]
    if isinstance(list_filter, (tuple, list)):
        return list_filter[0].split("__")[0]
    return getattr(list_filter, "parameter_name", None)

"""The kinds of e-mail the system sends, and a library's own wording of them (``EmailTemplate``).

Each app that sends e-mail declares each of its kinds once, as an ``EmailKind`` (its label and
description for the library's wording page, who receives it, the patron preference that silences
it, the folder of its file templates, the variables a library's wording may use and sample values
for them), and registers them here at start-up (``register_kinds``); this module imports no app.
``render`` fills a kind in, in the recipient's language: the library's own wording in that language when it has
one, else its wording in the site's default language, else the kind's file templates (translated into the
recipient's language). Overrides are rendered in a sandboxed template engine:

* no template loaders, so ``{% include %}``/``{% extends %}`` cannot read files; only the tags
  in ``ALLOWED_TAGS`` may appear (no ``{% load %}``, ``{% url %}``, ``{% debug %}``);
* the context holds plain values (strings, numbers, dates, dicts) built for the e-mail, never
  model instances, so a template cannot reach a patron's password hash or another table;
* every variable a template names must be one its kind lists: a typo is a form error when
  the administrator saves, not a blank in a patron's mailbox;
* the HTML body is autoescaped.

When a library has no override for a kind in the recipient's language nor in the default language, its file
templates are used. ``wording_for`` says which text a recipient in a language gets (for the wording page).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Lexer, Node, TokenType, Variable
from django.template.defaulttags import ForNode
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.translation import gettext, ngettext

from .languages import supported
from .models import EmailTemplate, Library, default_language
from .policies import record_change

logger = logging.getLogger(__name__)

#: Tags an override may use: flow and formatting only.
ALLOWED_TAGS = frozenset({
    "if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof", "cycle", "resetcycle",
    "comment", "endcomment", "spaceless", "endspaceless",
    "now", "ifchanged", "endifchanged", "templatetag", "widthratio", "regroup",
})

#: Filters an override may not use: un-escaping (a patron's title is patron input) and padding to any width.
FORBIDDEN_FILTERS = frozenset({"safe", "safeseq", "ljust", "rjust", "center", "pprint"})
#: Loops inside loops inside loops could run for ever on long values.
MAX_LOOP_DEPTH = 2

_text_engine = Engine(loaders=[], app_dirs=False, autoescape=False, libraries={}, debug=False)
_html_engine = Engine(loaders=[], app_dirs=False, autoescape=True, libraries={}, debug=False)


@dataclass(frozen=True)
class EmailKind:
    """One kind of e-mail, declared once by the app that sends it; a library may reword it."""

    key: str
    label: str
    #: Who receives it: "patron" or "partner".
    audience: str
    description: str
    #: The folder of its file templates: ``<templates>/<key>-subject.txt``, ``-body.txt``, ``-body.html``.
    templates: str
    #: Dotted variable name → what it holds, in librarians' words (shown beside the form).
    variables: Mapping[str, str]
    #: ``sample(library) -> context``: made-up values for the preview and for checking names.
    sample: Callable[[Library], dict[str, Any]]
    #: The patron's preference (a ``PatronProfile`` flag) that, when off, silences this kind; every
    #: patron e-mail also stops with “notify by e-mail” off.
    preference: str = ""

    def standard_wording(self) -> str:
        """The text body of the file templates, for reference (in the developers' names, not the list's)."""
        try:
            return get_template(f"{self.templates}/{self.key}-body.txt").template.source
        except Exception:  # a kind registered without files: nothing to show
            return ""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


_kinds: dict[str, EmailKind] = {}
#: (library id, kind, language) → the library's wording or ``None``, while a batch job holds ``cached_overrides()``.
_override_cache: ContextVar[dict[tuple[int, str, str], EmailTemplate | None] | None] = ContextVar(
    "email_override_cache", default=None)


def language_of(code: str | None) -> str:
    """``code`` as one of ``LANGUAGES`` (``de-at`` → ``de``), else the default language."""
    return supported(code) or default_language()


@contextmanager
def cached_overrides() -> Iterator[None]:
    """Within the block, each library's wording of each kind is read once (for jobs sending many e-mails)."""
    token = _override_cache.set({})
    try:
        yield
    finally:
        _override_cache.reset(token)


def _override(library: Library, kind: str, language: str) -> EmailTemplate | None:
    cache = _override_cache.get()
    if cache is None:
        return EmailTemplate.objects.filter(library=library, kind=kind, language=language).first()
    key = (library.pk, kind, language)
    if key not in cache:
        cache[key] = EmailTemplate.objects.filter(library=library, kind=kind, language=language).first()
    return cache[key]


@dataclass(frozen=True)
class Wording:
    """Which text a recipient in ``language`` gets: ``source`` is "own" (the library's wording in that language),
    "default" (its wording in the default language, ``template``'s) or "standard" (the file templates, translated)."""

    language: str
    source: str
    template: EmailTemplate | None = None

    @property
    def falls_back(self) -> bool:
        return self.source != "own"


def wording_for(library: Library, kind: str, language: str | None) -> Wording:
    """The wording ``library`` sends of ``kind`` to a recipient in ``language``: its own in that language, else its
    own in the default language, else the standard wording."""
    language = language_of(language)
    own = _override(library, kind, language)
    if own is not None:
        return Wording(language, "own", own)
    default = default_language()
    if language != default:
        fallback = _override(library, kind, default)
        if fallback is not None:
            return Wording(language, "default", fallback)
    return Wording(language, "standard")


def register_kinds(kinds: Iterable[EmailKind]) -> None:
    """Make ``kinds`` known and rewordable (idempotent: the same key replaces the earlier registration)."""
    for kind in kinds:
        _kinds[kind.key] = kind


def kinds() -> list[EmailKind]:
    """The registered kinds, patron e-mails first, then by label."""
    return sorted(_kinds.values(), key=lambda k: (k.audience != "patron", k.label))


def get_kind(key: str) -> EmailKind | None:
    return _kinds.get(key)


def render(kind: str, *, library: Library, context: Mapping[str, Any],
           values: Callable[[], Mapping[str, Any]], language: str | None = None) -> RenderedEmail:
    """E-mail ``kind`` for ``library``: its own wording filled in with ``values()`` when it has one for the
    recipient's language or else for the default language (``wording_for``), else the kind's file templates with
    ``context`` (which may hold model instances).

    Rendered in ``language``, the recipient's (``requests_app.languages.recipient_language``), else the site's
    default: never in the language of whoever's request caused the e-mail. Dates follow that language too, in a
    fallback wording as well.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        override = render_override(library=library, kind=kind, context=values, language=language)
        if override is not None:
            return override
        folder = _kinds[kind].templates
        return RenderedEmail(
            subject=" ".join(render_to_string(f"{folder}/{kind}-subject.txt", context).split()),
            text=render_to_string(f"{folder}/{kind}-body.txt", context),
            html=render_to_string(f"{folder}/{kind}-body.html", context))


# Checking ------------------------------------------------------------------------------------

def _check_tags(source: str, field: str) -> None:
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            for opening, closing in (("{{", "}}"), ("{%", "%}")):
                if opening in token.contents:
                    raise ValidationError({field: gettext("A “%(opening)s” is not closed with “%(closing)s” on the "
                                                          "same line.") % {"opening": opening, "closing": closing}})
        if token.token_type == TokenType.BLOCK:
            name = (token.split_contents() or [""])[0]
            if name not in ALLOWED_TAGS:
                raise ValidationError({field: gettext("The tag “%(tag)s” cannot be used in e-mail templates "
                                                      "(allowed: if, for, with, firstof, now, and the like).")
                                       % {"tag": f"{{% {name} %}}"}})


def _expressions(obj: Any, seen: set[int]) -> Iterator[FilterExpression | Variable]:
    """Every ``{{ … }}`` expression (and bare variable) in a compiled template's nodes."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, FilterExpression | Variable):
        yield obj
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _expressions(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _expressions(item, seen)
    elif type(obj).__module__.startswith("django.template") and hasattr(obj, "__dict__"):
        for name, value in vars(obj).items():
            if name not in {"token", "origin", "template"}:
                yield from _expressions(value, seen)


def _lookups(nodes: list) -> Iterator[tuple[str, ...]]:
    """Every variable path (``("r", "title")``) in a compiled template, filter arguments included."""
    for expression in _expressions(nodes, set()):
        variables = [expression]
        if isinstance(expression, FilterExpression):
            variables = [expression.var] + [arg for _func, args in expression.filters
                                            for is_variable, arg in args if is_variable]
        yield from (v.lookups for v in variables if isinstance(v, Variable) and v.lookups)


def _filters_used(nodes: list) -> Iterator[str]:
    """The names of every filter a compiled template applies."""
    for expression in _expressions(nodes, set()):
        if isinstance(expression, FilterExpression):
            for func, _args in expression.filters:
                yield getattr(func, "_filter_name", None) or func.__name__


def _loop_depth(nodes: Iterable[Node]) -> int:
    deepest = 0
    for node in nodes:
        inner = 0
        for attr in getattr(node, "child_nodelists", ()):
            inner = max(inner, _loop_depth(getattr(node, attr, None) or ()))
        for _condition, nodelist in getattr(node, "conditions_nodelists", ()):
            inner = max(inner, _loop_depth(nodelist))
        deepest = max(deepest, inner + (1 if isinstance(node, ForNode) else 0))
    return deepest


def _bound_names(obj: Any, seen: set[int]) -> Iterator[str]:
    """Names a template binds itself (loop variables, ``with`` and ``as`` names)."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, Node):
        yield from getattr(obj, "loopvars", ())
        extra = getattr(obj, "extra_context", None)
        if isinstance(extra, dict):
            yield from extra
        for attr in ("var_name", "variable_name", "asvar"):
            value = getattr(obj, attr, None)
            if isinstance(value, str):
                yield value
        for attr in obj.child_nodelists:
            for child in getattr(obj, attr, None) or ():
                yield from _bound_names(child, seen)
        for _condition, nodelist in getattr(obj, "conditions_nodelists", ()):
            for child in nodelist:
                yield from _bound_names(child, seen)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _bound_names(item, seen)


def _resolves(path: tuple[str, ...], context: Mapping[str, Any]) -> bool:
    current: Any = context
    for bit in path:
        if isinstance(current, Mapping):
            if bit not in current:
                return False
            current = current[bit]
        elif bit.isdigit() and isinstance(current, list | tuple):
            current = current[int(bit)] if int(bit) < len(current) else None
        elif bit.startswith("_") or not hasattr(current, bit) or callable(getattr(current, bit)):
            return False
        else:
            current = getattr(current, bit)
    return True


def compile_template(source: str, *, field: str, sample: Mapping[str, Any], html: bool = False) -> Template:
    """Compile ``source`` for ``field`` or raise ``ValidationError`` naming the problem in plain words:
    a forbidden tag, a syntax error, or a variable the kind does not offer."""
    _check_tags(source, field)
    try:
        template = (_html_engine if html else _text_engine).from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: gettext("The template has a mistake: %(error)s") % {"error": exc}}) from exc
    forbidden = sorted(set(_filters_used(list(template.nodelist))) & FORBIDDEN_FILTERS)
    if forbidden:
        raise ValidationError({field: gettext("The filter “|%(filter)s” cannot be used in e-mail templates.")
                                      % {"filter": forbidden[0]}})
    if _loop_depth(template.nodelist) > MAX_LOOP_DEPTH:
        raise ValidationError({field: gettext("Loops may be nested at most %(depth)s deep.")
                                      % {"depth": MAX_LOOP_DEPTH}})
    bound = set(_bound_names(list(template.nodelist), set())) | {"forloop", "block"}
    unknown = sorted({".".join(path) for path in _lookups(list(template.nodelist))
                      if path[0] not in bound and not _resolves(path, sample)})
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        raise ValidationError({field: ngettext("Unknown variable: %(names)s. Use only the variables listed for "
                                               "this e-mail.",
                                               "Unknown variables: %(names)s. Use only the variables listed for "
                                               "this e-mail.", len(unknown)) % {"names": names}})
    return template


def _render(template: Template, context: Mapping[str, Any], field: str) -> str:
    try:
        return template.render(Context(dict(context), autoescape=template.engine.autoescape))
    except Exception as exc:  # a filter given a value it cannot handle, and the like
        raise ValidationError({field: gettext("The template could not be filled in: %(error)s")
                                      % {"error": exc}}) from exc


def render_sources(*, kind: EmailKind, subject: str, body_text: str, body_html: str,
                   context: Mapping[str, Any], sample: Mapping[str, Any] | None = None) -> RenderedEmail:
    """Render the three parts with ``context``; names are checked against ``sample`` (default: the kind's
    sample for no library, i.e. ``context`` itself). Raises ``ValidationError`` by field."""
    sample = context if sample is None else sample
    errors: dict[str, list[str]] = {}
    compiled: dict[str, Template] = {}
    for field, source, html in (("subject", subject, False), ("body_text", body_text, False),
                                ("body_html", body_html, True)):
        if field == "body_html" and not source.strip():
            continue
        try:
            compiled[field] = compile_template(source, field=field, sample=sample, html=html)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    rendered = {field: _render(template, context, field) for field, template in compiled.items()}
    return RenderedEmail(subject=" ".join(rendered["subject"].split()), text=rendered["body_text"],
                         html=rendered.get("body_html", ""))


def preview(*, kind: EmailKind, library: Library, subject: str, body_text: str, body_html: str) -> RenderedEmail:
    """The e-mail as a patron or partner would get it, filled in with the kind's sample values."""
    sample = kind.sample(library)
    return render_sources(kind=kind, subject=subject, body_text=body_text, body_html=body_html, context=sample)


def render_override(*, library: Library, kind: str, context: Callable[[], Mapping[str, Any]],
                    language: str | None = None) -> RenderedEmail | None:
    """``library``'s own wording of e-mail ``kind`` for a recipient in ``language`` (``wording_for``) filled in, or
    ``None`` to use the file templates.

    ``context`` is called only when an override exists. An override that fails now (it was
    checked when saved, so only odd data can do this) is logged and the file templates are used.
    """
    override = wording_for(library, kind, language).template
    registered = _kinds.get(kind)
    if override is None or registered is None:
        return None
    values = context()
    try:
        return render_sources(kind=registered, subject=override.subject, body_text=override.body_text,
                              body_html=override.body_html, context=values,
                              sample=registered.sample(library))
    except ValidationError:
        logger.exception("The %s e-mail template (%s) of library %s failed; the standard wording was sent", kind,
                         override.language, library.pk)
        return None


# Saving ---------------------------------------------------------------------------------------

def _area(kind: EmailKind, language: str) -> str:
    """The policy history's area of a wording, in English whoever saves it (the page translates it):
    ``e-mail: Ready for pickup``, ``e-mail (fr): Ready for pickup`` for a language other than the default (the
    language first, so a long label cut at 40 characters keeps it)."""
    where = "e-mail" if language == default_language() else f"e-mail ({language})"
    with translation.override(None):
        return f"{where}: {kind.label}"[:40]


def wording_area(area: str) -> tuple[str | None, str] | None:
    """The language (``None``: the default language) and the e-mail's label of a policy history area written by
    ``_area``; ``None`` when ``area`` is not a wording's."""
    match = re.fullmatch(r"e-mail(?: \(([\w-]+)\))?: (.+)", area)
    return (match[1], match[2]) if match else None


def save_override(*, library: Library, kind: EmailKind, subject: str, body_text: str, body_html: str,
                  actor, language: str | None = None) -> EmailTemplate:
    """Check (as ``preview`` does) and save ``library``'s wording of ``kind`` in ``language`` (default: the site's
    default language); record the change.

    Raises ``ValidationError`` by field and saves nothing when the wording has a mistake.
    """
    language = language_of(language)
    preview(kind=kind, library=library, subject=subject, body_text=body_text, body_html=body_html)
    with transaction.atomic():
        template, created = EmailTemplate.objects.select_for_update().get_or_create(
            library=library, kind=kind.key, language=language,
            defaults={"subject": subject, "body_text": body_text, "body_html": body_html})
        changes = {}
        for name, value in (("subject", subject), ("body_text", body_text), ("body_html", body_html)):
            old = "" if created else getattr(template, name)
            if old != value:
                changes[name] = [old, value]
            setattr(template, name, value)
        template.updated_by = actor if getattr(actor, "pk", None) else None
        template.save()
        record_change(library=library, area=_area(kind, language), changes=changes, actor=actor)
    return template


def reset_override(*, library: Library, kind: EmailKind, actor, language: str | None = None) -> bool:
    """Drop ``library``'s wording of ``kind`` in ``language`` (default: the site's default language): recipients
    of that language get the fallback again (``wording_for``); ``False`` if it had none."""
    language = language_of(language)
    deleted, _ = EmailTemplate.objects.filter(library=library, kind=kind.key, language=language).delete()
    if deleted:
        record_change(library=library, area=_area(kind, language),
                      changes={"standard wording": ["own", "standard"]}, actor=actor)
    return bool(deleted)

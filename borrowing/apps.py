from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class BorrowingConfig(AppConfig):
    name = "borrowing"
    verbose_name = pgettext_lazy("desk", "Borrowing")

    def ready(self) -> None:
        from requests_app.action_lists import action_lists
        from requests_app.saved_views import queues
        from requests_app.services import copy_link_received
        from requests_app.workflow import registry

        from .action_lists import LISTS
        from .filters import SAVED_QUEUE
        from .services.downloads import on_copy_link_received
        from .services.purchasing import register_attachment
        from .workflow import WORKFLOW

        registry.register(WORKFLOW)
        action_lists.register(WORKFLOW.role, LISTS)
        queues.register(SAVED_QUEUE)
        register_attachment()
        copy_link_received.connect(on_copy_link_received, dispatch_uid="borrowing-copy-link")

        from requests_app.email_templates import register_kinds
        from requests_app.messaging import note_written

        from .services.notifications import KINDS, on_note_written

        note_written.connect(on_note_written, dispatch_uid="borrowing-note-to-patron")
        register_kinds(KINDS.values())

        from requests_app.catalogue import register_finder
        from requests_app.directory.holdings import own_catalogue_items

        # Before a patron borrows: the member library's own catalogue over SRU, beside its imported holdings.
        register_finder(own_catalogue_items)

        from . import receivers  # noqa: F401  (connects the privacy purge signal)

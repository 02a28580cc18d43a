from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "lending"
    verbose_name = "Lending"

    def ready(self) -> None:
        from requests_app.services import request_transitioned
        from requests_app.workflow import registry

        from .workflow import WORKFLOW

        registry.register(WORKFLOW)
        from requests_app.catalogue import register_finder

        from .services.availability import owned_items

        register_finder(owned_items)
        request_transitioned.connect(on_request_transitioned, dispatch_uid="lending.on_request_transitioned")


def on_request_transitioned(sender, request, event, transition=None, **kwargs) -> None:
    """Lending's listener: queue the availability check of a new request; renewal requests for staff or policy."""
    if request.role != "lending":
        return
    if event.action == "create":
        from .services.availability import queue_check

        queue_check(request)
    elif event.action == "borrower_renewal_request":
        from .services.answers import note_renewal_request

        note_renewal_request(request=request)
    elif event.action == "answer_renewal":
        from .models import LendingDetail

        LendingDetail.objects.filter(request_id=request.pk).update(renewal_pending=False)

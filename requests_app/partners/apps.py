from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """The partner side as an app of its own (no models: they stay in ``requests_app``), so that it
    plugs itself into the core at start-up and the core never imports it."""

    name = "requests_app.partners"
    label = "partners"
    verbose_name = "Partner protocol"

    def ready(self) -> None:
        from ..partner_messages import PartnerMessages, register_partner_messages
        from ..transition_listeners import register_transition_listener
        from . import intake, outbox, transports  # noqa: F401 - transports registers the outbox transports
        from .outgoing import enqueue_for_transition, enqueue_note

        # A transition the partner must hear of writes its message in the transition's transaction.
        register_transition_listener(enqueue_for_transition)
        register_partner_messages(PartnerMessages(
            reachable=lambda library: outbox.transport_for(library) is not None,
            send_note=enqueue_note,
            resend=outbox.resend,
            apply_again=intake.apply_again,
        ))

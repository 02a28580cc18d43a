from django.http import HttpRequest


def illms(request: HttpRequest) -> dict:
    """What the base layout needs on every page: the member library the user works for."""
    user = getattr(request, "user", None)
    library = None
    if user is not None and user.is_authenticated:
        profile = getattr(user, "staff_profile", None) or getattr(user, "patron_profile", None)
        library = profile.library if profile else None
    return {"current_library": library}

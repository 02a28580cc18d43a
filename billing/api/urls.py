"""Include at /api/v1/invoices/ (before the /api/v1/ catch-all of requests_app.partners.api.urls)."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "billing-api"

router = SimpleRouter()
router.register("", views.InvoiceViewSet, basename="invoice")

urlpatterns = router.urls

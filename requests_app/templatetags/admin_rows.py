"""``{% large_table_result_list cl %}``: Django's ``{% result_list cl %}`` with the rows written by
``requests_app.utilities.admin_rows`` (the same HTML, the work per column done once per page)."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from requests_app.utilities.admin_rows import result_list

register = template.Library()


@register.tag(name="large_table_result_list")
def large_table_result_list(parser, token):
    return InclusionAdminNode(parser, token, func=result_list, template_name="change_list_results.html",
                              takes_context=False)

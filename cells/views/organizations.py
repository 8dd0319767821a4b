from django.views.generic import TemplateView


class OrganizationTreeView(TemplateView):
    template_name = "cells/organization_tree.html"

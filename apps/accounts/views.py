from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.workspaces.hosts import request_port
from apps.workspaces.models import Membership


@login_required
def profile(request):
    memberships = Membership.objects.filter(user=request.user).select_related("workspace")
    port = request_port(request)
    rows = [(m, m.workspace.url("/", port)) for m in memberships]
    return render(request, "accounts/profile.html", {"rows": rows})

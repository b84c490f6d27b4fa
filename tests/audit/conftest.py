import pytest


@pytest.fixture
def quiet(world):
    """A workspace with an empty chain (made directly, so no workspace.create event yet)."""
    from apps.workspaces.models import Membership, Workspace

    workspace = Workspace.objects.create(name="Quiet", slug="quiet")
    Membership.objects.create(workspace=workspace, user=world.users["owner"], role="owner")
    return workspace

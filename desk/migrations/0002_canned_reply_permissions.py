"""Who manages canned replies: Support managers add, change and delete them; Support staff
use them (view). Adds to the groups crm's 0005 created; running it again converges."""
from __future__ import annotations

import importlib

from django.db import migrations

GRANTS = {
    "Support staff": ["view_cannedreply"],
    "Support managers": ["view_cannedreply", "add_cannedreply", "change_cannedreply", "delete_cannedreply"],
}


def grant(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    groups = importlib.import_module("crm.migrations.0005_support_groups")
    groups._ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="desk", codename__in=codenames))


def revoke(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="desk"))


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0001_canned_reply"),
        ("crm", "0005_support_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

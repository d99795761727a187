"""The Support managers review help-centre drafts and read the daily reports in admin.

Adds to the group crm's migration 0005 created; permissions others gave it stay.
"""
from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS_GROUP = "Support managers"
PERMISSIONS = ["view_articledraft", "change_articledraft", "view_dailyreport"]


def grant(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    config = apps.get_app_config("reporting")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="reporting", codename__in=PERMISSIONS))


def revoke(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=MANAGERS_GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="reporting",
                                                            codename__in=PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial"), ("crm", "0005_support_groups")]

    operations = [migrations.RunPython(grant, revoke)]

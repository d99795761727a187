"""The two desk roles, as groups with model permissions.

- "Support staff" read customers, conversations, messages and tickets, and work the
  escalation queue (change tickets: claim, reply, resolve, hand back, close). They can
  read the knowledge base but not change it, and see neither channel configuration nor
  users.
- "Support managers" can do all of that, and also edit the knowledge base, channel
  configuration and user accounts.

Permissions normally appear in the post_migrate signal, which has not run yet in a fresh
database, so they are created here first. Running this again converges: each group's
permissions are *set*, not added to.
"""
from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "Support staff"
MANAGERS_GROUP = "Support managers"

STAFF_PERMISSIONS = [
    ("crm", "view_customer"),
    ("crm", "view_customeridentifier"),
    ("crm", "view_conversation"),
    ("crm", "view_message"),
    ("crm", "view_ticket"),
    ("crm", "change_ticket"),
    ("crm", "view_ticketevent"),  # the audit trail shown on a ticket
    ("crm", "view_escalatedticket"),
    ("crm", "change_escalatedticket"),  # working the queue
    ("crm", "view_knowledgearticle"),
    ("crm", "view_knowledgechunk"),
]

MANAGER_PERMISSIONS = STAFF_PERMISSIONS + [
    ("crm", "add_knowledgearticle"),
    ("crm", "change_knowledgearticle"),
    ("crm", "delete_knowledgearticle"),
    ("crm", "add_knowledgechunk"),
    ("crm", "change_knowledgechunk"),
    ("crm", "delete_knowledgechunk"),
    ("crm", "view_channelconfig"),
    ("crm", "add_channelconfig"),
    ("crm", "change_channelconfig"),
    ("crm", "delete_channelconfig"),
    ("crm", "view_agentmetric"),
    ("auth", "view_user"),
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "delete_user"),
    ("auth", "view_group"),
]


def _ensure_permissions(apps) -> None:  # type: ignore[no-untyped-def]
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def _permissions(apps, pairs: list[tuple[str, str]]) -> list:  # type: ignore[no-untyped-def]
    Permission = apps.get_model("auth", "Permission")
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in={app for app, _ in pairs}, codename__in=[code for _, code in pairs]
        )
    }
    missing = [f"{app}.{code}" for app, code in pairs if (app, code) not in found]
    if missing:
        raise RuntimeError(f"Permissions missing after create_permissions: {', '.join(missing)}")
    return [found[pair] for pair in pairs]


def create_groups(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, pairs in ((STAFF_GROUP, STAFF_PERMISSIONS), (MANAGERS_GROUP, MANAGER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(apps, pairs))


def delete_groups(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.filter(name__in=[STAFF_GROUP, MANAGERS_GROUP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_escalation_queue_proxy"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]

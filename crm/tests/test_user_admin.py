from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def manager():
    if not Group.objects.filter(name="Support managers").exists():
        importlib.import_module("crm.migrations.0005_support_groups").create_groups(django_apps, None)
    user = UserFactory(username="manager")
    user.groups.add(Group.objects.get(name="Support managers"))
    return user


def change_form_data(client, user):
    page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: v for k, v in data.items() if v is not None}
    data.update({"username": user.username, "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
                 "last_login_0": "", "last_login_1": ""})
    return form, data


def test_a_manager_cannot_make_anyone_superuser_or_grant_other_groups(client):
    boss = manager()
    other = Group.objects.create(name="Finance")
    colleague = UserFactory(username="colleague")
    client.force_login(boss)
    form, data = change_form_data(client, colleague)
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    assert set(form.fields["groups"].queryset.values_list("name", flat=True)) == {"Support staff",
                                                                                 "Support managers"}
    data.update({"is_superuser": "on", "groups": [str(other.pk)]})
    response = client.post(reverse("admin:auth_user_change", args=[colleague.pk]), data)
    colleague.refresh_from_db()
    assert not colleague.is_superuser
    assert not colleague.groups.filter(name="Finance").exists()
    assert response.status_code in (200, 302)


def test_a_manager_can_put_a_colleague_in_the_support_staff_group(client):
    boss = manager()
    colleague = UserFactory(username="colleague2")
    client.force_login(boss)
    form, data = change_form_data(client, colleague)
    data["groups"] = [str(Group.objects.get(name="Support staff").pk)]
    response = client.post(reverse("admin:auth_user_change", args=[colleague.pk]), data)
    assert response.status_code == 302, response.content[:500]
    assert colleague.groups.filter(name="Support staff").exists()


def test_a_manager_cannot_edit_a_superuser(client):
    boss = manager()
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(boss)
    page = client.get(reverse("admin:auth_user_change", args=[root.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    response = client.post(reverse("admin:auth_user_change", args=[root.pk]), {"username": "hijacked"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root"


def test_a_manager_cannot_delete_a_superuser(client):
    boss = manager()
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(boss)
    url = reverse("admin:auth_user_delete", args=[root.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert type(root).objects.filter(pk=root.pk, is_superuser=True).exists()


def test_a_manager_cannot_bulk_delete_a_superuser_among_colleagues(client):
    boss = manager()
    root = UserFactory(username="root", is_superuser=True)
    colleague = UserFactory(username="colleague3")
    client.force_login(boss)
    changelist = reverse("admin:auth_user_changelist")
    selected = [str(root.pk), str(colleague.pk)]
    confirm = client.post(changelist, {"action": "delete_selected", "_selected_action": selected})
    assert confirm.status_code in (200, 403)
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": selected, "post": "yes"})
    assert response.status_code in (200, 302, 403)
    # Nothing of the selection is deleted: the admin refuses the whole batch.
    assert type(root).objects.filter(pk__in=[root.pk, colleague.pk]).count() == 2


def test_a_manager_can_still_delete_a_colleague(client):
    boss = manager()
    colleague = UserFactory(username="colleague4")
    client.force_login(boss)
    response = client.post(reverse("admin:auth_user_delete", args=[colleague.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not type(colleague).objects.filter(pk=colleague.pk).exists()


def test_a_superuser_can_delete_a_superuser(admin_client):
    root = UserFactory(username="root2", is_superuser=True)
    response = admin_client.post(reverse("admin:auth_user_delete", args=[root.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not type(root).objects.filter(pk=root.pk).exists()


def test_a_manager_cannot_take_over_an_account_with_more_than_support_roles(client):
    boss = manager()
    finance = UserFactory(username="finance")
    finance.groups.add(Group.objects.create(name="Finance"))
    client.force_login(boss)
    password_url = reverse("admin:auth_user_password_change", args=[finance.pk])
    response = client.post(password_url, {"password1": "taken-over-123", "password2": "taken-over-123",
                                          "usable_password": "true"})
    assert response.status_code == 403
    assert client.post(reverse("admin:auth_user_delete", args=[finance.pk]), {"post": "yes"}).status_code == 403
    finance.refresh_from_db()
    assert finance.check_password("pass-word-123")

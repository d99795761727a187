"""Who may see reports: members of "Support managers", and superusers."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission

# The group created by crm's migration 0005 (crm/migrations/0005_support_groups.py).
MANAGERS_GROUP = "Support managers"


def is_manager(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.groups.filter(name=MANAGERS_GROUP).exists())


def manager_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the admin login page; signed-in non-managers get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="admin:login")
        if not is_manager(request.user):
            raise PermissionDenied("Reports are for the Support managers group.")
        return view(request, *args, **kwargs)

    return wrapped


class IsSupportManager(BasePermission):
    message = "The management API is for members of the Support managers group."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_manager(request.user)

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
application = get_wsgi_application()

from fte_project.requests import SafeWSGIRequest  # noqa: E402 - after Django is set up

application.request_class = SafeWSGIRequest

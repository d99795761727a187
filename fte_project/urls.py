from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fte_project import health

admin.site.site_header = "Customer Success FTE"
admin.site.site_title = "Customer Success FTE"
admin.site.index_title = "Support desk"

urlpatterns = [
    path("health", health.health_view, name="health"),
    path("admin/health/", admin.site.admin_view(health.health_admin_view), name="admin-health"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="api-schema"),
    # Swagger UI from our static files (drf-spectacular-sidecar), its start-up script a file
    # too (?script): the page keeps to the Content-Security-Policy and loads nothing from a CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[]),
         name="api-docs"),
    path("", include("channels_app.urls")),
    path("", include("reporting.urls")),
]

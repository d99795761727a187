from django.urls import path

from reporting import api, views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.overview_view, name="overview"),
    path("reports/gaps/", views.gaps_view, name="gaps"),
    path("reports/gaps/draft", views.draft_start_view, name="draft_start"),
    path("reports/people/", views.people_view, name="people"),
    path("reports/cost/", views.cost_view, name="cost"),
    path("reports/export/<slug:name>.csv", views.export_view, name="export"),
    path("reports/daily/", views.daily_list_view, name="daily_list"),
    path("reports/daily/<str:day>/", views.daily_view, name="daily"),
    # The management API (token authentication, Support managers only).
    path("metrics/channels", api.ChannelMetricsView.as_view(), name="api_channel_metrics"),
    path("conversations/<str:conversation_id>", api.ConversationView.as_view(), name="api_conversation"),
    path("customers/lookup", api.CustomerLookupView.as_view(), name="api_customer_lookup"),
]

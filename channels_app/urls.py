"""Routes of the channels: the support page and API, and the provider webhooks."""
from django.urls import path

from channels_app import views

urlpatterns = [
    path("support/", views.support_page, name="support-page"),
    path("support/submit", views.SupportSubmitView.as_view(), name="support-submit"),
    path("support/ticket/<str:ticket_id>", views.TicketStatusView.as_view(), name="support-ticket"),
    path("support/ticket/<str:ticket_id>/feedback", views.TicketFeedbackView.as_view(), name="support-ticket-feedback"),
    path("support/lookup", views.SupportLookupView.as_view(), name="support-lookup"),
    path("webhooks/whatsapp", views.whatsapp_webhook, name="webhook-whatsapp"),
    path("webhooks/whatsapp/status", views.whatsapp_status_webhook, name="webhook-whatsapp-status"),
    path("webhooks/gmail", views.gmail_webhook, name="webhook-gmail"),
]

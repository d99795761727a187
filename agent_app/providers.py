"""Which model answers: offline by default, OpenAI with a key, or any OpenAI-compatible server.

- no ``OPENAI_API_KEY`` and no ``OPENAI_BASE_URL``: the deterministic offline model;
- ``OPENAI_BASE_URL`` set: that server's chat-completions API with ``AGENT_MODEL``
  (vLLM, Ollama, LM Studio, Azure-compatible gateways…);
- only ``OPENAI_API_KEY`` set: OpenAI's Responses API with ``AGENT_MODEL`` (default gpt-4o).
Tracing stays off unless ``AGENT_TRACING`` is true: traces would leave the machine.
"""
from __future__ import annotations

from agents import OpenAIChatCompletionsModel, OpenAIResponsesModel, set_tracing_disabled
from agents.models.interface import Model, ModelProvider
from django.conf import settings
from openai import AsyncOpenAI

from agent_app.offline_model import MODEL_NAME, OfflineSupportModel

OFFLINE_MODEL_NAME = MODEL_NAME


def model_name() -> str:
    if settings.OPENAI_BASE_URL or settings.OPENAI_API_KEY:
        return settings.AGENT_MODEL
    return MODEL_NAME


class ConfiguredModelProvider(ModelProvider):
    def get_model(self, model_name_: str | None) -> Model:
        if settings.OPENAI_BASE_URL:
            client = AsyncOpenAI(base_url=settings.OPENAI_BASE_URL, api_key=settings.OPENAI_API_KEY or "not-needed",
                                 max_retries=2, timeout=60)
            return OpenAIChatCompletionsModel(model=settings.AGENT_MODEL, openai_client=client)
        if settings.OPENAI_API_KEY:
            client = AsyncOpenAI(api_key=settings.OPENAI_API_KEY, max_retries=2, timeout=60)
            return OpenAIResponsesModel(model=settings.AGENT_MODEL, openai_client=client)
        return OfflineSupportModel()


class OfflineModelProvider(ModelProvider):
    """Always the offline model: the fallback when the configured model API is down."""

    def get_model(self, model_name_: str | None) -> Model:
        return OfflineSupportModel()


def configure_tracing() -> bool:
    disabled = not settings.AGENT_TRACING
    set_tracing_disabled(disabled)
    return not disabled

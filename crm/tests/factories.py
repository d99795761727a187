"""factory_boy factories for the CRM. They build rows directly; tests of behaviour go through services."""
from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from crm.models import Channel, Conversation, Customer, CustomerIdentifier, IdentifierKind, Message, Ticket


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@loomline.example")
    is_staff = True
    password = factory.django.Password("pass-word-123")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")

    @factory.post_generation
    def link_email(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and self.email:
            CustomerIdentifier.objects.get_or_create(kind=IdentifierKind.EMAIL, value=self.email,
                                                     defaults={"customer": self})


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    initial_channel = Channel.EMAIL


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    conversation = factory.SubFactory(ConversationFactory)
    customer = factory.SelfAttribute("conversation.customer")
    source_channel = factory.SelfAttribute("conversation.initial_channel")
    subject = factory.Faker("sentence", nb_words=5)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    channel = factory.SelfAttribute("conversation.initial_channel")
    direction = "inbound"
    author = "customer"
    content = factory.Faker("paragraph")
    provider_id = factory.Sequence(lambda n: f"prov-{n}")

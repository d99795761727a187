"""Every Kafka client reaches a managed cluster the same way: TLS and SASL from the settings."""
from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from channels_app import kafka_io


def test_plaintext_on_loopback_by_default(settings):  # type: ignore[no-untyped-def]
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
    assert kafka_io.connection_options() == {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_for_a_managed_cluster(settings):  # type: ignore[no-untyped-def]
    settings.KAFKA_BOOTSTRAP_SERVERS = "b-1.kafka.example:9096, b-2.kafka.example:9096"
    settings.KAFKA_SECURITY_PROTOCOL = "SASL_SSL"
    settings.KAFKA_SASL_MECHANISM = "SCRAM-SHA-512"
    settings.KAFKA_SASL_USERNAME, settings.KAFKA_SASL_PASSWORD = "fte", "s3cret"
    settings.KAFKA_SSL_CAFILE = "/etc/fte/kafka-ca.pem"
    options = kafka_io.connection_options()
    assert options == {"bootstrap_servers": ["b-1.kafka.example:9096", "b-2.kafka.example:9096"],
                       "security_protocol": "SASL_SSL", "ssl_cafile": "/etc/fte/kafka-ca.pem",
                       "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "fte",
                       "sasl_plain_password": "s3cret"}
    # Every option is one that each kafka-python client takes.
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(options) <= set(client.DEFAULT_CONFIG), client.__name__

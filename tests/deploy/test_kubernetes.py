"""k8s/: every overlay renders, passes `kubernetes-validate --strict`, and keeps our policies.

The overlays are rendered with a real kustomize (scripts/go-tools builds it once), so what is
checked here is exactly what `kubectl apply` would receive.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tests.deploy.conftest import REPO, VARIANTS, Rendered, venv_tool

# The first builds of kustomize (and docker-compose) happen inside the first test that needs them.
pytestmark = pytest.mark.timeout(2100)

ROLES = {"web", "worker", "beat", "relay", "bridge", "metrics"}
AUTOSCALED = {"fte-web", "fte-worker"}
GIB = 1024**3
# Settings that hold secrets: never as values in a ConfigMap or a container's env.
SECRET_SETTINGS = {"SECRET_KEY", "TWILIO_AUTH_TOKEN", "GMAIL_PUSH_SHARED_SECRET", "OPENAI_API_KEY",
                   "EMAIL_HOST_PASSWORD", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND",
                   "CACHE_URL", "DEMO_ADMIN_PASSWORD"}
SECRET_MOUNT = "/run/secrets/fte"
CRD_KINDS = {"ScaledObject"}


def quantity(value: str | int) -> float:
    """A Kubernetes quantity in base units (bytes or cores)."""
    text = str(value)
    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return spec["containers"] + spec.get("initContainers", [])


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """matchLabels and matchExpressions (In) against a pod's labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def autoscaled_targets(rendered: Rendered) -> dict[str, str]:
    """Deployment name -> the kind that scales it (HorizontalPodAutoscaler or ScaledObject)."""
    targets = {h["spec"]["scaleTargetRef"]["name"]: "HorizontalPodAutoscaler"
               for h in rendered.of_kind("HorizontalPodAutoscaler")}
    for scaled in rendered.of_kind("ScaledObject"):
        name = scaled["spec"]["scaleTargetRef"]["name"]
        assert name not in targets, f"{rendered.name}: {name} has both an HPA and a ScaledObject"
        targets[name] = "ScaledObject"
    return targets


@pytest.fixture(params=list(VARIANTS))
def variant(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    return rendered[request.param]


# --- schema ------------------------------------------------------------------------------------


KUBERNETES_VERSIONS = ("1.37.0", "1.30.0")


@pytest.fixture(scope="module")
def validation(rendered: dict[str, Rendered]) -> subprocess.CompletedProcess[str]:
    """One `kubernetes-validate --strict` run over every overlay and both versions (its start-up is the cost)."""
    tool = venv_tool("kubernetes-validate", "kubernetes-validate")
    versions = [arg for version in KUBERNETES_VERSIONS for arg in ("-k", version)]
    return subprocess.run([tool, "--strict", *versions, *(str(r.path) for r in rendered.values())],
                          capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.parametrize("kubernetes_version", KUBERNETES_VERSIONS)
def test_every_rendered_manifest_passes_kubernetes_validate_strict(
        variant: Rendered, kubernetes_version: str, validation: subprocess.CompletedProcess[str]) -> None:
    assert validation.returncode == 0, validation.stdout + validation.stderr
    lines = [line for line in validation.stdout.splitlines() if f" {variant.path} " in f"{line} "]
    assert not [line for line in lines if line.startswith(("ERROR", "FATAL"))], lines
    # A kind without a schema is only a warning to the tool; for us only the KEDA CRD may lack one.
    unknown = [line for line in lines if line.startswith("WARN")]
    assert all(any(f"kind {kind} " in line for kind in CRD_KINDS) for line in unknown), unknown
    minor = kubernetes_version.rsplit(".", 1)[0]
    passed = [line for line in lines if " passed for resource " in line and line.endswith(f"version {minor}")]
    assert len(passed) == len([d for d in variant.docs if d["kind"] not in CRD_KINDS]), lines


# What we rely on from KEDA's ScaledObject (keda.sh/v1alpha1); kubernetes-validate has no CRD schemas.
SCALED_OBJECT_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["scaleTargetRef", "minReplicaCount", "maxReplicaCount", "triggers"],
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                                   "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                                                  "apiVersion": {"type": "string"}}},
                "pollingInterval": {"type": "integer", "minimum": 1},
                "cooldownPeriod": {"type": "integer", "minimum": 0},
                "minReplicaCount": {"type": "integer", "minimum": 1},
                "maxReplicaCount": {"type": "integer", "minimum": 1},
                "triggers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                    "properties": {
                        "type": {"enum": ["redis", "kafka"]},
                        # KEDA refuses non-string metadata values.
                        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                        "authenticationRef": {"type": "object"},
                    }}},
            },
        },
    },
}


def test_keda_scaled_objects_are_well_formed(rendered: dict[str, Rendered]) -> None:
    keda = rendered["prod-keda"]
    scaled = {s["metadata"]["name"]: s for s in keda.of_kind("ScaledObject")}
    assert set(scaled) == {"fte-worker", "fte-bridge"}
    for item in scaled.values():
        jsonschema.validate(item, SCALED_OBJECT_SCHEMA)
        spec = item["spec"]
        assert spec["minReplicaCount"] <= spec["maxReplicaCount"]
        keda.get("Deployment", spec["scaleTargetRef"]["name"])
    config = keda.config
    (redis,) = scaled["fte-worker"]["spec"]["triggers"]
    assert redis["metadata"]["listName"] == config["CELERY_QUEUE"]
    (kafka,) = scaled["fte-bridge"]["spec"]["triggers"]
    assert kafka["metadata"]["consumerGroup"] == config["KAFKA_CONSUMER_GROUP"]
    assert kafka["metadata"]["topic"] == "fte.tickets.incoming"
    assert kafka["metadata"]["allowIdleConsumers"] == "false"
    # KEDA's worker HPA replaces ours: two HPAs on one Deployment would fight.
    assert keda.find("HorizontalPodAutoscaler", "fte-worker") is None
    assert rendered["prod"].find("HorizontalPodAutoscaler", "fte-worker") is not None


# --- images, resources, probes, security ------------------------------------------------------------


def test_images_are_pinned_and_one_image_runs_every_role(variant: Rendered) -> None:
    images = {c["image"] for w in variant.workloads() for c in containers(w)}
    assert len(images) == 1, images
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{image}: no tag"
    assert tag != "latest"
    if variant.name.startswith("prod"):
        assert tag != "dev", "production runs a release tag"
    roles = {c["args"][0] for w in variant.of_kind("Deployment") for c in containers(w)}
    assert roles == ROLES
    (job,) = variant.of_kind("Job")
    assert [c["args"] for c in containers(job)] == [["init"]]


def test_every_container_has_requests_and_limits_under_one_gib(variant: Rendered) -> None:
    for workload in variant.workloads():
        for container in containers(workload):
            where = f"{variant.name} {workload['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: {kind} incomplete"
            assert quantity(resources["limits"]["memory"]) < GIB, where
            for kind in ("cpu", "memory"):
                assert quantity(resources["requests"][kind]) <= quantity(resources["limits"][kind]), where


def test_long_running_containers_have_meaningful_probes(variant: Rendered) -> None:
    for deployment in variant.of_kind("Deployment"):
        for container in containers(deployment):
            role = container["args"][0]
            where = f"{variant.name} {deployment['metadata']['name']}"
            for probe, kind in (("startupProbe", "live"), ("livenessProbe", "live"), ("readinessProbe", "ready")):
                assert probe in container, f"{where}: no {probe}"
                command = container[probe]["exec"]["command"]
                # The entrypoint's probe: /health for web, the role's heartbeat for the others.
                assert command == ["/app/scripts/docker-entrypoint", "probe", kind, role], (where, probe)
                assert container[probe]["timeoutSeconds"] >= 5


def test_pods_run_unprivileged_on_a_read_only_root(variant: Rendered) -> None:
    for workload in variant.workloads():
        spec = pod_spec(workload)
        where = f"{variant.name} {workload['metadata']['name']}"
        pod_context = spec["securityContext"]
        assert pod_context["runAsNonRoot"] is True, where
        assert int(pod_context["runAsUser"]) >= 1000, where
        assert pod_context["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), where
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v], where
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in containers(workload):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert not context["capabilities"].get("add"), where
            assert not context.get("privileged"), where
            # The only writable path the image needs is /tmp (Dockerfile), from an emptyDir.
            mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]["name"]], where
            assert mounts[SECRET_MOUNT].get("readOnly") is True, where


# --- the shape of each workload -----------------------------------------------------------------


def test_beat_runs_exactly_once(variant: Rendered) -> None:
    beat = variant.get("Deployment", "fte-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert "fte-beat" not in autoscaled_targets(variant)
    assert variant.find("PodDisruptionBudget", "fte-beat") is None


def test_relay_runs_one_active_and_one_standby(variant: Rendered) -> None:
    relay = variant.get("Deployment", "fte-relay")
    assert relay["spec"]["replicas"] == 2
    assert relay["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert "fte-relay" not in autoscaled_targets(variant)


def test_bridges_never_outnumber_the_partitions(variant: Rendered) -> None:
    partitions = int(variant.config["KAFKA_TOPIC_PARTITIONS"])
    bridge = variant.get("Deployment", "fte-bridge")
    if "fte-bridge" in autoscaled_targets(variant):
        assert "replicas" not in bridge["spec"]
    else:
        assert 1 <= bridge["spec"]["replicas"] <= partitions
    for scaled in variant.of_kind("ScaledObject"):
        if scaled["spec"]["scaleTargetRef"]["name"] == "fte-bridge":
            assert scaled["spec"]["maxReplicaCount"] <= partitions


def test_autoscalers_own_the_replicas_of_web_and_worker(variant: Rendered) -> None:
    targets = autoscaled_targets(variant)
    assert set(targets) >= AUTOSCALED
    for hpa in variant.of_kind("HorizontalPodAutoscaler"):
        spec = hpa["spec"]
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"]
        variant.get("Deployment", spec["scaleTargetRef"]["name"])
    web = variant.get("HorizontalPodAutoscaler", "fte-web")
    assert [m["resource"]["name"] for m in web["spec"]["metrics"]] == ["cpu"]
    if variant.name.startswith("prod"):
        assert web["spec"]["minReplicas"] >= 2
    for name in targets:
        # `kubectl apply` with a replica count would reset the autoscaler's choice on every release.
        assert "replicas" not in variant.get("Deployment", name)["spec"], name


def test_every_replicated_workload_has_a_disruption_budget(variant: Rendered) -> None:
    budgets = variant.of_kind("PodDisruptionBudget")
    for deployment in variant.of_kind("Deployment"):
        name = deployment["metadata"]["name"]
        if name == "fte-beat":
            continue
        matching = [b for b in budgets if selects(b["spec"]["selector"], pod_labels(deployment))]
        assert len(matching) == 1, name
        assert matching[0]["spec"]["maxUnavailable"] == 1


def test_pods_spread_over_zones_and_nodes(variant: Rendered) -> None:
    for deployment in variant.of_kind("Deployment"):
        constraints = pod_spec(deployment)["topologySpreadConstraints"]
        keys = {c["topologyKey"] for c in constraints}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, deployment["metadata"]["name"]
        for constraint in constraints:
            assert selects(constraint["labelSelector"], pod_labels(deployment))


def test_predeploy_job_runs_init_once_with_retries(variant: Rendered) -> None:
    job = variant.get("Job", "fte-predeploy")
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert 1 <= job["spec"]["backoffLimit"] <= 5
    assert job["spec"]["activeDeadlineSeconds"] > 0


# --- configuration and secrets ----------------------------------------------------------------------


def test_no_secret_value_is_rendered(variant: Rendered) -> None:
    assert variant.of_kind("Secret") == [], "secrets are created by the operator (k8s/secret.template.yaml)"
    config = variant.config
    assert not SECRET_SETTINGS & set(config), SECRET_SETTINGS & set(config)
    for workload in variant.workloads():
        for container in containers(workload):
            for item in container.get("env", []):
                assert item["name"] not in SECRET_SETTINGS, item["name"]
    assert config["FTE_DEV_MODE"] == "0" and config["DEBUG"] == "false"


def test_every_pod_reads_the_config_map_and_mounts_the_secret(variant: Rendered) -> None:
    (config_map,) = variant.of_kind("ConfigMap")
    for workload in variant.workloads():
        for container in containers(workload):
            assert container["envFrom"] == [{"configMapRef": {"name": config_map["metadata"]["name"]}}]
        volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == "fte-secrets"


def secret_template() -> dict[str, Any]:
    return yaml.safe_load((REPO / "k8s" / "secret.template.yaml").read_text())


def test_secret_template_has_every_key_and_no_value(variant: Rendered) -> None:
    template = secret_template()
    assert template["metadata"]["name"] == "fte-secrets"
    data = template["stringData"]
    assert all(value == "" for value in data.values()), "never commit a secret value"
    assert "data" not in template
    # Every file a setting points into must be a key of the Secret, and the other way round.
    referenced = {value.removeprefix(SECRET_MOUNT + "/") for value in variant.config.values()
                  if value.startswith(SECRET_MOUNT + "/")}
    assert referenced <= set(data), referenced - set(data)
    if variant.name.startswith("prod"):
        assert referenced == set(data)
    for key, value in variant.config.items():
        if value.startswith(SECRET_MOUNT + "/") and key != "GMAIL_CREDENTIALS_FILE":
            assert key.endswith("_FILE") and key.removesuffix("_FILE") in SECRET_SETTINGS, key


def test_secret_template_passes_kubernetes_validate_strict() -> None:
    tool = venv_tool("kubernetes-validate", "kubernetes-validate")
    proc = subprocess.run([tool, "--strict", str(REPO / "k8s" / "secret.template.yaml")],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0 and "passed" in proc.stdout, proc.stdout + proc.stderr


def known_settings() -> set[str]:
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    header = (REPO / "scripts" / "docker-entrypoint").read_text().split("set -euo pipefail")[0]
    names |= set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\b", header))
    return names | {f"{name}_FILE" for name in names}


def test_config_map_only_sets_known_variables(variant: Rendered) -> None:
    unknown = set(variant.config) - known_settings()
    assert not unknown, f"not in .env.example nor read by scripts/docker-entrypoint (a typo?): {sorted(unknown)}"


# --- the network --------------------------------------------------------------------------------------


def hostname(url: str) -> str:
    return urlsplit(url).hostname or ""


def test_web_is_served_only_through_the_tls_ingress(variant: Rendered) -> None:
    service = variant.get("Service", "fte-web")
    web = variant.get("Deployment", "fte-web")
    assert selects({"matchLabels": service["spec"]["selector"]}, pod_labels(web))
    port_names = {p["name"] for c in containers(web) for p in c.get("ports", [])}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    (ingress,) = variant.of_kind("Ingress")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    tls_hosts = {h for entry in ingress["spec"]["tls"] for h in entry["hosts"]}
    assert hosts <= tls_hosts and all(entry.get("secretName") for entry in ingress["spec"]["tls"])
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"]["name"] == "fte-web"
    # Django serves, and Twilio signs, exactly the host the ingress answers to.
    config = variant.config
    assert hosts == set(config["ALLOWED_HOSTS"].split(","))
    assert {hostname(config["PUBLIC_BASE_URL"])} == hosts
    assert config["PUBLIC_BASE_URL"].startswith("https://")
    assert {hostname(o) for o in config["CSRF_TRUSTED_ORIGINS"].split(",")} == hosts
    assert config["BEHIND_PROXY"] == "true"


def test_network_policies_deny_by_default_and_allow_what_is_needed(variant: Rendered) -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in variant.of_kind("NetworkPolicy")}
    deny = policies["fte-default-deny"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    ingress_rules = [(name, rule) for name, p in policies.items() for rule in p.get("ingress", [])]
    assert [name for name, _ in ingress_rules] == ["fte-allow-web-ingress"]
    web = variant.get("Deployment", "fte-web")
    assert selects(policies["fte-allow-web-ingress"]["podSelector"], pod_labels(web))
    assert [p["port"] for _, rule in ingress_rules for p in rule["ports"]] == [8000]

    def egress_ports(labels: dict[str, str]) -> set[int]:
        ports: set[int] = set()
        for policy in policies.values():
            if selects(policy["podSelector"], labels):
                for rule in policy.get("egress", []):
                    for port in rule.get("ports", []):
                        ports.update(range(port["port"], port.get("endPort", port["port"]) + 1))
        return ports

    for workload in variant.workloads():
        ports = egress_ports(pod_labels(workload))
        assert {53, 5432, 6379, 9092} <= ports, workload["metadata"]["name"]
    assert 443 in egress_ports(pod_labels(web))
    assert 443 in egress_ports(pod_labels(variant.get("Deployment", "fte-worker")))
    assert 443 not in egress_ports(pod_labels(variant.get("Deployment", "fte-relay")))


def test_everything_lives_in_the_overlays_namespace(variant: Rendered) -> None:
    (namespace,) = variant.of_kind("Namespace")
    name = namespace["metadata"]["name"]
    assert name == {"dev": "fte-dev"}.get(variant.name, "fte-prod")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in variant.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == name, doc["metadata"]["name"]


def test_readme_points_at_the_manifests() -> None:
    readme = (REPO / "k8s" / "README.md").read_text()
    for path in ("base", "overlays/dev", "overlays/prod", "overlays/prod-keda", "components/keda",
                 "secret.template.yaml"):
        assert path in readme and (REPO / "k8s" / path).exists(), path
    assert Path(REPO / "docs" / "deploy.md").exists()


def test_the_first_pass_of_a_release_has_what_the_predeploy_job_needs(variant: Rendered) -> None:
    # docs/deploy.md: `kubectl apply -l 'app.kubernetes.io/component in (config,predeploy)'`, wait
    # for the Job, then apply everything. The first pass must carry the Job and all it uses, and
    # no workload, or new code would start before its migrations.
    first = [d for d in variant.docs
             if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") in {"config", "predeploy"}]
    kinds = sorted(d["kind"] for d in first)
    assert {"Namespace", "ServiceAccount", "ConfigMap", "Job"} <= set(kinds), kinds
    assert not {"Deployment", "HorizontalPodAutoscaler", "ScaledObject"} & set(kinds), kinds
    assert all(d["kind"] in {"Namespace", "ServiceAccount", "ConfigMap", "Job", "NetworkPolicy"} for d in first)

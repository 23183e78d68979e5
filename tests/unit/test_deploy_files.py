"""The deployment files (deploy/, Dockerfile) checked where no container can run: the compose
file and the Kubernetes manifests parse, the manifests pass the Kubernetes schema, every
ORDERSAGA_* variable given to a process is a setting of that process's settings class and the
values given are accepted by it, each process has health checks or probes and a grace period
past its own shutdown bounds, the worker is scaled and versioned, and the setup scripts create
the saga's search attributes."""

import re

import kubernetes_validate
import pytest
import yaml

from ordersaga import temporal
from tests.unit.deploy_files import (
    DEPLOY,
    ROOT,
    SETTINGS,
    VARIABLE,
    assert_settings_of,
    compose,
    compose_values,
    env_example,
    interpolate,
    k8s_env,
    kinds,
    manifests,
    processes,
    seconds,
    settings_of,
    shutdown_bound,
)

MARGIN = 5.0  # seconds past a process's own bounds: closing connections, exporting spans
ATTRIBUTES = re.compile(r"for attribute in ([\w: ]+)")


def test_compose_runs_each_process_in_a_container_with_settings_it_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = processes()
    assert {process for process, _ in found.values()} == set(SETTINGS)
    for name, (process, service) in found.items():
        env = {
            key: interpolate(str(value), compose_values())
            for key, value in service["environment"].items()
        }
        assert_settings_of(process, env)
        settings = settings_of(process, env, monkeypatch)
        assert settings.environment == "production"
        assert settings.metrics_port == 9464 and settings.metrics_host == "0.0.0.0"
        assert "9464" in str(service["healthcheck"]["test"]) or process == "api", name
        grace = seconds(service["stop_grace_period"])
        assert grace >= shutdown_bound(process, settings) + MARGIN, name


def test_compose_variables_are_in_env_example_and_ordersaga_ones_are_settings() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    used = {match.group(1): match.group(2) for match in VARIABLE.finditer(text)}
    example = env_example()
    required = {name for name, operator in used.items() if operator != "-"}
    assert required <= set(example), f"missing from .env.example: {required - set(example)}"
    assert set(example) <= set(used), f"unused in compose.yaml: {set(example) - set(used)}"
    settings = {
        f"ORDERSAGA_{name.upper()}" for cls in SETTINGS.values() for name in cls.model_fields
    }
    for name in used:
        assert not name.startswith("ORDERSAGA_") or name in settings, name
        if name.startswith("ORDERSAGA_"):  # passed on under its own name
            assert re.search(rf"{name}: \$\{{{name}\b", text), name


def test_compose_services_are_healthy_named_and_ordered() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert ":" in interpolate(service["image"], compose_values()), f"{name}: no image tag"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        one_shot = str(service.get("restart", "")).startswith("on-failure")
        # The Web UI alone has none: nothing waits for it, and its image's tools are its own.
        assert one_shot or "healthcheck" in service or name == "temporal-ui", name
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DEPLOY / volume.split(":")[0]).exists(), f"{name}: {volume}"
    worker, nxt = services["worker"], services["worker-next"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["environment"]["ORDERSAGA_DEPLOYMENT_NAME"] == "ordersaga"
    assert "WORKER_BUILD_ID" in worker["environment"]["ORDERSAGA_BUILD_ID"]
    assert "NEXT_WORKER_BUILD_ID" in nxt["environment"]["ORDERSAGA_BUILD_ID"]
    assert nxt["profiles"] == ["rollout"] and nxt["command"] == ["worker"]
    assert "WORKER_BUILD_ID" in services["worker-promote"]["environment"]["BUILD_ID"]


def test_manifests_pass_the_kubernetes_schema_and_kustomization_lists_them() -> None:
    for docs in manifests().values():
        for doc in docs:
            kubernetes_validate.validate(doc, "1.30.0", strict=True)
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == set(manifests()) - {"secret.example.yaml"}


def test_each_deployment_has_probes_settings_it_accepts_and_a_long_enough_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployments = kinds("Deployment")
    assert {d["spec"]["template"]["spec"]["containers"][0]["args"][0] for d in deployments} == set(
        SETTINGS
    )
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        process, env = container["args"][0], k8s_env(container)
        assert_settings_of(process, env)
        settings = settings_of(process, env, monkeypatch)
        assert settings.metrics_port == 9464 and settings.metrics_host == "0.0.0.0"
        assert re.fullmatch(r"ordersaga:[\w.-]+", container["image"])
        assert container["resources"]["requests"]["cpu"] and deployment["spec"]["replicas"] >= 2
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        paths = {"api": "/health/"}.get(process, "/metrics")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            http = container[probe]["httpGet"]
            assert http["path"].startswith(paths) and http["port"] in ports, (process, probe)
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {})
        sleep = float(pre_stop["command"][1]) if pre_stop else 0.0
        required = shutdown_bound(process, settings) + sleep + MARGIN
        assert pod["terminationGracePeriodSeconds"] >= required, process


def test_a_worker_deployment_is_one_build_promoted_by_its_own_job() -> None:
    workers = [
        d
        for d in kinds("Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/name"] == "worker"
    ]
    assert workers
    for deployment in workers:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = k8s_env(container)
        build = env["ORDERSAGA_BUILD_ID"]
        assert env["ORDERSAGA_DEPLOYMENT_NAME"] == "ordersaga"
        assert container["image"] == f"ordersaga:{build}"
        assert deployment["metadata"]["name"] == f"worker-{build}"
        assert deployment["spec"]["selector"]["matchLabels"]["ordersaga/build"] == build
        (promote,) = [job for job in kinds("Job") if job["metadata"]["name"].endswith(build)]
        job_env = k8s_env(promote["spec"]["template"]["spec"]["containers"][0])
        assert job_env["BUILD_ID"] == build and job_env["DEPLOYMENT_NAME"] == "ordersaga"


def test_the_setup_scripts_create_the_saga_search_attributes() -> None:
    wanted = {f"{key.name}:{temporal.cli_type(key)}" for key in temporal.SEARCH_ATTRIBUTES}
    (job,) = [job for job in kinds("Job") if job["metadata"]["name"] == "temporal-setup"]
    scripts = {
        "deploy/temporal/setup-namespace.sh": (DEPLOY / "temporal/setup-namespace.sh").read_text(),
        "temporal-setup Job": job["spec"]["template"]["spec"]["containers"][0]["command"][-1],
    }
    for where, script in scripts.items():
        match = ATTRIBUTES.search(script)
        assert match and set(match.group(1).split()) == wanted, where


def test_the_image_holds_every_package_and_runs_the_ordersaga_command() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert 'ENTRYPOINT ["ordersaga"]' in dockerfile
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[([^]]*)\]", pyproject)
    assert packages
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert f"COPY {package} ./{package}" in dockerfile, package
    assert re.search(r"COPY pyproject.toml README.md worker.py", dockerfile)

"""Validate the deployment files without a container engine or a cloud (issue 23).

    .venv-deploy/bin/python deploy/validate.py              # everything
    .venv-deploy/bin/python deploy/validate.py --self-test  # prove each check can fail

- docker-compose.yml: interpolated like `docker compose config`, parsed against the Compose
  Specification (compose-spec), then checked for what the product needs: a worker service per
  Celery queue that can be scaled (`--scale worker-ai=N`), a one-shot migrate first.
- Kubernetes: every overlay rendered with `kubectl kustomize`, each object validated against the
  schemas of a current Kubernetes (kubernetes-validate, strict); KEDA objects, which have no
  schema there, are checked against what they point at; checkov scans the rendered objects.
- Terraform: `terraform fmt -check`, parsed with python-hcl2, required resources present,
  checkov scan. The Dockerfile is scanned by checkov too.
Exits 1 with every problem listed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import compose_spec
import hcl2
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.33.0"
CHECKOV = Path(sys.executable).with_name("checkov")
# What the Terraform of each cloud must create (seed 002, issue 23).
TERRAFORM_REQUIRED = {
    "aws": {
        "aws_vpc",
        "aws_subnet",
        "aws_db_instance",
        "aws_elasticache_replication_group",
        "aws_s3_bucket",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_lb",
        "aws_iam_role",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_log_group",
    },
    "yandex": {
        "yandex_vpc_network",
        "yandex_mdb_postgresql_cluster",
        "yandex_mdb_redis_cluster",
        "yandex_storage_bucket",
        "yandex_kubernetes_cluster",
        "yandex_kms_symmetric_key",
    },
}


def celery_queues() -> list[str]:
    text = (ROOT / "fastlead" / "settings.py").read_text()
    match = re.search(r"CELERY_TASK_QUEUES_NAMES\s*=\s*\[([^\]]*)\]", text)
    return re.findall(r'"([^"]+)"', match.group(1))


# --- compose ----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.groups()
        current = env.get(name)
        if op in (":-", "-"):
            return current if current else (arg or "")
        if op in (":?", "?"):
            return current or f"<{name}>"
        return current or ""

    return _VARIABLE.sub(replace, value)


def check_compose(text: str, queues: list[str]) -> list[str]:
    try:
        data = yaml.safe_load(text)  # resolves anchors and merge keys as Compose does
        data = interpolate(data, {})
        compose_spec.PyCompose.from_json(json.dumps(data))
    except Exception as error:  # every parser error is a finding
        return [f"compose: not a valid Compose file: {error}"]
    problems = []
    services = data.get("services") or {}
    for name, service in services.items():
        for needed in service.get("depends_on") or {}:
            if needed not in services:
                problems.append(f"compose: {name} depends on unknown service {needed}")
    served = {}
    for name, service in services.items():
        queue = (service.get("environment") or {}).get("CELERY_QUEUE")
        if queue:
            served[queue] = name
            if service.get("container_name") or service.get("ports"):
                problems.append(f"compose: {name} cannot be scaled (container_name or host ports)")
    for queue in queues:
        if queue not in served:
            problems.append(f"compose: no worker service for the Celery queue {queue!r}")
    if "migrate" not in services:
        problems.append("compose: no one-shot migrate service")
    return problems


# --- kubernetes -------------------------------------------------------------------------------


def render_overlay(overlay: Path) -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl (with its built-in kustomize) is needed to render overlays")
    out = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip())
    return out.stdout


def check_kubernetes(rendered: str, label: str, queues: list[str]) -> list[str]:
    problems = []
    objects = [doc for doc in yaml.safe_load_all(rendered) if doc]
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in objects:
        kind, name = obj.get("kind"), obj.get("metadata", {}).get("name")
        by_kind.setdefault(kind, {})[name] = obj
        if obj.get("apiVersion", "").startswith("keda.sh/"):
            continue  # no schema in kubernetes-validate: checked against its targets below
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.path)
            problems.append(f"k8s {label}: {kind}/{name}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"k8s {label}: {kind}/{name}: unknown kind")
    deployments = by_kind.get("Deployment", {})
    for name, scaled in by_kind.get("ScaledObject", {}).items():
        target = scaled["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"k8s {label}: ScaledObject {name} targets missing Deployment {target}")
        for trigger in scaled["spec"].get("triggers", []):
            ref = trigger.get("authenticationRef", {}).get("name")
            if ref and ref not in by_kind.get("TriggerAuthentication", {}):
                problems.append(f"k8s {label}: ScaledObject {name} uses missing auth {ref}")
            if trigger.get("type") == "redis" and trigger["metadata"]["listName"] not in queues:
                problems.append(f"k8s {label}: ScaledObject {name} watches an unknown queue")
    worker_queues = set()
    for deployment in deployments.values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if env.get("name") == "CELERY_QUEUE":
                    worker_queues.add(env.get("value"))
    for queue in queues:
        if queue not in worker_queues:
            problems.append(f"k8s {label}: no worker Deployment for the Celery queue {queue!r}")
    beat = [d for n, d in deployments.items() if n.endswith("beat")]
    if (
        len(beat) != 1
        or beat[0]["spec"].get("replicas") != 1
        or (beat[0]["spec"].get("strategy", {}).get("type") != "Recreate")
    ):
        problems.append(f"k8s {label}: beat must be one Deployment, replicas 1, Recreate")
    if not by_kind.get("Job"):
        problems.append(f"k8s {label}: no migrate Job")
    return problems


# --- terraform --------------------------------------------------------------------------------


def check_terraform(directory: Path, required: set[str]) -> list[str]:
    problems, found = [], set()
    for path in sorted(directory.glob("*.tf")):
        try:
            with path.open() as handle:
                parsed = hcl2.load(handle)
        except Exception as error:  # every parser error is a finding
            problems.append(f"terraform {directory.name}/{path.name}: {error}")
            continue
        for block in parsed.get("resource", []):
            found.update(block)
    for missing in sorted(required - found):
        problems.append(f"terraform {directory.name}: no {missing}")
    terraform = shutil.which("terraform")
    if terraform:
        fmt = subprocess.run(  # noqa: S603 - fixed arguments, our own files
            [terraform, "fmt", "-check", "-recursive", str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode:
            problems.append(f"terraform {directory.name}: not formatted: {fmt.stdout.split()}")
    else:
        print("note: terraform not installed; `terraform fmt -check` skipped")
    return problems


def checkov(directory: Path, framework: str) -> list[str]:
    out = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            framework,
            "--compact",
            "--quiet",
            "--skip-download",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
    )
    try:
        reports = json.loads(out.stdout or "[]")
    except json.JSONDecodeError:
        return [f"checkov {framework}: no report: {out.stderr.strip()[-400:]}"]
    reports = reports if isinstance(reports, list) else [reports]
    problems = []
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            problems.append(
                f"checkov {framework}: {failed['check_id']} {failed['check_name']} "
                f"({failed['resource']}, {failed['file_path']})"
            )
    return problems


# --- alert rules ------------------------------------------------------------------------------


def check_alert_rules(text: str) -> list[str]:
    """The rule file's shape (promtool's basics): named groups of alerts with an expression,
    a severity and a summary."""
    problems = []
    try:
        groups = (yaml.safe_load(text) or {}).get("groups")
    except yaml.YAMLError as error:
        return [f"alerts: not YAML: {error}"]
    if not groups:
        return ["alerts: no groups"]
    for group in groups:
        for rule in group.get("rules") or []:
            name = rule.get("alert", "?")
            if not rule.get("expr"):
                problems.append(f"alerts: {name}: no expr")
            if (rule.get("labels") or {}).get("severity") not in {"page", "warn"}:
                problems.append(f"alerts: {name}: severity must be page or warn")
            if not (rule.get("annotations") or {}).get("summary"):
                problems.append(f"alerts: {name}: no summary")
    return problems


def main() -> int:
    queues = celery_queues()
    problems = check_compose((ROOT / "docker-compose.yml").read_text(), queues)
    problems += check_alert_rules((DEPLOY / "prometheus" / "alerts.yml").read_text())
    with tempfile.TemporaryDirectory() as scratch:
        rendered_dir = Path(scratch) / "k8s"
        rendered_dir.mkdir()
        for overlay in sorted((DEPLOY / "k8s" / "overlays").iterdir()):
            try:
                rendered = render_overlay(overlay)
            except RuntimeError as error:
                problems.append(f"k8s {overlay.name}: cannot render: {error}")
                continue
            (rendered_dir / f"{overlay.name}.yaml").write_text(rendered)
            problems += check_kubernetes(rendered, overlay.name, queues)
        problems += checkov(rendered_dir, "kubernetes")
        docker_dir = Path(scratch) / "docker"
        docker_dir.mkdir()
        shutil.copy(ROOT / "Dockerfile", docker_dir / "Dockerfile")
        problems += checkov(docker_dir, "dockerfile")
    for cloud, required in TERRAFORM_REQUIRED.items():
        directory = DEPLOY / "terraform" / cloud
        problems += check_terraform(directory, required)
        problems += checkov(directory, "terraform")
    for problem in problems:
        print(problem)
    print(f"deploy files: {len(problems)} problem(s)")
    return 1 if problems else 0


def self_test() -> int:
    """Each check must be able to fail: feed known-bad inputs, expect findings."""
    queues = celery_queues()
    good = (ROOT / "docker-compose.yml").read_text()
    cases = {
        "compose: a port that is not a port": (
            'services:\n  web:\n    image: x\n    ports: ["a:b:c:d"]\n'
        ),
        "compose: unknown key": "services:\n  web:\n    image: x\n    colour: blue\n",
        "compose: a queue without a worker": good.replace("CELERY_QUEUE: ai", "CELERY_QUEUE: aj"),
    }
    failures = [name for name, text in cases.items() if not check_compose(text, queues)]
    if not check_alert_rules("groups:\n  - name: g\n    rules:\n      - alert: A\n"):
        failures.append("alerts: a rule without expr must fail")
    if check_compose(good, queues):
        failures.append("compose: the real file must pass")
    bad_deployment = """apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: "two"
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i, colour: 1}]}}
"""
    if not [p for p in check_kubernetes(bad_deployment, "self-test", queues) if "x:" in p]:
        failures.append("k8s: a Deployment with a bad field must fail")
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
        if not checkov(Path(scratch), "terraform"):
            failures.append("checkov: an unencrypted, unlogged bucket must fail")
        Path(scratch, "broken.tf").write_text('resource "aws_vpc" {\n')
        if not check_terraform(Path(scratch), {"aws_vpc"}):
            failures.append("terraform: a file that does not parse must fail")
    for failure in failures:
        print("self-test failed:", failure)
    print(f"self-test: {len(cases) + 5 - len(failures)} of {len(cases) + 5} checks can fail")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(self_test() if "--self-test" in sys.argv else main())

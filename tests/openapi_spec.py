"""Reading and checking the addons' OpenAPI descriptions (test helper)."""

from pathlib import Path

import requests
import yaml
from hypothesis import HealthCheck, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ADDONS = Path(__file__).resolve().parents[1] / "addons"


def _escape(key):
    return key.replace("~", "~0").replace("/", "~1")


class OpenApiSpec:
    """``addons/<addon>/static/api/openapi.yaml``, with JSON Schema
    validation of instances against the schemas it holds (refs inside a
    schema resolve against the whole document)."""

    def __init__(self, addon):
        self.addon = addon
        self.url_path = f"/{addon}/static/api/openapi.yaml"
        self.doc = yaml.safe_load(
            (ADDONS / addon / "static/api/openapi.yaml").read_text(encoding="utf-8")
        )
        self.uri = f"urn:{addon}-openapi"
        self.registry = Registry().with_resource(
            self.uri,
            Resource.from_contents(self.doc, default_specification=DRAFT202012),
        )

    def errors(self, pointer, instance):
        """Messages of what in ``instance`` breaks the schema at ``pointer``
        (a JSON pointer into the document); empty when it is valid."""
        validator = Draft202012Validator(
            {"$ref": f"{self.uri}#{pointer}"}, registry=self.registry
        )
        return [error.message for error in validator.iter_errors(instance)]

    def schema(self, name):
        return f"/components/schemas/{name}"

    def examples(self):
        """(where, schema pointer, value) of every example of a media type:
        request bodies and responses, of paths, webhooks and components."""
        found = []

        def walk(node, pointer):
            if isinstance(node, dict):
                if "schema" in node and ("examples" in node or "example" in node):
                    schema = f"{pointer}/schema"
                    if "example" in node:
                        found.append((pointer, schema, node["example"]))
                    for name, example in (node.get("examples") or {}).items():
                        where = f"{pointer}/examples/{name}"
                        found.append((where, schema, example["value"]))
                for key, value in node.items():
                    walk(value, f"{pointer}/{_escape(key)}")
            elif isinstance(node, list):
                for index, value in enumerate(node):
                    walk(value, f"{pointer}/{index}")

        walk(self.doc, "")
        return found

    def request_examples(self, path, method):
        operation = self.doc["paths"][path][method]
        return operation["requestBody"]["content"]["application/json"]["examples"]

    def answer_errors(self, path, method, response):
        """What in ``response``'s JSON breaks the schema the document gives
        for its status on ``method path``."""
        status = str(response.status_code)
        answers = self.doc["paths"][path][method]["responses"]
        assert status in answers, f"{method} {path} has no {status} answer"
        pointer = f"/paths/{_escape(path)}/{method}/responses/{status}"
        if "$ref" in answers[status]:
            pointer = answers[status]["$ref"][1:]
        return self.errors(
            f"{pointer}/content/application~1json/schema", response.json()
        )


# Requests to the test server: a hung server fails the test, not the run.
TIMEOUT = 30


def http_get(url, **kwargs):
    kwargs.setdefault("timeout", TIMEOUT)
    return requests.get(url, **kwargs)


def http_post(url, **kwargs):
    kwargs.setdefault("timeout", TIMEOUT)
    return requests.post(url, **kwargs)


def generated(spec, name):
    """A hypothesis strategy of instances of schema ``name`` of ``spec``."""
    return from_schema(
        {"$ref": f"#/components/schemas/{name}", "components": spec.doc["components"]}
    )


def repeatable(max_examples):
    """Hypothesis settings for tests against the database: derandomized (CI
    is repeatable), no example database, no deadline."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )

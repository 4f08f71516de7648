"""Lints infra/template.yaml as CloudFormation will run it: after the SAM transform.

cfn-lint 1.x checks SAM resources against SAM's schema but no longer transforms them, so what
SAM generates (the HTTP API's stage and its access log settings, routes, Lambda permissions,
the role) is never linted, and SAM's own errors (an undefined authorizer, ...) go unnoticed.
This runs the transform with aws-sam-translator (pinned in xtask/python-requirements.txt) and
lints the result with cfn-lint. Offline: no AWS calls, no credentials.

Usage: .tools/venv/bin/python infra/lint_sam_transform.py [template]   (exit code: cfn-lint's)
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names no managed policy by name, so the transform needs no IAM lookup."""

    def load(self):
        return {}


def packaged(template):
    """What `sam package` does to the template: local code paths become S3 locations."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(
            properties.get("CodeUri"), str
        ):
            properties["CodeUri"] = "s3://sam-artifacts/" + Path(properties["CodeUri"]).name
    return template


def main():
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml")
    # The transform derives ARNs from a region; any will do for linting.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = packaged(yaml_parse(path.read_text()))
    try:
        transformed = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{path}: SAM transform: {cause.message}")
        return 2
    with tempfile.TemporaryDirectory() as directory:
        output = Path(directory) / f"{path.stem}.transformed.json"
        output.write_text(json.dumps(transformed, indent=1))
        # The cfn-lint of this virtualenv, with its usual rules.
        cfn_lint = Path(sys.executable).parent / "cfn-lint"
        return subprocess.run([str(cfn_lint), str(output)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

"""Starts ministack (a free, independent AWS emulator from PyPI) on loopback only, for
`e2e/tests/aws_emulator.rs` and for trying `cargo xtask deploy` by hand (README, "Try the AWS
deployment without an AWS account").

    .tools/ministack/bin/python e2e/ministack/launch.py [--port N] [--tls-port N]

Listens on 127.0.0.1 only, never on another interface: plain HTTP on --port (for the aws and sam
CLIs: `--endpoint-url http://127.0.0.1:<port>`) and HTTPS with a self-signed certificate on
--tls-port (for a browser that reaches the deployed https://*.cloudfront.net,
*.amazoncognito.com and *.amazonaws.com names through a host mapping). Port 0 (the default) picks
free ports. Once both listen it prints one line, `ministack listening http=<port> https=<port>`,
then serves until it is killed.

ministack 1.5.33 differs from AWS in five ways this deployment meets; each is patched below, here
in the test harness only, never in the product, and listed in infra/README.md
("Where the emulator differs from AWS"):

1. `Fn::GetAtt UserPool.ProviderURL` is missing (ministack has `ProviderName`, which AWS documents
   with the same value, `cognito-idp.<region>.amazonaws.com/<pool id>`).
2. An `AWS::ApiGatewayV2::Api` with an OpenAPI `Body` (what SAM's `AWS::Serverless::HttpApi`
   always generates) gets no routes, integrations, authorizers or CORS: ministack does not import
   the body. The import below reads the `x-amazon-apigateway-*` extensions as API Gateway does and
   hands them to ministack's own CreateRoute, CreateIntegration and CreateAuthorizer; the JWT
   authorizer, CORS and the Lambda proxy that answer requests stay ministack's.
3. An HTTP API is served on `<id>.execute-api.localhost`, not on AWS's
   `<id>.execute-api.<region>.amazonaws.com`; and CloudFront's origin-access-control read of S3 is
   evaluated as plain HTTP, so a bucket policy denying `aws:SecureTransport = false` (AWS's own
   advice) refuses every object, where CloudFront reaches S3 over HTTPS for an HTTPS viewer.
4. A stack update takes ministack milliseconds, so a first `cargo xtask deploy` can start its
   second update within the same second as the first; the AWS CLI names change sets by the
   second (`awscli-cloudformation-package-deploy-<unix time>`), and ministack keeps the executed
   one, so the second CreateChangeSet is refused with AlreadyExistsException. On AWS an update
   takes far longer than a second and the name never recurs.
5. CloudFront's read of a missing S3 object answers 403 AccessDenied whatever the bucket policy
   says; S3 answers 404 NoSuchKey to a requester that may s3:ListBucket on the bucket, and 403
   to one that may not (GetObject, "Permissions"). The patch asks ministack's own evaluation of
   the bucket policy whether this distribution may list the bucket, so the template's grant is
   what makes a missing file a 404, as on AWS.
"""

import argparse
import asyncio
import json
import os
import re
import socket
import sys


def bound_socket(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="plain HTTP port (0: a free one)")
    parser.add_argument("--tls-port", type=int, default=0, help="HTTPS port (0: a free one)")
    args = parser.parse_args()

    # Bound before ministack is imported: it reads its own port (for the URLs it hands out, and
    # the JWKS its JWT authorizer fetches from itself) from the environment at import.
    plain = bound_socket(args.port)
    tls = bound_socket(args.tls_port)
    os.environ["GATEWAY_PORT"] = str(plain.getsockname()[1])
    os.environ["BIND_HOST"] = "127.0.0.1"
    # Listeners ministack would otherwise open on every interface when their packages exist.
    os.environ.setdefault("IOT_MTLS_ENABLED", "0")
    os.environ.setdefault("SFTP_ENABLED", "0")

    patch_ministack()

    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from ministack.app import app
    from ministack.core import tls as ministack_tls

    config = Config()
    config.insecure_bind = [f"fd://{plain.fileno()}"]
    config.bind = [f"fd://{tls.fileno()}"]
    config.certfile, config.keyfile = ministack_tls.resolve_tls_material()
    config.keep_alive_timeout = 75
    config.loglevel = os.environ.get("LOG_LEVEL", "WARNING")

    print(
        f"ministack listening http={plain.getsockname()[1]} https={tls.getsockname()[1]}",
        flush=True,
    )
    asyncio.run(serve(app, config))


def patch_ministack():
    """The differences from AWS described in the module's docstring."""
    import ministack.app as ministack_app
    from ministack.core import iam_evaluator
    from ministack.services import apigateway, s3
    from ministack.services.cloudformation import provisioners

    # 1. ProviderURL, as AWS documents it (the same value as ProviderName).
    pool_attributes = provisioners._cognito_user_pool_attributes

    def pool_attributes_with_provider_url(pool_id):
        attributes = dict(pool_attributes(pool_id))
        attributes.setdefault("ProviderURL", attributes["ProviderName"])
        return attributes

    provisioners._cognito_user_pool_attributes = pool_attributes_with_provider_url

    # 2. Import an HTTP API's OpenAPI body.
    create_api = provisioners._apigw_v2_api_create
    update_api = provisioners._apigw_v2_api_update

    def create_api_from_body(logical_id, props, stack_name):
        api_id, attributes = create_api(logical_id, props, stack_name)
        import_openapi_body(apigateway, api_id, props.get("Body"))
        return api_id, attributes

    def update_api_from_body(physical_id, old_props, new_props, stack_name, logical_id=None):
        api_id, attributes = update_api(physical_id, old_props, new_props, stack_name, logical_id)
        if api_id != physical_id or new_props.get("Body") != old_props.get("Body"):
            import_openapi_body(apigateway, api_id, new_props.get("Body"))
        return api_id, attributes

    patched = 0
    for value in list(vars(provisioners).values()):
        handlers = value.get("AWS::ApiGatewayV2::Api") if isinstance(value, dict) else None
        if isinstance(handlers, dict) and handlers.get("create") is create_api:
            handlers["create"] = create_api_from_body
            handlers["update"] = update_api_from_body
            patched += 1
    if patched != 1:
        sys.exit(f"launch.py: found {patched} AWS::ApiGatewayV2::Api provisioners, expected 1; "
                 "is this the ministack version xtask/ministack-requirements.txt pins?")

    # 3a. AWS's execute-api host names.
    ministack_app._EXECUTE_API_RE = re.compile(
        r"^([a-f0-9]{8})\.execute-api\.(?:localhost|[a-z0-9-]+\.amazonaws\.com)(?::\d+)?$")

    # 3b. CloudFront reads the S3 origin over TLS (the distribution redirects viewers to HTTPS).
    origin_allows = s3._cloudfront_origin_allows

    def origin_allows_over_tls(*args, **kwargs):
        iam_evaluator.pin_request_origin("127.0.0.1", True)
        return origin_allows(*args, **kwargs)

    s3._cloudfront_origin_allows = origin_allows_over_tls

    # 4. A change set name that recurs after its change set ran (the AWS CLI names them by the
    #    second, and a stack update takes ministack milliseconds) starts a new change set.
    from ministack.services import cloudformation
    from ministack.services.cloudformation import handlers, helpers

    create_change_set = handlers._ACTION_HANDLERS["CreateChangeSet"]

    def create_change_set_after_an_executed_one(params):
        name = helpers._p(params, "ChangeSetName")
        stack = helpers._p(params, "StackName")
        for change_set_id, change_set in list(cloudformation._change_sets.items()):
            if (change_set.get("ChangeSetName") == name and change_set.get("StackName") == stack
                    and change_set.get("ExecutionStatus") in ("EXECUTE_COMPLETE", "EXECUTE_FAILED")):
                cloudformation._change_sets.pop(change_set_id, None)
        return create_change_set(params)

    handlers._ACTION_HANDLERS["CreateChangeSet"] = create_change_set_after_an_executed_one

    # 5. A missing object is 404 to a distribution the bucket policy allows s3:ListBucket.
    serve_origin_fetch = s3.serve_cloudfront_origin_fetch

    def origin_fetch_with_not_found(bucket_name, key, method, headers, source_arn="", oai_id=""):
        answer = serve_origin_fetch(bucket_name, key, method, headers,
                                    source_arn=source_arn, oai_id=oai_id)
        bucket = s3._ensure_bucket(bucket_name)
        if (answer[0] == 403 and bucket is not None and key not in bucket["objects"]
                and distribution_may_list(s3, iam_evaluator, bucket_name, source_arn)):
            return s3._error("NoSuchKey", "The specified key does not exist.", 404,
                             f"/{bucket_name}/{key}")
        return answer

    s3.serve_cloudfront_origin_fetch = origin_fetch_with_not_found


def distribution_may_list(s3, iam_evaluator, bucket_name, source_arn):
    """Whether the bucket policy allows the distribution `source_arn` (through origin access
    control) s3:ListBucket on the bucket: ministack's own check of an OAC read
    (`s3._cloudfront_origin_allows`) with that action and the bucket's ARN."""
    owner = s3._bucket_owner_account(bucket_name) or s3.get_account_id()
    policy = s3._bucket_policies.get_scoped(owner, None, bucket_name)
    if not policy or not source_arn:
        return False
    # Over TLS, as the read itself (3b).
    iam_evaluator.pin_request_origin("127.0.0.1", True)
    context = iam_evaluator.EvalContext(
        principal_arn="*",
        principal_type="Service",
        principal_account="",
        action="s3:ListBucket",
        resource_arn=f"arn:aws:s3:::{bucket_name}",
        region=s3.get_region(),
        service_context={"aws:sourcearn": source_arn},
    )
    decision = iam_evaluator.evaluate_resource_policy(
        policy, context, service="cloudfront.amazonaws.com").decision
    return decision == "Allow"


def import_openapi_body(apigateway, api_id, body):
    """Routes, Lambda proxy integrations, JWT authorizers and CORS from an OpenAPI 3 body with
    API Gateway's extensions, replacing what the API had."""
    if not isinstance(body, dict):
        return
    for store in (apigateway._routes, apigateway._integrations, apigateway._authorizers):
        store[api_id] = {}

    def created(response, key):
        status, _, payload = response
        if status >= 300:
            raise ValueError(f"importing the OpenAPI body of API {api_id}: {payload!r}")
        return json.loads(payload)[key]

    authorizers = {}
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in schemes.items():
        extension = scheme.get("x-amazon-apigateway-authorizer") or {}
        if extension.get("type") != "jwt":
            raise ValueError(f"security scheme {name}: only JWT authorizers are imported")
        authorizers[name] = created(apigateway._create_authorizer(api_id, {
            "authorizerType": "JWT",
            "name": name,
            "identitySource": [extension.get("identitySource", "$request.header.Authorization")],
            "jwtConfiguration": extension.get("jwtConfiguration") or {},
        }), "authorizerId")

    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            integration = (operation or {}).get("x-amazon-apigateway-integration")
            if not integration:
                continue
            integration_id = created(apigateway._create_integration(api_id, {
                "integrationType": str(integration.get("type", "aws_proxy")).upper(),
                "integrationUri": integration.get("uri", ""),
                "integrationMethod": integration.get("httpMethod", "POST"),
                "payloadFormatVersion": integration.get("payloadFormatVersion", "1.0"),
            }), "integrationId")
            route = {
                "routeKey": f"{method.upper()} {path}",
                "target": f"integrations/{integration_id}",
            }
            for requirement in operation.get("security") or []:
                for name, scopes in requirement.items():
                    if name in authorizers:
                        route.update(authorizationType="JWT", authorizerId=authorizers[name],
                                     authorizationScopes=list(scopes or []))
            created(apigateway._create_route(api_id, route), "routeId")

    cors = body.get("x-amazon-apigateway-cors")
    if cors:
        apigateway._apis[api_id]["corsConfiguration"] = cors


if __name__ == "__main__":
    main()

//! Which paths get index.html: the template's CloudFront Function, run under Node, against
//! `contract::is_spa_route`, which devstack applies; and the rest of the template that makes a
//! missing file a real 404 (the function on the default behaviour, no custom error page turning
//! errors into the app, S3 allowed to say that an object does not exist).

use std::process::{Command, Stdio};

use serde_json::json;
use serde_norway::Value;

use crate::template::{Differences, intrinsic, resources_of_type, single, template, text};

/// Paths as a browser sends them, with a query string where one matters to the SPA. Both sides
/// get the path without it, as CloudFront's `request.uri` and devstack's `Uri::path()` are.
const REQUESTS: [&str; 27] = [
    "/",
    "/profile",
    "/callback?code=abc.def&state=x.y",
    "/account",
    "/api",
    "/sign-in?return_to=%2Fprofile",
    "/signed-out",
    "/profile/",
    "/deep/link/",
    "/a/b.c/d",
    "//",
    "/deep%2Flink",
    "/caf%C3%A9",
    "/.well-known/x",
    "/%2",
    "/index.html",
    "/config.json",
    "/favicon.ico",
    "/missing.js",
    "/assets/app-123.wasm",
    "/cognito-spa-9f8e7d6c5b4a3210_bg.wasm",
    "/app%2Ejs",
    "/app%2ejs",
    "/caf%C3%A9.png",
    "/caf\u{e9}.png",
    "/.env",
    "/profile.",
];

/// The `AWS::CloudFront::Function`'s logical id and properties.
fn spa_routes_function(template: &Value) -> (&str, &Value) {
    let functions = resources_of_type(template, "AWS::CloudFront::Function");
    assert_eq!(
        functions.len(),
        1,
        "expected one CloudFront Function (the SPA's routes), found {}",
        functions.len()
    );
    (functions[0].0, &functions[0].1["Properties"])
}

/// What the function makes of each path: the `uri` of the request it returns.
fn run_under_node(code: &str, paths: &[(&str, Option<&str>)]) -> Vec<String> {
    let events: Vec<serde_json::Value> = paths
        .iter()
        .map(|(path, query)| {
            let querystring: serde_json::Map<String, serde_json::Value> = query
                .unwrap_or_default()
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (name.to_owned(), json!({ "value": value }))
                })
                .collect();
            // CloudFront Functions' event structure for a viewer request.
            json!({
                "version": "1.0",
                "context": { "eventType": "viewer-request" },
                "viewer": { "ip": "192.0.2.1" },
                "request": {
                    "method": "GET",
                    "uri": path,
                    "querystring": querystring,
                    "headers": { "host": { "value": "d111111abcdef8.cloudfront.net" } },
                    "cookies": {},
                },
            })
        })
        .collect();
    // Each answer must be the request (a response would have a statusCode) with its query
    // string untouched; anything else is reported as the answer.
    let script = format!(
        "{code}\n;const events = {};\n\
         process.stdout.write(JSON.stringify(events.map((event) => {{\n\
           const query = JSON.stringify(event.request.querystring);\n\
           const answer = handler(event);\n\
           const isRequest = answer && typeof answer.uri === 'string' && !('statusCode' in answer)\n\
             && JSON.stringify(answer.querystring) === query;\n\
           return isRequest ? answer.uri : 'not the request: ' + JSON.stringify(answer);\n\
         }})));\n",
        serde_json::Value::Array(events)
    );
    let mut node = Command::new("node")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("could not start `node` (Node.js is a prerequisite, see README.md): {error}")
        });
    std::io::Write::write_all(
        &mut node.stdin.take().expect("node's stdin is piped"),
        script.as_bytes(),
    )
    .expect("the script reaches node");
    let output = node.wait_with_output().expect("node runs to its end");
    assert!(
        output.status.success(),
        "the template's CloudFront Function failed under node: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "node printed something other than a list of URIs ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn the_cloudfront_function_serves_index_html_for_exactly_the_spa_routes() {
    let template = template();
    let (_, function) = spa_routes_function(&template);
    let mut differences = Differences::default();
    differences.agree(
        "the function's runtime and publication",
        (
            function["FunctionConfig"]["Runtime"].as_str(),
            function["AutoPublish"].as_bool(),
        ),
        (Some("cloudfront-js-2.0"), Some(true)),
    );
    let code = function["FunctionCode"]
        .as_str()
        .expect("the function's code is written out in the template");

    let requests: Vec<(&str, Option<&str>)> = REQUESTS
        .iter()
        .map(|request| match request.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (*request, None),
        })
        .collect();
    let answers = run_under_node(code, &requests);
    assert_eq!(answers.len(), requests.len(), "{answers:?}");
    for ((path, _), answer) in requests.iter().zip(answers) {
        let expected = if devstack::contract::is_spa_route(path) {
            "/index.html"
        } else {
            path
        };
        differences.compare(
            &format!("the origin path for {path:?}"),
            answer.as_str(),
            expected,
        );
    }
    differences.assert_none("Which paths get index.html (contract::is_spa_route)");
}

/// A statement of the bucket policy that grants a service an action, as the template writes it.
#[derive(Debug, PartialEq, Eq)]
struct Grant<'a> {
    effect: Option<&'a str>,
    service: Option<&'a str>,
    resource: Option<String>,
    /// The `AWS:SourceArn` the grant is limited to.
    source_arn: Option<String>,
}

#[test]
fn a_missing_file_is_a_404_not_the_app() {
    let template = template();
    let (function_id, _) = spa_routes_function(&template);
    let distribution = &single(&template, "AWS::CloudFront::Distribution")["DistributionConfig"];
    let mut differences = Differences::default();

    // The function rewrites every viewer request of the one (default) behaviour.
    let associations: Vec<(Option<&str>, Option<String>)> =
        distribution["DefaultCacheBehavior"]["FunctionAssociations"]
            .as_sequence()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|association| {
                let arn = intrinsic(&association["FunctionARN"])
                    .filter(|(name, _)| name == "GetAtt")
                    .and_then(|(_, argument)| argument.as_str().map(str::to_owned));
                (association["EventType"].as_str(), arn)
            })
            .collect();
    differences.agree(
        "the default behaviour's function associations",
        associations,
        vec![(
            Some("viewer-request"),
            Some(format!("{function_id}.FunctionMetadata.FunctionARN")),
        )],
    );
    differences.agree(
        "cache behaviours besides the default one (each would need the function too)",
        distribution["CacheBehaviors"].is_null(),
        true,
    );
    // A custom error response for 403 or 404 would turn a missing file into the app again.
    differences.agree(
        "CustomErrorResponses",
        distribution["CustomErrorResponses"].clone(),
        Value::Null,
    );

    // S3 answers a missing object 404 only to whom may list the bucket; else 403.
    let policy = single(&template, "AWS::S3::BucketPolicy");
    let statements = policy["PolicyDocument"]["Statement"]
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let list_bucket: Vec<Grant<'_>> = statements
        .iter()
        .filter(|statement| statement["Action"].as_str() == Some("s3:ListBucket"))
        .map(|statement| Grant {
            effect: statement["Effect"].as_str(),
            service: statement["Principal"]["Service"].as_str(),
            resource: intrinsic(&statement["Resource"])
                .and_then(|(name, argument)| Some(format!("!{name} {}", argument.as_str()?))),
            source_arn: text(&statement["Condition"]["StringEquals"]["AWS:SourceArn"]),
        })
        .collect();
    differences.agree(
        "the bucket policy's s3:ListBucket grant",
        list_bucket,
        vec![Grant {
            effect: Some("Allow"),
            service: Some("cloudfront.amazonaws.com"),
            resource: Some("!GetAtt SiteBucket.Arn".to_owned()),
            source_arn: Some(
                "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
                    .to_owned(),
            ),
        }],
    );
    differences.assert_none("Missing files are 404s");
}

//! The published specification (`api/kiosk-link.openapi.yaml`) documents the errors every
//! operation can answer: a vendor implementing the protocol, and a device reading answers,
//! must find each status there. Which routes and codes the server has is checked by the
//! server's own test; Schemathesis checks the answers against the file
//! (`tests/openapi/run-schemathesis`). This one reads the file's layout (two spaces a level,
//! one status a line), so it needs no YAML parser.

use kiosk_link::OPENAPI;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

struct Operation {
    method: String,
    path: String,
    secured: bool,
    /// Status code → the response's text after the code (a `$ref` or an inline response).
    responses: Vec<(String, String)>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `key: rest` at exactly `level` spaces.
fn key_at(line: &str, level: usize) -> Option<(&str, &str)> {
    if indent(line) != level || line.trim_start().starts_with('#') {
        return None;
    }
    let (key, rest) = line.trim_start().split_once(':')?;
    Some((key.trim().trim_matches('"'), rest.trim()))
}

/// The top-level `security:` applies to every operation that does not say otherwise.
fn secured_by_default(spec: &str) -> bool {
    let mut lines = spec.lines().skip_while(|l| key_at(l, 0).is_none_or(|(k, _)| k != "security"));
    match lines.next().and_then(|l| key_at(l, 0)) {
        Some((_, "[]")) | None => false,
        Some((_, "")) => lines.next().is_some_and(|l| l.trim_start().starts_with("- ")),
        Some(_) => true,
    }
}

fn operations(spec: &str) -> Vec<Operation> {
    let default_secured = secured_by_default(spec);
    let mut ops: Vec<Operation> = Vec::new();
    let (mut in_paths, mut path, mut in_responses) = (false, String::new(), false);
    for line in spec.lines() {
        if let Some((key, _)) = key_at(line, 0) {
            in_paths = key == "paths";
            continue;
        }
        if !in_paths || line.trim().is_empty() {
            continue;
        }
        if let Some((key, _)) = key_at(line, 2) {
            path = key.to_owned();
            in_responses = false;
        } else if let Some((key, _)) = key_at(line, 4) {
            in_responses = false;
            if METHODS.contains(&key) {
                ops.push(Operation {
                    method: key.to_owned(),
                    path: path.clone(),
                    secured: default_secured,
                    responses: Vec::new(),
                });
            }
        } else if let (Some((key, rest)), Some(op)) = (key_at(line, 6), ops.last_mut()) {
            in_responses = key == "responses";
            if key == "security" {
                op.secured = rest != "[]";
            }
        } else if let (true, Some((key, rest)), Some(op)) = (in_responses, key_at(line, 8), ops.last_mut()) {
            op.responses.push((key.to_owned(), rest.to_owned()));
        }
    }
    ops
}

/// The shared responses under `components: responses:`, each with the rest of its lines.
fn shared_responses(spec: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let (mut in_components, mut in_responses) = (false, false);
    for line in spec.lines() {
        if let Some((key, _)) = key_at(line, 0) {
            in_components = key == "components";
            continue;
        }
        if !in_components {
            continue;
        }
        if let Some((key, _)) = key_at(line, 2) {
            in_responses = key == "responses";
        } else if let (true, Some((key, _))) = (in_responses, key_at(line, 4)) {
            out.push((key.to_owned(), String::new()));
        } else if let (true, Some(last)) = (in_responses, out.last_mut()) {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

#[test]
fn the_layout_is_read() {
    let ops = operations(OPENAPI);
    assert!(ops.len() >= 18, "only {} operations read from the OpenAPI file", ops.len());
    assert!(ops.iter().all(|o| o.path.starts_with('/')));
    assert!(ops.iter().all(|o| !o.responses.is_empty()), "an operation without responses");
    assert!(ops.iter().any(|o| o.path == "/v1/orders" && o.method == "post"));
    assert!(secured_by_default(OPENAPI));
    assert!(shared_responses(OPENAPI).len() >= 8);
}

/// What the file leaves out: an operation without 400 or 500, one behind a token without
/// 401, an error that is not one of the shared `ErrorBody` responses.
fn missing_errors(spec: &str) -> Vec<String> {
    let shared = shared_responses(spec);
    let mut missing = Vec::new();
    for op in operations(spec) {
        let name = format!("{} {}", op.method.to_uppercase(), op.path);
        let has = |code: &str| op.responses.iter().any(|(c, _)| c == code);
        // Every operation can get a malformed request (a wrong protocol header at least)
        // and can fail inside; every one behind a token can be refused.
        let mut needed = vec!["400", "500"];
        if op.secured {
            needed.push("401");
        }
        for code in needed {
            if !has(code) {
                missing.push(format!("{name}: no {code}"));
            }
        }
        // Errors are the shared, typed ones: an `ErrorBody` under its status.
        for (code, response) in &op.responses {
            if !(code.starts_with('4') || code.starts_with('5')) {
                continue;
            }
            let Some(target) = response
                .split("#/components/responses/")
                .nth(1)
                .map(|r| r.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or(""))
            else {
                missing.push(format!("{name}: {code} is not one of components/responses"));
                continue;
            };
            match shared.iter().find(|(n, _)| n == target) {
                None => missing.push(format!("{name}: {code} refers to a missing response {target}")),
                Some((_, body)) if !body.contains("#/components/schemas/ErrorBody") => {
                    missing.push(format!("{name}: {code} ({target}) is not an ErrorBody"))
                }
                Some(_) => {}
            }
        }
    }
    missing
}

#[test]
fn every_operation_documents_its_errors() {
    let missing = missing_errors(OPENAPI);
    assert!(missing.is_empty(), "the OpenAPI file leaves out:\n{}", missing.join("\n"));
}

/// The check above fails when a status goes missing (it reads what it should).
#[test]
fn a_missing_error_is_found() {
    let without = |needle: &str, nth: usize| -> String {
        let at = OPENAPI.match_indices(needle).nth(nth).expect("the line is in the file").0;
        let end = at + OPENAPI[at..].find('\n').unwrap() + 1;
        let start = OPENAPI[..at].rfind('\n').unwrap() + 1;
        format!("{}{}", &OPENAPI[..start], &OPENAPI[end..])
    };
    // the last operation's 500, and the 401 of the first admin one
    let last_500 = OPENAPI.matches("\"500\": ").count() - 1;
    assert_eq!(missing_errors(&without("\"500\": ", last_500)), ["GET /admin/v1/devices: no 500"]);
    let admin = OPENAPI.find("/admin/v1/menu:").unwrap();
    let n401 = OPENAPI[..admin].matches("\"401\": ").count();
    assert_eq!(missing_errors(&without("\"401\": ", n401)), ["PUT /admin/v1/menu: no 401"]);
    let inline = OPENAPI.replacen(
        "\"400\": { $ref: \"#/components/responses/BadRequest\" }",
        "\"400\": { description: Bad }",
        1,
    );
    assert_eq!(missing_errors(&inline), ["GET /v1/hello: 400 is not one of components/responses"]);
}

//! The tolerant error-body parser and the documented error-code catalogue.

use std::collections::HashSet;

use codearts::error::{ErrorBody, KnownError, SNIPPET_MAX_CHARS, is_gateway_code, parse};

/// CodeArts Build's catalogue, as its spec declares it (`x-codearts-error-codes`).
const CATALOGUE: &[KnownError] = codearts::build::operations::ERROR_CODES;

fn lookup(code: &str) -> Option<&'static KnownError> {
    codearts::build::operations::SERVICE.error_code(code)
}

const JSON: Option<&str> = Some("application/json;charset=UTF-8");

fn found(code: &str, message: &str) -> ErrorBody {
    ErrorBody { code: Some(code.into()), message: Some(message.into()), ..ErrorBody::default() }
}

fn unrecognised(snippet: Option<&str>) -> ErrorBody {
    ErrorBody { raw_snippet: snippet.map(Into::into), ..ErrorBody::default() }
}

// --- recognised shapes -------------------------------------------------------------------------

#[test]
fn codearts_shape_from_the_reference() {
    // Section 7.2's example, verbatim.
    let body = b"{\n  \"error_msg\": \"Internal service exception\",\n  \"error_code\": \"CB.00060101\"\n}";
    assert_eq!(parse(JSON, body), found("CB.00060101", "Internal service exception"));
}

#[test]
fn camel_case_shape() {
    let body = br#"{"errorCode":"DEV.00000001","errorMsg":"Bad request","extra":[1,2]}"#;
    assert_eq!(parse(JSON, body), found("DEV.00000001", "Bad request"));
}

#[test]
fn code_message_shape() {
    let body = br#"{"code":"CC.00000001","message":"Task not found"}"#;
    assert_eq!(parse(JSON, body), found("CC.00000001", "Task not found"));
}

#[test]
fn nested_code_message_shape() {
    let body = br#"{"error":{"code":"401","message":"The request you have made requires authentication.","title":"Unauthorized"}}"#;
    assert_eq!(parse(JSON, body), found("401", "The request you have made requires authentication."));
}

#[test]
fn nested_error_code_error_msg_shape() {
    let body = br#"{"error":{"error_code":"CB.00060200","error_msg":"Invalid parameter."}}"#;
    assert_eq!(parse(JSON, body), found("CB.00060200", "Invalid parameter."));
}

#[test]
fn top_level_fields_win_over_nested_ones() {
    let body = br#"{"error_code":"CB.00060201","error":{"error_code":"X","error_msg":"nested message"}}"#;
    assert_eq!(parse(JSON, body), found("CB.00060201", "nested message"));
}

#[test]
fn api_gateway_error_with_request_id() {
    let body = br#"{"error_msg":"Incorrect IAM authentication information: decrypt token fail","error_code":"APIGW.0301","request_id":"5b2d1ef1d8a54b3e8f6e7c9a0b1c2d3e"}"#;
    let parsed = parse(JSON, body);
    assert_eq!(parsed.code.as_deref(), Some("APIGW.0301"));
    assert_eq!(parsed.message.as_deref(), Some("Incorrect IAM authentication information: decrypt token fail"));
    assert_eq!(parsed.request_id.as_deref(), Some("5b2d1ef1d8a54b3e8f6e7c9a0b1c2d3e"));
    assert_eq!(parsed.raw_snippet, None);
    assert!(is_gateway_code(parsed.code.as_deref().unwrap()));
    assert!(lookup("APIGW.0301").is_none());
}

#[test]
fn numeric_codes_become_text() {
    assert_eq!(parse(JSON, br#"{"code":401,"message":"Unauthorized"}"#), found("401", "Unauthorized"));
    assert_eq!(parse(JSON, br#"{"error":{"code":403,"message":"Forbidden"}}"#), found("403", "Forbidden"));
    assert_eq!(parse(JSON, br#"{"error_code":123,"error_msg":"m"}"#), found("123", "m"));
}

#[test]
fn code_alone_or_message_alone_is_enough() {
    let code_only = parse(JSON, br#"{"error_code":"CB.00060214"}"#);
    assert_eq!(code_only, ErrorBody { code: Some("CB.00060214".into()), ..ErrorBody::default() });
    let message_only = parse(JSON, br#"{"message":"Service unavailable"}"#);
    assert_eq!(message_only, ErrorBody { message: Some("Service unavailable".into()), ..ErrorBody::default() });
}

#[test]
fn json_is_sniffed_whatever_the_content_type_says() {
    let body = b"\xEF\xBB\xBF \r\n {\"error_code\":\"CB.00060100\",\"error_msg\":\"Network busy. Try again later.\"}\n";
    let expected = found("CB.00060100", "Network busy. Try again later.");
    for content_type in [None, JSON, Some("text/plain"), Some("text/html"), Some("")] {
        assert_eq!(parse(content_type, body), expected, "{content_type:?}");
    }
}

// --- wrong-typed fields ------------------------------------------------------------------------

#[test]
fn wrong_typed_fields_are_ignored() {
    // An array or object where a string is expected counts as absent ...
    let body = br#"{"error_code":["CB.00060101"],"error_msg":{"text":"no"}}"#;
    assert_eq!(parse(JSON, body), unrecognised(Some(r#"{"error_code":["CB.00060101"],"error_msg":{"text":"no"}}"#)));
    // ... as do booleans, null and blank strings, and the next key is tried.
    let body = br#"{"error_code":true,"errorCode":null,"code":"  ","message":"fallback","error_msg":false}"#;
    assert_eq!(parse(JSON, body), ErrorBody { message: Some("fallback".into()), ..ErrorBody::default() });
    let body = br#"{"error_code":[1],"code":"C.1","error_msg":"m"}"#;
    assert_eq!(parse(JSON, body), found("C.1", "m"));
}

#[test]
fn error_that_is_not_an_object_is_another_shape() {
    let body = br#"{"error":"invalid_token"}"#;
    assert_eq!(parse(JSON, body), unrecognised(Some(r#"{"error":"invalid_token"}"#)));
    let body = br#"{"error":["CB.00060101"]}"#;
    assert_eq!(parse(JSON, body).code, None);
}

// --- anything else: a snippet ------------------------------------------------------------------

#[test]
fn nginx_502_page() {
    let page = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let parsed = parse(Some("text/html"), page);
    assert_eq!(
        parsed,
        unrecognised(Some(
            "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> \
             <hr><center>nginx</center> </body> </html>"
        ))
    );
}

#[test]
fn plain_text() {
    assert_eq!(parse(Some("text/plain"), b"  upstream\tconnect error\n"), unrecognised(Some("upstream connect error")));
}

#[test]
fn empty_and_blank_bodies() {
    assert_eq!(parse(None, b""), ErrorBody::default());
    assert_eq!(parse(JSON, b""), ErrorBody::default());
    assert_eq!(parse(JSON, b" \n\t\r "), ErrorBody::default());
    assert_eq!(parse(None, b"\0\x1b\x7f \xC2\xA0"), ErrorBody::default(), "nothing printable");
}

#[test]
fn truncated_and_invalid_json() {
    let body = br#"{"error_code":"CB.00060101","error_msg":"Internal ser"#;
    assert_eq!(parse(JSON, body), unrecognised(Some(r#"{"error_code":"CB.00060101","error_msg":"Internal ser"#)));
    assert_eq!(parse(JSON, b"{"), unrecognised(Some("{")));
    assert_eq!(parse(JSON, b"{'code': 1}"), unrecognised(Some("{'code': 1}")));
    // Trailing garbage after a complete object is not JSON either.
    assert_eq!(parse(JSON, br#"{"code":"A","message":"m"} trailing"#).code, None);
}

#[test]
fn json_of_another_shape() {
    for body in [
        &br#"[{"error_code":"CB.00060101"}]"#[..],
        b"\"CB.00060101\"",
        b"401",
        b"null",
        b"{}",
        br#"{"data":{"code":"x"}}"#,
    ] {
        let parsed = parse(JSON, body);
        assert_eq!((parsed.code, parsed.message), (None, None), "{}", String::from_utf8_lossy(body));
        assert_eq!(parsed.raw_snippet.as_deref(), Some(std::str::from_utf8(body).unwrap()));
    }
}

#[test]
fn invalid_utf8_is_replaced() {
    let parsed = parse(Some("text/plain"), b"bad \xff\xfe bytes");
    assert_eq!(parsed.raw_snippet.as_deref(), Some("bad \u{FFFD}\u{FFFD} bytes"));
}

#[test]
fn large_bodies_give_a_bounded_snippet() {
    let mut html = String::from("<html>\n<body>\n");
    while html.len() < 1 << 20 {
        html.push_str("<p>   Service   Unavailable   é</p>\n");
    }
    let parsed = parse(Some("text/html"), html.as_bytes());
    let snippet = parsed.raw_snippet.expect("a snippet");
    assert!(snippet.chars().count() <= SNIPPET_MAX_CHARS);
    assert!(snippet.chars().count() >= SNIPPET_MAX_CHARS - 1);
    assert!(snippet.starts_with("<html> <body> <p> Service Unavailable é</p> <p>"), "{snippet}");
    assert!(!snippet.contains("  ") && !snippet.ends_with(' '));

    // Without any whitespace the snippet is exactly the first SNIPPET_MAX_CHARS characters.
    let wide = "字".repeat(10_000);
    let snippet = parse(None, wide.as_bytes()).raw_snippet.unwrap();
    assert_eq!(snippet, "字".repeat(SNIPPET_MAX_CHARS));

    // A large recognised body still parses, and carries no snippet.
    let padding = "x".repeat(1 << 20);
    let body = format!(r#"{{"error_code":"CB.00060200","error_msg":"Invalid parameter.","detail":"{padding}"}}"#);
    assert_eq!(parse(JSON, body.as_bytes()), found("CB.00060200", "Invalid parameter."));
}

#[test]
fn deeply_nested_json_does_not_overflow() {
    let body = format!("{{\"error\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let parsed = parse(JSON, body.as_bytes());
    assert_eq!(parsed.code, None);
    assert_eq!(parsed.raw_snippet.map(|s| s.chars().count()), Some(SNIPPET_MAX_CHARS));
}

/// xorshift64*: deterministic, dependency-free pseudo-random bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn arbitrary_bytes_never_panic_and_respect_the_invariants() {
    // Fragments that steer the generator towards almost-valid error bodies, not just noise.
    const FRAGMENTS: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"",
        b"\"error_code\":",
        b"\"error_msg\":",
        b"\"errorCode\":",
        b"\"code\":",
        b"\"message\":",
        b"\"error\":{",
        b"\"request_id\":",
        b"\"CB.00060101\"",
        b"401",
        b"-1e999",
        b"null",
        b"true",
        b"\\u00",
        b"\\ud800",
        b" \r\n\t",
        b"\xEF\xBB\xBF",
        b"\xff",
        b"\xe5\xad",
        b"<html>",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..5_000 {
        let mut body = Vec::new();
        for _ in 0..rng.below(64) {
            if rng.below(2) == 0 {
                body.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            } else {
                body.push(rng.next() as u8);
            }
        }
        if round % 10 == 0 {
            body.extend(std::iter::repeat_n(b'a', rng.below(1_000)));
        }
        let content_type = [None, JSON, Some("text/html")][round % 3];
        let parsed = parse(content_type, &body);

        let recognised = parsed.code.is_some() || parsed.message.is_some();
        let blank = String::from_utf8_lossy(&body).chars().all(|c| c.is_whitespace() || c.is_control());
        assert_eq!(recognised || blank, parsed.raw_snippet.is_none(), "{body:?}");
        assert!(!(recognised && blank), "{body:?}");
        if let Some(snippet) = &parsed.raw_snippet {
            assert!(!snippet.is_empty() && snippet.chars().count() <= SNIPPET_MAX_CHARS, "{body:?}");
            assert_eq!(snippet.trim(), snippet, "{body:?}");
            assert!(!snippet.contains("  "), "{body:?}");
        }
        for text in [&parsed.code, &parsed.message, &parsed.request_id].into_iter().flatten() {
            assert!(!text.trim().is_empty(), "{body:?}");
        }
    }
}

// --- the catalogues ----------------------------------------------------------------------------

#[test]
fn each_service_has_its_own_catalogue() {
    // Check's codes are not Build's: a Build code looked up in Check's catalogue is unknown.
    assert!(codearts::check::operations::SERVICE.error_code("CB.00060100").is_none());
    for known in codearts::check::operations::ERROR_CODES {
        assert!(lookup(known.code).is_none(), "{} is Check's", known.code);
    }
}

#[test]
fn catalogue_lists_the_documented_codes() {
    let codes: Vec<&str> = CATALOGUE.iter().map(|k| k.code).collect();
    assert_eq!(
        codes,
        [
            "CB.00060100",
            "CB.00060101",
            "CB.00060200",
            "CB.00060201",
            "CB.00060202",
            "CB.00060203",
            "CB.00060211",
            "CB.00060212",
            "CB.00060213",
            "CB.00060214",
        ]
    );
}

#[test]
fn catalogue_codes_are_unique() {
    let mut seen = HashSet::new();
    for known in CATALOGUE {
        assert!(seen.insert(known.code.to_ascii_uppercase()), "duplicate code {}", known.code);
    }
}

#[test]
fn catalogue_entries_are_complete() {
    for known in CATALOGUE {
        assert!(known.code.starts_with("CB.") && known.code.len() == "CB.00060100".len(), "{}", known.code);
        assert!(matches!(known.status, 400 | 404 | 500), "{}: {}", known.code, known.status);
        assert!(!known.message.is_empty() && !known.remedy.is_empty(), "{}", known.code);
        assert!(!is_gateway_code(known.code));
    }
}

#[test]
fn lookup_finds_documented_codes() {
    let internal = lookup("CB.00060101").expect("documented");
    assert_eq!((internal.status, internal.message, internal.retryable), (500, "Internal error.", false));
    let not_found = lookup("CB.00060214").expect("documented");
    assert_eq!((not_found.status, not_found.message), (404, "URL not found."));
    assert_eq!(lookup("CB.00060203").map(|k| k.status), Some(400));
    // Tolerant of case and surrounding whitespace, but not of anything else.
    assert_eq!(lookup(" cb.00060101\n"), Some(internal));
    for unknown in ["", "CB.0006010", "CB.000601011", "CB.00060204", "APIGW.0301", "401", "CB.00060101x"] {
        assert_eq!(lookup(unknown), None, "{unknown:?}");
    }
}

#[test]
fn retryable_exactly_for_network_busy_and_too_many_requests() {
    let retryable: Vec<&str> = CATALOGUE.iter().filter(|k| k.retryable).map(|k| k.code).collect();
    assert_eq!(retryable, ["CB.00060100", "CB.00060211"]);
    assert_eq!(lookup("CB.00060100").unwrap().message, "Network busy. Try again later.");
    assert!(lookup("CB.00060211").unwrap().message.starts_with("Too many requests"));
    // Same status as CB.00060101, which is not retryable: the flag is not derived from the status.
    assert_eq!(lookup("CB.00060211").unwrap().status, lookup("CB.00060101").unwrap().status);
}

#[test]
fn gateway_codes() {
    for code in ["APIGW.0301", "APIGW.0101", "apigw.0308", " APIGW.1002 "] {
        assert!(is_gateway_code(code), "{code:?}");
    }
    for code in ["", "APIGW", "APIGW.", "APIGW0301", "XAPIGW.0301", "CB.00060101", "é", "APIGé.0301"] {
        assert!(!is_gateway_code(code), "{code:?}");
    }
}

#[test]
fn parsed_codes_feed_the_catalogue() {
    let body = parse(JSON, br#"{"error_code":"CB.00060211","error_msg":"Too many requests. Try again later."}"#);
    let known = body.code.as_deref().and_then(lookup).expect("documented");
    assert!(known.retryable);
}

//! Response helpers for Shiprocket's several error shapes, and lenient input decoding.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A JSON response with a status.
pub fn json(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A JSON 200 from a serializable value.
pub fn ok<T: serde::Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut resp = bytes.into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Err(_) => message(500, "Server Error"),
    }
}

/// `{"message": "...", "status_code": N}`.
pub fn message(status: u16, msg: &str) -> Response {
    json(status, &json!({ "message": msg, "status_code": status }))
}

/// The Laravel validation bag: `{"message", "errors": {field: [..]}, "status_code": 422}`.
pub fn bag(msg: &str, errors: &[(String, String)]) -> Response {
    let mut map = Map::new();
    for (field, text) in errors {
        let entry = map
            .entry(field.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(text.clone()));
        }
    }
    json(
        422,
        &json!({ "message": msg, "errors": map, "status_code": 422 }),
    )
}

/// "The billing city field is required." for `billing_city`.
pub fn required(field: &str) -> (String, String) {
    (
        field.to_owned(),
        format!("The {} field is required.", field.replace('_', " ")),
    )
}

/// The PHP error leaked when a documented array is not an array.
pub fn foreach_500() -> Response {
    message(500, "Invalid argument supplied for foreach()")
}

/// The generic routing 404.
pub fn not_found() -> Response {
    message(404, "404 Not Found")
}

/// An nginx HTML error page (502/503/504), as Shiprocket's edge sends.
pub fn nginx(status: u16) -> Response {
    let text = match status {
        502 => "502 Bad Gateway",
        503 => "503 Service Temporarily Unavailable",
        504 => "504 Gateway Time-out",
        _ => "500 Internal Server Error",
    };
    let body = format!(
        "<html>\r\n<head><title>{text}</title></head>\r\n<body>\r\n<center><h1>{text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// An empty body with a status (e.g. 204, or 202 `text/html` like `orders/address/update`).
pub fn empty(status: u16, html: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    let mut resp = status.into_response();
    if html {
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=UTF-8"),
        );
    }
    resp
}

/// Parses a JSON body; anything undecodable counts as an empty input (as Laravel does).
pub fn body(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// A field that is present and not null / "".
pub fn present<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(x) => Some(x),
    }
}

/// String-or-number as i64.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// String-or-number as f64.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// String-or-number as a string.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Bool-or-0/1-or-"true".
pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A documented array field.
#[derive(Debug)]
pub enum List<'a> {
    /// Absent, null or "".
    Missing,
    /// Present but not an array.
    NotArray,
    /// The elements.
    Items(&'a [Value]),
}

/// Reads a documented array field.
pub fn list<'a>(v: &'a Value, name: &str) -> List<'a> {
    match v.get(name) {
        None | Some(Value::Null) => List::Missing,
        Some(Value::Array(a)) => List::Items(a),
        Some(Value::String(s)) if s.is_empty() => List::Missing,
        Some(_) => List::NotArray,
    }
}

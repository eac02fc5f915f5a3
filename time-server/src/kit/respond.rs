//! Building responses: the kit's error answers (small JSON bodies, as an
//! API client expects) and the helpers endpoints use, so every response has
//! the same shape of headers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use serde::Serialize;

/// The body type of every response the kit sends: all of it in memory.
pub type Body = Full<Bytes>;

/// `Content-Type` of JSON answers. A `HeaderValue` constant, not a `&str`
/// turned into one per response: `from_static` validates every byte when it
/// runs, and here it runs once, at compile time.
pub const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// `Content-Type` of the plain-text probe answers.
pub const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
/// What the kit's routes allow: every route is a read-only GET (HEAD is
/// derived from it).
const ALLOWED: &str = "GET, HEAD";

/// A response with `status`, `content_type` and `body`.
pub fn response(
    status: StatusCode,
    content_type: HeaderValue,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// A JSON body encoded from `value`, newline-terminated so that a
/// terminal shows it whole.
fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let mut body = serde_json::to_vec(value).expect("a struct of strings always serializes");
    body.push(b'\n');
    response(status, JSON, body)
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
}

/// 404 for a path the route table does not know.
pub(crate) fn not_found(path: &str) -> Response<Body> {
    json(
        StatusCode::NOT_FOUND,
        &ErrorBody {
            error: "not found",
            path: Some(path),
            method: None,
        },
    )
}

/// 405 for a known path asked with a method it does not answer.
pub(crate) fn method_not_allowed(method: &Method, path: &str) -> Response<Body> {
    let mut response = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &ErrorBody {
            error: "method not allowed",
            path: Some(path),
            method: Some(method.as_str()),
        },
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(ALLOWED));
    response
}

/// An error answer that is about the request as a whole (413, 408, 400)
/// or the server (500): `{"error":"<error>"}`.
pub fn error_response(status: StatusCode, error: &str) -> Response<Body> {
    json(
        status,
        &ErrorBody {
            error,
            path: None,
            method: None,
        },
    )
}

/// The HEAD answer for a GET response: same status and headers, including
/// the `Content-Length` the GET body would have, and no body.
pub(crate) fn head_of(get: Response<Body>) -> Response<Body> {
    use hyper::body::Body as _;
    let (mut parts, body) = get.into_parts();
    let len = body.size_hint().exact().unwrap_or(0);
    parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    Response::from_parts(parts, Full::new(Bytes::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(r: Response<Body>) -> String {
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn error_bodies_are_small_json() {
        let r = not_found("/nope\"<x>");
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()[CONTENT_TYPE], JSON);
        assert_eq!(
            body_of(r).await,
            "{\"error\":\"not found\",\"path\":\"/nope\\\"<x>\"}\n"
        );
        let r = method_not_allowed(&Method::POST, "/time");
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[ALLOW], "GET, HEAD");
        assert_eq!(
            body_of(r).await,
            "{\"error\":\"method not allowed\",\"path\":\"/time\",\"method\":\"POST\"}\n"
        );
    }

    #[tokio::test]
    async fn head_keeps_headers_and_length_but_no_body() {
        let r = head_of(response(StatusCode::OK, JSON, "{\"a\":1}\n"));
        assert_eq!(r.headers()[CONTENT_LENGTH], "8");
        assert_eq!(r.headers()[CONTENT_TYPE], JSON);
        assert_eq!(body_of(r).await, "");
    }
}

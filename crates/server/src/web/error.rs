//! The dashboard's error type: a missing session redirects to the login page, a refused action
//! shows a page with a sentence for people, and internal failures are logged once and shown as a
//! plain apology (their text never reaches the browser).

use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

/// What can go wrong while serving a page.
#[derive(Debug)]
pub enum WebError {
    /// No valid session: go to the login page, then come back to `next`.
    Login {
        /// Where to return after signing in (a local path).
        next: String,
    },
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The user's role does not allow this.
    Forbidden,
    /// No such page or order.
    NotFound,
    /// A refusal a person can act on, shown on an error page with this status.
    Message(StatusCode, String),
    /// Something broke; logged, never shown.
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl WebError {
    /// Wraps an internal failure (its text goes to the log only).
    pub fn internal(e: impl std::fmt::Display) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl From<orderly_store::StoreError> for WebError {
    fn from(e: orderly_store::StoreError) -> Self {
        WebError::internal(e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            WebError::Login { next } => {
                let to = format!("/login?next={}", super::urlencode(&next));
                return Redirect::to(&to).into_response();
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form has expired or did not come from Orderly. Go back, reload the page and try again.".to_string(),
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role does not allow this action. Ask an admin if you need it.".to_string(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page or order.".to_string(),
            ),
            WebError::Message(status, m) => (status, "Could not do that", m),
            WebError::Internal(e) => {
                tracing::error!(error = %e, "dashboard request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. Please try again.".to_string(),
                )
            }
        };
        let page = ErrorPage {
            title,
            message: &message,
        };
        match page.render() {
            Ok(html) => (status, super::html_headers(), html).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}

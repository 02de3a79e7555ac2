//! `auth/login` (HS256 JWT, 10 days) and `auth/logout` (revokes the token).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rand::RngExt;
use serde_json::{Value, json};

use crate::respond::{self, present};
use crate::state::{COMPANY_ID, USER_ID};
use crate::{App, gate, jwt};

/// POST auth/login.
pub async fn login(State(app): State<App>, body: Bytes) -> Response {
    let v = respond::body(&body);
    let mut missing = Vec::new();
    for f in ["email", "password"] {
        if present(&v, f).is_none() {
            missing.push(respond::required(f));
        }
    }
    if !missing.is_empty() {
        return respond::bag("Oops! Invalid Data.", &missing);
    }
    let email = v.get("email").and_then(Value::as_str).unwrap_or_default();
    let password = v
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut st = app.lock();
    if email != st.cfg.email || password != st.cfg.password {
        // Reported as a bare string body; the status is not confirmed (400 chosen).
        return respond::json(400, &json!("Invalid email and password combination"));
    }
    let iat = st.now().unix_timestamp();
    let jti = format!("{:032x}", st.rng.random::<u128>());
    let token = jwt::issue(&st.jwt_secret, USER_ID, COMPANY_ID, iat, &jti);
    st.tokens.insert(token.clone(), iat + jwt::LIFETIME_SECS);
    let body = json!({
        "id": USER_ID, "first_name": "API", "last_name": "User", "email": st.cfg.email,
        "company_id": COMPANY_ID, "created_at": "2024-01-15 10:20:30", "token": token,
    });
    respond::json(200, &body)
}

/// POST auth/logout.
pub async fn logout(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(t) = gate::bearer(&headers) {
        app.lock().tokens.remove(t);
    }
    respond::json(200, &json!({ "message": "Successfully logged out" }))
}

//! Helpers for dashboard tests: users, signing in over plain HTTP (cookies by hand), forms, orders
//! placed through the signed intake.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use orderly_store::accounts::{self, Role};

use crate::common::{TestApp, envelope};

pub const PASSWORD: &str = "correct-horse-battery";

/// A signed-in HTTP client that does not follow redirects.
pub struct Signed {
    pub client: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn add_user(app: &TestApp, email: &str, role: Role) {
    let hash = orderly::web::session::hash_password(PASSWORD).unwrap();
    accounts::upsert_user(
        &app.store,
        email,
        role,
        &hash,
        time::OffsetDateTime::now_utc(),
        "test",
    )
    .await
    .unwrap();
}

/// The value of the first `name="csrf"` field in `html`.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The `name=value` of cookie `name` in the response's Set-Cookie headers.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                orderly::web::urlencode(k),
                orderly::web::urlencode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts the login form; returns the raw response.
pub async fn try_sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let client = no_redirects();
    let page = client.get(app.url("/login")).send().await.unwrap();
    let login_cookie = set_cookie(&page, "orderly_login").expect("login cookie");
    let html = page.text().await.unwrap();
    let csrf = csrf_in(&html);
    client
        .post(app.url("/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/orders"),
        ]))
        .send()
        .await
        .unwrap()
}

pub async fn sign_in(app: &TestApp, email: &str, role: Role) -> Signed {
    add_user(app, email, role).await;
    let r = try_sign_in(app, email, PASSWORD).await;
    assert_eq!(r.status(), 303, "sign-in redirects");
    let cookie = set_cookie(&r, "orderly_session").expect("session cookie");
    let client = no_redirects();
    let html = client
        .get(app.url("/orders"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Signed {
        client,
        base: app.base.clone(),
        csrf: csrf_in(&html),
        cookie,
    }
}

impl Signed {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    pub async fn html(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap()
    }
}

/// Places order `seq` through the signed intake, optionally with another customer name; returns
/// its order number and the envelope.
pub async fn place(app: &TestApp, seq: u64, name: Option<&str>) -> (String, serde_json::Value) {
    let mut env = envelope(seq);
    if let Some(n) = name {
        env["data"]["customer"]["name"] = serde_json::Value::String(n.to_string());
    }
    let r = app.post_event(&env.to_string()).await;
    assert!(r.status().is_success(), "intake answered {}", r.status());
    (
        env["data"]["order_number"].as_str().unwrap().to_string(),
        env,
    )
}

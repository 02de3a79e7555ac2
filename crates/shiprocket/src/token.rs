//! The token side of the client: lazy single-flight login, cache, refresh before `exp`, invalidation on 401.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::Instant;

use crate::auth::{CachedToken, LoginRequest, token_from_login};
use crate::client::{Client, Req};
use crate::error::Error;

impl Client {
    /// Forgets the cached token so the next call logs in again.
    pub fn clear_token(&self) {
        if let Ok(mut g) = self.inner.token.write() {
            *g = None;
        }
    }

    /// Logs in now (normally done lazily) and caches the token.
    pub async fn login(&self) -> Result<(), Error> {
        let deadline = Instant::now() + self.budget();
        self.clear_token();
        self.ensure_token(deadline, 1).await.map(|_| ())
    }

    pub(crate) fn invalidate(&self, used: Option<&Arc<CachedToken>>) {
        if let Ok(mut g) = self.inner.token.write() {
            let same = match (g.as_ref(), used) {
                (Some(cur), Some(u)) => Arc::ptr_eq(cur, u),
                _ => true,
            };
            if same {
                *g = None;
            }
        }
    }

    fn cached_token(&self) -> Option<Arc<CachedToken>> {
        let g = self.inner.token.read().ok()?;
        g.as_ref()
            .filter(|t| t.is_fresh(SystemTime::now()))
            .cloned()
    }

    /// Returns a fresh token, logging in (once, for all concurrent callers) when needed.
    pub(crate) async fn ensure_token(
        &self,
        deadline: Instant,
        attempt: u32,
    ) -> Result<Arc<CachedToken>, Error> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let _guard = self.inner.login_lock.lock().await;
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let cfg = &self.inner.cfg;
        let login = Req::post_json(
            "auth/login",
            &LoginRequest {
                email: &cfg.email,
                password: cfg.password.expose(),
            },
        )?;
        let login = Req {
            auth: false,
            ..login
        };
        let body = self
            .send(&login, attempt, deadline, None)
            .await
            .map_err(|e| match e {
                Error::Rejected { message, .. }
                | Error::Validation { message, .. }
                | Error::NotFound { message } => Error::Unauthorized { message },
                other => other,
            })?;
        let value = token_from_login(&body).ok_or_else(|| Error::Undecodable {
            status: 200,
            excerpt: String::new(),
            detail: "login response has no token".to_owned(),
        })?;
        let token = Arc::new(CachedToken::new(
            value,
            SystemTime::now(),
            cfg.token_refresh_margin,
        ));
        if let Ok(mut g) = self.inner.token.write() {
            *g = Some(Arc::clone(&token));
        }
        tracing::info!(endpoint = "auth/login", "shiprocket login succeeded");
        Ok(token)
    }
}

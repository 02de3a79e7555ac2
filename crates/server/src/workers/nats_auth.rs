//! Who may talk to Orderly over NATS. Orderly authenticates itself to the server (user and
//! password, token, or a TLS client certificate; `tls://` URLs require TLS) and refuses to connect
//! anonymously unless `ORDERLY_NATS_ALLOW_ANONYMOUS=1`. Whatever the server allows, every
//! `OrderPlaced` taken from `<prefix>.placed` must carry the same `Orderly-Signature` as HTTP
//! intake (a NATS header), made with an intake secret: anyone who can publish on a shared NATS
//! could otherwise inject orders.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use time::OffsetDateTime;

use crate::config::{Secret, Settings};
use crate::signature::{self, SignatureError};

/// The NATS header that carries the signature of an `OrderPlaced` message (same format as HTTP).
pub const SIGNATURE_HEADER: &str = "Orderly-Signature";
/// How long connecting to NATS may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How Orderly authenticates to NATS (`ORDERLY_NATS_*`).
#[derive(Debug, Clone, Default)]
pub struct NatsAuth {
    /// `ORDERLY_NATS_USER` (with `ORDERLY_NATS_PASSWORD`).
    pub user: Option<String>,
    /// `ORDERLY_NATS_PASSWORD`.
    pub password: Option<Secret>,
    /// `ORDERLY_NATS_TOKEN`.
    pub token: Option<Secret>,
    /// A TLS client certificate and its key (`ORDERLY_NATS_TLS_CERT`, `ORDERLY_NATS_TLS_KEY`, PEM).
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Extra root certificates for the server's (`ORDERLY_NATS_TLS_CA`, PEM).
    pub ca_file: Option<PathBuf>,
    /// Connect without any credential (`ORDERLY_NATS_ALLOW_ANONYMOUS=1`): development and tests.
    pub allow_anonymous: bool,
}

impl NatsAuth {
    /// Reads the `ORDERLY_NATS_*` credentials; a half-given credential is an error.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<NatsAuth> {
        let some = |k: &str| get(k).filter(|v| !v.is_empty());
        let auth = NatsAuth {
            user: some("ORDERLY_NATS_USER"),
            password: some("ORDERLY_NATS_PASSWORD").map(Secret::new),
            token: some("ORDERLY_NATS_TOKEN").map(Secret::new),
            client_cert: match (some("ORDERLY_NATS_TLS_CERT"), some("ORDERLY_NATS_TLS_KEY")) {
                (Some(c), Some(k)) => Some((c.into(), k.into())),
                (None, None) => None,
                _ => bail!("ORDERLY_NATS_TLS_CERT and ORDERLY_NATS_TLS_KEY go together"),
            },
            ca_file: some("ORDERLY_NATS_TLS_CA").map(PathBuf::from),
            allow_anonymous: match some("ORDERLY_NATS_ALLOW_ANONYMOUS").as_deref() {
                None | Some("0" | "false") => false,
                Some("1" | "true") => true,
                Some(v) => bail!("ORDERLY_NATS_ALLOW_ANONYMOUS={v:?} must be 1 or 0"),
            },
        };
        if auth.user.is_some() != auth.password.is_some() {
            bail!("ORDERLY_NATS_USER and ORDERLY_NATS_PASSWORD go together");
        }
        if auth.user.is_some() && auth.token.is_some() {
            bail!("set ORDERLY_NATS_USER/ORDERLY_NATS_PASSWORD or ORDERLY_NATS_TOKEN, not both");
        }
        Ok(auth)
    }

    /// True when some credential is configured.
    pub fn has_credentials(&self) -> bool {
        self.password.is_some() || self.token.is_some() || self.client_cert.is_some()
    }

    /// Refuses an anonymous connection unless it was explicitly allowed.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.has_credentials() && !self.allow_anonymous {
            bail!(
                "ORDERLY_NATS_URL is set but no NATS credential is: set ORDERLY_NATS_USER and \
                 ORDERLY_NATS_PASSWORD, ORDERLY_NATS_TOKEN, or ORDERLY_NATS_TLS_CERT and \
                 ORDERLY_NATS_TLS_KEY (or ORDERLY_NATS_ALLOW_ANONYMOUS=1 on a private NATS)"
            );
        }
        Ok(())
    }

    /// Connection options for `url` (`tls://` requires TLS), after [`NatsAuth::check`].
    pub fn options(&self, url: &str) -> anyhow::Result<async_nats::ConnectOptions> {
        self.check()?;
        let mut o = async_nats::ConnectOptions::new()
            .name("orderly")
            .connection_timeout(CONNECT_TIMEOUT);
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            o = o.user_and_password(user.clone(), password.expose().to_string());
        }
        if let Some(token) = &self.token {
            o = o.token(token.expose().to_string());
        }
        if let Some((cert, key)) = &self.client_cert {
            o = o.add_client_certificate(cert.clone(), key.clone());
        }
        if let Some(ca) = &self.ca_file {
            o = o.add_root_certificates(ca.clone());
        }
        if url.starts_with("tls://") {
            o = o.require_tls(true);
        }
        Ok(o)
    }
}

/// Connects to the NATS server of `settings` with its credentials.
pub async fn connect(settings: &Settings) -> anyhow::Result<async_nats::Client> {
    let url = settings
        .nats_url
        .as_deref()
        .context("ORDERLY_NATS_URL is not set")?;
    settings
        .nats_auth
        .options(url)?
        .connect(url)
        .await
        .context("Failed to connect to NATS")
}

/// Checks the signature of an `OrderPlaced` message against the intake secrets. The window is
/// measured from the moment JetStream stored the message (`published`, set by the server), so a
/// redelivery hours later still passes while a captured message published again does not.
pub fn verify(
    settings: &Settings,
    header: Option<&str>,
    payload: &[u8],
    published: OffsetDateTime,
) -> Result<(), SignatureError> {
    signature::verify(
        header,
        payload,
        &settings.intake_secrets,
        published,
        settings.signature_tolerance,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn an_anonymous_connection_is_refused_unless_allowed() {
        let none = NatsAuth::from_lookup(&lookup(&[])).unwrap();
        let err = none.check().unwrap_err().to_string();
        assert!(err.contains("ORDERLY_NATS_ALLOW_ANONYMOUS"), "{err}");
        let allowed =
            NatsAuth::from_lookup(&lookup(&[("ORDERLY_NATS_ALLOW_ANONYMOUS", "1")])).unwrap();
        allowed.check().unwrap();
        let token = NatsAuth::from_lookup(&lookup(&[("ORDERLY_NATS_TOKEN", "t0k")])).unwrap();
        token.check().unwrap();
    }

    #[test]
    fn half_a_credential_is_a_configuration_error() {
        for pairs in [
            &[("ORDERLY_NATS_USER", "orderly")][..],
            &[("ORDERLY_NATS_PASSWORD", "pw")],
            &[("ORDERLY_NATS_TLS_CERT", "c.pem")],
            &[
                ("ORDERLY_NATS_USER", "u"),
                ("ORDERLY_NATS_PASSWORD", "p"),
                ("ORDERLY_NATS_TOKEN", "t"),
            ],
            &[("ORDERLY_NATS_ALLOW_ANONYMOUS", "yes")],
        ] {
            assert!(NatsAuth::from_lookup(&lookup(pairs)).is_err(), "{pairs:?}");
        }
        let auth = NatsAuth::from_lookup(&lookup(&[
            ("ORDERLY_NATS_USER", "orderly"),
            ("ORDERLY_NATS_PASSWORD", "s3cret"),
        ]))
        .unwrap();
        assert!(
            !format!("{auth:?}").contains("s3cret"),
            "the password is redacted"
        );
    }
}

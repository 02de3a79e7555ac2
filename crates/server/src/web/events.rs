//! `GET /events`: the dashboard's Server-Sent Events stream. `change` events name the order and
//! what changed (ids are `<instance>-<seq>`; a reconnect with `Last-Event-ID` or `?since=` replays
//! what was missed), `counts` events carry fresh tab counts, and `resync` asks the page to reload
//! its data when catch-up is impossible. Streams are capped per user, live at most
//! `ORDERLY_STREAM_MAX_LIFETIME_SECS`, re-check the session periodically, and end at once on
//! sign-out, disable and shutdown ([`crate::streams`]).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tokio::sync::{broadcast, watch};

use super::{Session, WebError};
use crate::app::AppState;
use crate::live::{CatchUp, Counts, Live, Stamped};
use crate::streams::{Ended, Guard, guarded};

/// `?since=<event id>` (for clients that cannot set `Last-Event-ID`).
#[derive(Debug, Deserialize)]
pub struct Since {
    /// The id of the last event seen.
    pub since: Option<String>,
}

struct StreamState {
    live: Live,
    queue: VecDeque<Event>,
    rx: broadcast::Receiver<Stamped>,
    counts: watch::Receiver<Option<Arc<Counts>>>,
}

fn change(live: &Live, s: &Stamped) -> Event {
    Event::default()
        .event("change")
        .id(live.event_id(s.seq))
        .data(
            serde_json::json!({ "order_number": s.event.order_number, "kind": s.event.kind })
                .to_string(),
        )
}

fn counts_event(c: &Counts) -> Event {
    Event::default()
        .event("counts")
        .data(serde_json::to_string(c).unwrap_or_else(|_| "{}".into()))
}

/// `GET /events`.
pub async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(p): Query<Since>,
) -> Result<Response, WebError> {
    let limits = state.settings.streams.clone();
    let permit = state
        .streams
        .open(&format!("user:{}", session.who.user.id), &limits)
        .map_err(|_| {
            WebError::Message(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many live views are open for your account. Close some Orderly tabs and reload."
                    .into(),
            )
        })?;
    let live = state.live.clone();
    // Subscribe before reading the ring so nothing falls between catch-up and live.
    let rx = live.subscribe_stamped();
    let mut counts = live.watch_counts();
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(p.since);
    let mut queue = VecDeque::new();
    if let Some(last) = last.filter(|s| !s.is_empty()) {
        match live.catch_up(&last) {
            CatchUp::Events(events) => queue.extend(events.iter().map(|s| change(&live, s))),
            CatchUp::Resync => queue.push_back(Event::default().event("resync").data("{}")),
        }
    }
    if let Some(c) = counts.borrow_and_update().clone() {
        queue.push_back(counts_event(&c));
    }
    let body = events(StreamState {
        live,
        queue,
        rx,
        counts,
    });
    let (user_id, token_hash) = (session.who.user.id, session.token_hash.clone());
    let recheck_state = state.clone();
    let session = Arc::new(session);
    let guard = Guard {
        permit,
        shutdown: state.shutdown.clone(),
        limits,
        recheck: Arc::new(move || {
            let (state, session) = (recheck_state.clone(), session.clone());
            Box::pin(async move { session.still_valid(&state).await })
        }),
        ends_on: Box::new(move |e| match e {
            Ended::Session(h) => *h == token_hash,
            Ended::User(id) => *id == user_id,
            Ended::ApiKey(_) => false,
        }),
    };
    let mut response = Sse::new(guarded(body, guard))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // Tells reverse proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", http::HeaderValue::from_static("no"));
    Ok(response)
}

fn events(state: StreamState) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(e) = st.queue.pop_front() {
                return Some((Ok(e), st));
            }
            tokio::select! {
                got = st.rx.recv() => match got {
                    // A replayed event may also arrive live; the page tolerates duplicates.
                    Ok(s) => st.queue.push_back(change(&st.live, &s)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        st.queue.push_back(Event::default().event("resync").data("{}"));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                changed = st.counts.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    if let Some(c) = st.counts.borrow_and_update().clone() {
                        st.queue.push_back(counts_event(&c));
                    }
                }
            }
        }
    })
}

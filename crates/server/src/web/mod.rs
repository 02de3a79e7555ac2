//! The operations dashboard: server-rendered pages over the same actions as the JSON API.

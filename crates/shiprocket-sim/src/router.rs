//! The route table: the index of every simulated endpoint.

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::handlers::{
    auth, awb, documents, orders, pickup, pickups, serviceability, shipments, track,
};
use crate::{App, control_api, gate, pdf, respond};

/// Builds the whole app: `/v1/external/...` behind the gate, `/sim-files/...`, and `/__sim/...`.
pub fn router(app: App, control_endpoint: bool) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/settings/company/pickup", get(pickups::list))
        .route("/settings/company/addpickup", post(pickups::add))
        .route("/orders/create/adhoc", post(orders::create))
        .route("/orders/address/update", post(orders::update_address))
        .route("/orders/cancel", post(orders::cancel))
        .route("/orders/show/{id}", get(orders::show))
        .route("/orders/print/invoice", post(documents::invoice))
        .route("/orders/cancel/shipment/awbs", post(awb::cancel_awbs))
        .route("/courier/serviceability", get(serviceability::check))
        .route("/courier/serviceability/", get(serviceability::check))
        .route("/courier/assign/awb", post(awb::assign))
        .route("/courier/generate/pickup", post(pickup::generate))
        .route("/courier/generate/label", post(documents::label))
        .route("/courier/track", get(track::by_order))
        .route("/courier/track/awb/{awb}", get(track::by_awb))
        .route("/courier/track/shipment/{id}", get(track::by_shipment))
        .route("/courier/track/awbs", post(track::by_awbs))
        .route("/manifests/generate", post(documents::manifest))
        .route("/manifests/print", post(documents::print_manifest))
        .route("/shipments/{id}", get(shipments::show))
        .fallback(|| async { respond::not_found() })
        .layer(middleware::from_fn_with_state(app.clone(), gate::gate))
        .with_state(app.clone());
    let mut root = Router::new()
        .nest("/v1/external", api)
        .route("/sim-files/{*path}", get(pdf::serve))
        .fallback(|| async { respond::not_found() });
    if control_endpoint {
        root = root.nest("/__sim", control_api::router(app));
    }
    root
}

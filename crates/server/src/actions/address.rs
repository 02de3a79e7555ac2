//! Edit the shipping address: before an AWB exists; pushed to Shiprocket when a Shiprocket order
//! already exists; re-checked against the PIN directory.

use orderly_domain::intake::FieldError;
use orderly_domain::order::Address;
use orderly_domain::shipment::Step;
use orderly_domain::{Pincode, pincodes};
use orderly_store::audit::{self, AuditEntry};
use orderly_store::fulfilment;
use orderly_store::orders::{self, AddressView, OrderSummary};

use super::{ActionError, Actor, announce};
use crate::app::AppState;

/// Validates an address form; every problem is reported at once.
fn validate(a: &AddressView) -> Result<(AddressView, Address), ActionError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, v: &str, max: usize| -> String {
        let t = v.trim();
        if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
            errors.push(FieldError {
                pointer: format!("/{field}"),
                message: format!("{field} must be 1 to {max} characters"),
            });
        }
        t.to_string()
    };
    let name = text("name", &a.name, 200);
    let line1 = text("line1", &a.line1, 200);
    let city = text("city", &a.city, 100);
    let state = text("state", &a.state, 100);
    let line2 = a
        .line2
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|l2| text("line2", l2, 200));
    let pincode = match Pincode::parse(a.pincode.trim()) {
        Ok(p) => Some(p),
        Err(m) => {
            errors.push(FieldError {
                pointer: "/pincode".into(),
                message: m,
            });
            None
        }
    };
    let (Some(pincode), true) = (pincode, errors.is_empty()) else {
        return Err(ActionError::Invalid(errors));
    };
    let view = AddressView {
        name,
        line1,
        line2,
        city,
        state,
        pincode: pincode.as_str().to_string(),
        country: "IN".into(),
    };
    let domain = Address {
        name: view.name.clone(),
        line1: view.line1.clone(),
        line2: view.line2.clone(),
        city: view.city.clone(),
        state: view.state.clone(),
        pincode,
        country: "IN".into(),
    };
    Ok((view, domain))
}

/// Replaces the shipping address of an order that has no AWB yet.
pub async fn edit_shipping_address(
    state: &AppState,
    order_number: &str,
    address: AddressView,
    expected_version: Option<i64>,
    actor: &Actor,
) -> Result<OrderSummary, ActionError> {
    let (view, domain) = validate(&address)?;
    let current = orders::get(&state.store, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let status = current.summary.status;
    if !status.can_still_ship() {
        return Err(ActionError::NotAllowed(format!(
            "the address cannot change once the order is {}",
            status.as_str()
        )));
    }
    let attempts = fulfilment::shipments(&state.store, current.summary.id).await?;
    if attempts
        .iter()
        .any(|s| s.awb.is_some() && s.step != Step::Cancelled)
    {
        return Err(ActionError::NotAllowed(
            "an AWB already exists; the address can no longer change".into(),
        ));
    }
    if let Some(sr_order_id) = attempts.iter().rev().find_map(|s| s.sr_order_id) {
        let sr = state.shiprocket.clone().ok_or(ActionError::NotConfigured)?;
        let req = shiprocket::UpdateAddressRequest {
            order_id: sr_order_id,
            shipping_customer_name: view.name.clone(),
            shipping_phone: current.summary.phone.clone(),
            shipping_address: view.line1.clone(),
            shipping_address_2: view.line2.clone(),
            shipping_city: view.city.clone(),
            shipping_state: view.state.clone(),
            shipping_country: "India".into(),
            shipping_pincode: view.pincode.clone(),
            shipping_email: Some(current.summary.email.clone()),
            billing_alternate_phone: None,
        };
        sr.client
            .update_address(&req)
            .await
            .map_err(|e| ActionError::Shiprocket(e.ops_message()))?;
    }
    let suspect = pincodes::check_address(&domain);
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let order = fulfilment::load_order(&mut tx, order_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    fulfilment::update_shipping_address(
        &mut tx,
        &order,
        expected_version,
        &view,
        suspect.as_deref(),
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &AuditEntry {
            at: now,
            actor: actor.as_str(),
            action: "order.address_changed",
            entity: "order",
            entity_id: order_number,
            detail: serde_json::json!({ "address_suspect": suspect.is_some(), "pushed_to_shiprocket": attempts.iter().any(|s| s.sr_order_id.is_some()) }),
        },
    )
    .await?;
    let summary = orders::get_summary_by_id(&mut tx, order.id).await?;
    tx.commit().await?;
    announce(state, order_number, "address");
    Ok(summary)
}

//! The typed Shiprocket calls. Each one builds a request, sends it through the client's calling
//! discipline, then checks the endpoint's in-body success markers (many failures come as HTTP 200).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::classify::{message_of, refusal};
use crate::client::{Client, Req, path_segment};
use crate::error::{Error, masked_excerpt};
use crate::flex::{value_to_bool, value_to_i64, value_to_string};
use crate::types::account::{PickupLocation, PickupLocationsData, ShipmentDetails};
use crate::types::courier::{
    AssignAwbRequest, AwbAssignment, PickupResponse, Serviceability, ServiceabilityData,
    ServiceabilityQuery,
};
use crate::types::orders::{CreateOrderRequest, CreateOrderResponse, UpdateAddressRequest};
use crate::types::tracking::Tracking;

/// Decodes a classified body into `T`, or `Error::Undecodable` with a masked excerpt.
pub(crate) fn decode<T: DeserializeOwned>(v: Value) -> Result<T, Error> {
    T::deserialize(&v).map_err(|e| Error::Undecodable {
        status: 200,
        excerpt: masked_excerpt(&v.to_string()),
        detail: e.to_string(),
    })
}

fn undecodable(v: &Value, detail: &str) -> Error {
    Error::Undecodable {
        status: 200,
        excerpt: masked_excerpt(&v.to_string()),
        detail: detail.to_owned(),
    }
}

/// A 2xx body that reports failure: the most specific error for its message, else `Rejected`.
fn failure_in_2xx(v: &Value, fallback: &str) -> Error {
    let mut message = message_of(v);
    if message.is_empty() {
        message = fallback.to_owned();
    }
    refusal(200, message, v)
}

/// Shiprocket's per-call limit for multi-AWB tracking.
const MAX_TRACK_AWBS: usize = 50;

/// Shiprocket's per-call limit for AWB cancellation.
const MAX_CANCEL_AWBS: usize = 2000;

fn url_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(value_to_string)
}

impl Client {
    /// `POST orders/create/adhoc`. A repeated channel `order_id` returns the existing order
    /// (check [`CreateOrderResponse::is_cancelled`]). Retried on transient errors: safe because of that dedupe.
    pub async fn create_adhoc_order(
        &self,
        req: &CreateOrderRequest,
    ) -> Result<CreateOrderResponse, Error> {
        let v = self
            .call(&Req::post_json("orders/create/adhoc", req)?)
            .await?;
        let resp: CreateOrderResponse = decode(v.clone())?;
        if resp.order_id <= 0 {
            return Err(undecodable(&v, "create order response has no order_id"));
        }
        Ok(resp)
    }

    /// `POST orders/address/update` (202, empty body on success).
    pub async fn update_address(&self, req: &UpdateAddressRequest) -> Result<(), Error> {
        self.call(&Req::post_json("orders/address/update", req)?)
            .await
            .map(|_| ())
    }

    /// `POST orders/cancel` with Shiprocket order ids (204 on success).
    pub async fn cancel_orders(&self, ids: &[i64]) -> Result<(), Error> {
        self.call(&Req::post_json("orders/cancel", &json!({ "ids": ids }))?)
            .await
            .map(|_| ())
    }

    /// `GET courier/serviceability/`. No courier at all is `Error::NotServiceable`.
    pub async fn serviceability(&self, q: &ServiceabilityQuery) -> Result<Serviceability, Error> {
        let mut req = Req::get(
            "courier/serviceability",
            "courier/serviceability/".to_owned(),
        );
        req.query = q.to_query();
        let mut v = self.call(&req).await?;
        let data = match v.get_mut("data").filter(|d| d.is_object()).map(Value::take) {
            Some(d) => d,
            None if v.get("message").is_some() => {
                return Err(failure_in_2xx(&v, "serviceability failed"));
            }
            None => return Err(undecodable(&v, "serviceability response has no data")),
        };
        let data: ServiceabilityData = decode(data)?;
        if data.available_courier_companies.is_empty() {
            return Err(Error::NotServiceable {
                message: "no courier is available for this route".to_owned(),
            });
        }
        Ok(Serviceability {
            couriers: data.available_courier_companies,
            blocked: data.blocked_courier_companies,
            recommended_courier_company_id: data.recommended_courier_company_id,
            shiprocket_recommended_courier_id: data.shiprocket_recommended_courier_id,
        })
    }

    /// `POST courier/assign/awb`. An HTTP-200 refusal (`awb_assign_status: 0`) becomes
    /// `CourierRefused`, `InsufficientBalance` or `AwbAlreadyAssigned`. Retried on transient errors;
    /// the saga reads the shipment back ([`Client::shipment`]) before assigning again after a crash.
    pub async fn assign_awb(
        &self,
        shipment_id: i64,
        courier_id: Option<i64>,
    ) -> Result<AwbAssignment, Error> {
        let v = self
            .call(&Req::post_json(
                "courier/assign/awb",
                &AssignAwbRequest {
                    shipment_id,
                    courier_id,
                },
            )?)
            .await?;
        let status = v.get("awb_assign_status").and_then(value_to_i64);
        let data = v.pointer("/response/data").cloned().unwrap_or(Value::Null);
        let awb = data.get("awb_code").and_then(value_to_string);
        if status != Some(0) && data.is_object() && awb.is_some() {
            return decode(data);
        }
        let message = data
            .get("awb_assign_error")
            .and_then(value_to_string)
            .or_else(|| value_to_string(&data))
            .or_else(|| Some(message_of(&v)).filter(|m| !m.is_empty()))
            .unwrap_or_else(|| "AWB was not assigned".to_owned());
        let err = refusal(200, message, &v);
        Err(match err {
            Error::Rejected { message, .. } | Error::NotFound { message } => {
                Error::CourierRefused { message }
            }
            other => other,
        })
    }

    /// `POST courier/generate/pickup` for one shipment (Shiprocket accepts one per call).
    pub async fn generate_pickup(&self, shipment_ids: &[i64]) -> Result<PickupResponse, Error> {
        let mut v = self
            .call(&Req::post_json(
                "courier/generate/pickup",
                &json!({ "shipment_id": shipment_ids }),
            )?)
            .await?;
        if v.get("pickup_status").and_then(value_to_i64) == Some(0) {
            return Err(failure_in_2xx(&v, "pickup was not generated"));
        }
        match v
            .get_mut("response")
            .filter(|r| r.is_object())
            .map(Value::take)
        {
            Some(r) => decode(r),
            None if v.get("pickup_scheduled_date").is_some()
                || v.get("pickup_token_number").is_some() =>
            {
                decode(v)
            }
            None => Err(failure_in_2xx(&v, "pickup response has no details")),
        }
    }

    /// `POST courier/generate/label`; returns the label PDF URL.
    pub async fn generate_label(&self, shipment_ids: &[i64]) -> Result<String, Error> {
        let v = self
            .call(&Req::post_json(
                "courier/generate/label",
                &json!({ "shipment_id": shipment_ids }),
            )?)
            .await?;
        let created = v
            .get("label_created")
            .and_then(value_to_bool)
            .unwrap_or(true);
        match url_field(&v, "label_url") {
            Some(url) if created => Ok(url),
            _ => Err(failure_in_2xx(&v, "label was not created")),
        }
    }

    /// `POST manifests/generate`; returns the manifest PDF URL (an empty URL is a failure).
    pub async fn generate_manifest(&self, shipment_ids: &[i64]) -> Result<String, Error> {
        let v = self
            .call(&Req::post_json(
                "manifests/generate",
                &json!({ "shipment_id": shipment_ids }),
            )?)
            .await?;
        url_field(&v, "manifest_url")
            .ok_or_else(|| failure_in_2xx(&v, "manifest was not generated"))
    }

    /// `POST manifests/print` with Shiprocket order ids; returns the manifest PDF URL.
    pub async fn print_manifest(&self, order_ids: &[i64]) -> Result<String, Error> {
        let v = self
            .call(&Req::post_json(
                "manifests/print",
                &json!({ "order_ids": order_ids }),
            )?)
            .await?;
        url_field(&v, "manifest_url")
            .ok_or_else(|| failure_in_2xx(&v, "manifest could not be printed"))
    }

    /// `POST orders/print/invoice` with Shiprocket order ids; returns the invoice PDF URL.
    pub async fn print_invoice(&self, order_ids: &[i64]) -> Result<String, Error> {
        let v = self
            .call(&Req::post_json(
                "orders/print/invoice",
                &json!({ "ids": order_ids }),
            )?)
            .await?;
        let created = v
            .get("is_invoice_created")
            .and_then(value_to_bool)
            .unwrap_or(true);
        match url_field(&v, "invoice_url") {
            Some(url) if created => Ok(url),
            _ => Err(failure_in_2xx(&v, "invoice was not created")),
        }
    }

    /// `POST orders/cancel/shipment/awbs` (asynchronous on Shiprocket's side). Sent in chunks of
    /// 2000, Shiprocket's limit per call.
    pub async fn cancel_awbs(&self, awbs: &[String]) -> Result<(), Error> {
        for chunk in awbs.chunks(MAX_CANCEL_AWBS) {
            let req = Req::post_json("orders/cancel/shipment/awbs", &json!({ "awbs": chunk }))?;
            self.call(&req).await?;
        }
        Ok(())
    }

    /// `GET courier/track/awb/{awb}`. No scans yet is `Ok` with `track_status == false`.
    pub async fn track_awb(&self, awb: &str) -> Result<Tracking, Error> {
        let req = Req::get(
            "courier/track/awb",
            format!("courier/track/awb/{}", path_segment(awb)),
        );
        let v = self.call(&req).await?;
        let data = tracking_data(&v, awb)
            .ok_or_else(|| undecodable(&v, "tracking response has no tracking_data"))?;
        decode(data)
    }

    /// `POST courier/track/awbs`, in chunks of 50 (Shiprocket's limit). Every requested AWB gets an
    /// entry; one Shiprocket does not know is `Err(Error::NotFound)`, one that does not decode is
    /// `Err(Error::Undecodable)`. A failed chunk fails the whole call.
    pub async fn track_awbs(
        &self,
        awbs: &[String],
    ) -> Result<HashMap<String, Result<Tracking, Error>>, Error> {
        let mut out: HashMap<String, Result<Tracking, Error>> = HashMap::with_capacity(awbs.len());
        for chunk in awbs.chunks(MAX_TRACK_AWBS) {
            let req = Req::post_json("courier/track/awbs", &json!({ "awbs": chunk }))?;
            let v = self.call(&req).await?;
            let obj = match v {
                Value::Object(m) => m,
                Value::Null => serde_json::Map::new(),
                Value::Array(a) if a.is_empty() => serde_json::Map::new(),
                other => {
                    return Err(undecodable(
                        &other,
                        "multi-AWB tracking response is not an object",
                    ));
                }
            };
            for (awb, entry) in obj {
                let t = match entry.get("tracking_data") {
                    Some(d) => decode(d.clone()),
                    None => Err(undecodable(&entry, "entry has no tracking_data")),
                };
                out.insert(awb, t);
            }
        }
        for awb in awbs {
            out.entry(awb.clone()).or_insert_with(|| {
                Err(Error::NotFound {
                    message: "Shiprocket returned no tracking for this AWB".to_owned(),
                })
            });
        }
        Ok(out)
    }

    /// `GET courier/track?order_id=` by OUR channel order id: one `Tracking` per shipment.
    pub async fn track_order(
        &self,
        channel_order_id: &str,
        channel_id: Option<i64>,
    ) -> Result<Vec<Tracking>, Error> {
        let mut req = Req::get("courier/track", "courier/track".to_owned());
        req.query.push(("order_id", channel_order_id.to_owned()));
        if let Some(c) = channel_id {
            req.query.push(("channel_id", c.to_string()));
        }
        let v = self.call(&req).await?;
        let entries = match &v {
            Value::Array(a) => a.clone(),
            Value::Object(_) => vec![v.clone()],
            _ => Vec::new(),
        };
        entries
            .into_iter()
            .map(|e| match e.get("tracking_data") {
                Some(d) => decode(d.clone()),
                None => Err(undecodable(&e, "entry has no tracking_data")),
            })
            .collect()
    }

    /// `GET settings/company/pickup`: the account's pickup locations.
    pub async fn pickup_locations(&self) -> Result<Vec<PickupLocation>, Error> {
        let mut v = self
            .call(&Req::get(
                "settings/company/pickup",
                "settings/company/pickup".to_owned(),
            ))
            .await?;
        match v.get_mut("data") {
            Some(d) if d.is_object() => {
                decode::<PickupLocationsData>(d.take()).map(|d| d.shipping_address)
            }
            _ => Err(undecodable(&v, "pickup list has no data")),
        }
    }

    /// `GET shipments/{id}`: read a shipment back (AWB, courier, status).
    pub async fn shipment(&self, shipment_id: i64) -> Result<ShipmentDetails, Error> {
        let v = self
            .call(&Req::get("shipments", format!("shipments/{shipment_id}")))
            .await?;
        let data = match v.get("data") {
            Some(Value::Array(a)) => a.first().cloned(),
            Some(d @ Value::Object(_)) => Some(d.clone()),
            _ => None,
        };
        match data {
            Some(d) => decode(d),
            None if v.as_object().is_some_and(|m| m.is_empty()) || v.is_null() => {
                Err(Error::NotFound {
                    message: format!("shipment {shipment_id} not found"),
                })
            }
            None => Err(undecodable(&v, "shipment response has no data")),
        }
    }
}

/// `tracking_data` at the top level, or under a single AWB key.
fn tracking_data(v: &Value, awb: &str) -> Option<Value> {
    if let Some(d) = v.get("tracking_data") {
        return Some(d.clone());
    }
    if let Some(d) = v.get(awb).and_then(|e| e.get("tracking_data")) {
        return Some(d.clone());
    }
    match v {
        Value::Array(a) => a.first().and_then(|e| e.get("tracking_data")).cloned(),
        _ => None,
    }
}

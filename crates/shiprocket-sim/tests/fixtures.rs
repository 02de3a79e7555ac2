//! Conformance with the documentation fixtures: error bodies byte-for-byte (as JSON), success bodies
//! by shape (every documented key present with the documented JSON type).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::time::Duration;

use common::{Api, config};
use serde_json::{Value, json};
use shiprocket_sim::{PickupLocationConfig, SimConfig};

fn fixture(name: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/shiprocket-fixtures/"
    );
    serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
}

fn raw_fixture(name: &str) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/shiprocket-fixtures/"
    );
    std::fs::read_to_string(format!("{path}{name}")).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `doc` exists in `ours` with the same JSON type (a documented null accepts anything).
fn same_shape(doc: &Value, ours: &Value, at: &str) {
    match (doc, ours) {
        (Value::Null, _) => {}
        (Value::Object(d), Value::Object(o)) => {
            for (k, v) in d {
                let Some(mine) = o.get(k) else {
                    panic!("{at}.{k} is missing")
                };
                same_shape(v, mine, &format!("{at}.{k}"));
            }
        }
        (Value::Array(d), Value::Array(o)) => {
            if let (Some(d0), Some(o0)) = (d.first(), o.first()) {
                same_shape(d0, o0, &format!("{at}[0]"));
            }
        }
        (d, o) => assert_eq!(kind(d), kind(o), "{at}: documented {d}, simulated {o}"),
    }
}

async fn api_with_jammu() -> Api {
    let jammu = PickupLocationConfig {
        pickup_location: "Jammu".into(),
        city: "Jammu".into(),
        state: "Jammu & Kashmir".into(),
        pin_code: "180001".into(),
        ..PickupLocationConfig::default()
    };
    Api::start(SimConfig {
        pickup_locations: vec![jammu],
        ..config()
    })
    .await
}

#[tokio::test]
async fn documented_error_requests_get_the_documented_error_bodies() {
    let api = api_with_jammu().await;
    let cases = [
        (
            "orders/create/adhoc",
            "orders-create-adhoc.422-missing-fields",
            422,
        ),
        (
            "orders/create/adhoc",
            "orders-create-adhoc.400-invalid-data",
            400,
        ),
        (
            "courier/assign/awb",
            "courier-assign-awb.422-missing-fields",
            422,
        ),
        (
            "courier/assign/awb",
            "courier-assign-awb.400-invalid-data",
            400,
        ),
        (
            "courier/generate/pickup",
            "courier-generate-pickup.400-missing-fields",
            400,
        ),
        (
            "courier/generate/pickup",
            "courier-generate-pickup.400-invalid-data",
            400,
        ),
        (
            "courier/generate/label",
            "courier-generate-label.422-wrong-format",
            422,
        ),
        (
            "courier/generate/label",
            "courier-generate-label.200-missing-or-invalid-data",
            200,
        ),
        (
            "manifests/generate",
            "manifests-generate.200-missing-field-or-invalid-data",
            200,
        ),
        (
            "manifests/print",
            "manifests-print.200-missing-or-invalid-data",
            200,
        ),
        ("manifests/print", "manifests-print.500-wrong-format", 500),
        (
            "orders/print/invoice",
            "orders-print-invoice.400-missing-fields-or-invalid-data",
            400,
        ),
        (
            "orders/print/invoice",
            "orders-print-invoice.500-wrong-format",
            500,
        ),
        ("orders/cancel", "orders-cancel.422-missing-fields", 422),
        ("orders/cancel", "orders-cancel.500-invalid-data", 500),
        (
            "orders/address/update",
            "orders-address-update.422-invalid-data",
            422,
        ),
        (
            "settings/company/addpickup",
            "settings-company-addpickup.422-missing-fields",
            422,
        ),
        (
            "courier/track/awbs",
            "courier-track-awbs.200-invalid-or-missing-data",
            200,
        ),
    ];
    for (path, name, status) in cases {
        let req = fixture(&format!("{name}.request.json"));
        let r = api.post(path, &req).await;
        assert_eq!(r.status, status, "{name}: {}", r.text);
        assert_eq!(r.json, fixture(&format!("{name}.json")), "{name}");
    }
    let r = api
        .post_raw(
            "courier/track/awbs",
            &raw_fixture("courier-track-awbs.500-wrong-format.request.txt"),
        )
        .await;
    assert_eq!(r.json, fixture("courier-track-awbs.500-wrong-format.json"));
    let r = api.get("courier/track/awb/111111111111").await;
    assert_eq!(r.json, fixture("courier-track-awb.200-no-activity.json"));
    let r = api.get("courier/track/shipment/00000000").await;
    assert_eq!(
        r.json,
        fixture("courier-track-shipment.200-no-activity.json")
    );
    let r = api.get("courier/track/awb/").await;
    assert_eq!(
        (r.status.as_u16(), r.json),
        (404, fixture("courier-track-awb.404-missing-fields.json"))
    );
    let r = api.get("orders/show/00000001").await;
    assert_eq!(r.json, fixture("orders-show.400-invalid-data.json"));
    let r = api.get("settings/company/picku").await;
    assert_eq!(
        r.json,
        fixture("settings-company-pickup.404-wrong-endpoint.json")
    );
    let r = api
        .get("courier/serviceability/?pickup_postcode=110030&delivery_postcode=122002")
        .await;
    assert_eq!(
        r.json,
        fixture("courier-serviceability.422-missing-fields.json")
    );
    let r = api.get("courier/serviceability/?order_id=123456").await;
    assert_eq!(
        r.json,
        fixture("courier-serviceability.200-invalid-data.json")
    );
}

#[tokio::test]
async fn documented_success_bodies_have_the_same_shape_here() {
    let (url, inbox) = webhook_sink().await;
    let api = api_with_jammu().await;
    api.sim.control().set_webhook(&url, Some("t")).unwrap();
    let created = api
        .post(
            "orders/create/adhoc",
            &fixture("orders-create-adhoc.request.json"),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    same_shape(
        &fixture("orders-create-adhoc.200.json"),
        &created.json,
        "create",
    );
    let (oid, sid) = (
        created.json["order_id"].as_i64().unwrap(),
        created.json["shipment_id"].as_i64().unwrap(),
    );

    let q = api.get("courier/serviceability/?pickup_postcode=110030&delivery_postcode=175019&weight=2&cod=1").await;
    let mut doc = fixture("courier-serviceability.200.json");
    // suppression_dates is documented as null or an object; the simulator always sends null.
    doc["data"]["available_courier_companies"][0]["suppression_dates"] = Value::Null;
    same_shape(&doc, &q.json, "serviceability");

    let a = api
        .post(
            "courier/assign/awb",
            &json!({"shipment_id": sid.to_string(), "courier_id": "43"}),
        )
        .await;
    same_shape(&fixture("courier-assign-awb.200.json"), &a.json, "assign");
    let awb = a.json["response"]["data"]["awb_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = api
        .post("courier/generate/pickup", &json!({"shipment_id": [sid]}))
        .await;
    same_shape(
        &fixture("courier-generate-pickup.200.json"),
        &p.json,
        "pickup",
    );
    let l = api
        .post(
            "courier/generate/label",
            &json!({"shipment_id": [sid.to_string()]}),
        )
        .await;
    same_shape(
        &fixture("courier-generate-label.200.json"),
        &l.json,
        "label",
    );
    let m = api
        .post("manifests/generate", &json!({"shipment_id": [sid]}))
        .await;
    same_shape(&fixture("manifests-generate.200.json"), &m.json, "manifest");
    let mp = api
        .post("manifests/print", &json!({"order_ids": [oid]}))
        .await;
    same_shape(
        &fixture("manifests-print.200.json"),
        &mp.json,
        "manifest print",
    );
    let i = api
        .post("orders/print/invoice", &json!({"ids": [oid.to_string()]}))
        .await;
    same_shape(
        &fixture("orders-print-invoice.200.json"),
        &i.json,
        "invoice",
    );
    let pick = api.get("settings/company/pickup").await;
    same_shape(
        &fixture("settings-company-pickup.200.json"),
        &pick.json,
        "pickups",
    );

    api.sim
        .control()
        .advance_clock(Duration::from_secs(8 * 86400))
        .await;
    let t = api.get(&format!("courier/track/awb/{awb}")).await;
    same_shape(&fixture("courier-track-awb.200.json"), &t.json, "track awb");
    let t = api.get(&format!("courier/track/shipment/{sid}")).await;
    same_shape(
        &fixture("courier-track-shipment.200.json"),
        &t.json,
        "track shipment",
    );
    let t = api
        .post("courier/track/awbs", &json!({"awbs": [awb]}))
        .await;
    let doc = fixture("courier-track-awbs.200.json")["788829354408"].clone();
    same_shape(&doc, &t.json[&awb], "track awbs");
    let t = api.get("courier/track?order_id=224-447").await;
    same_shape(
        &fixture("courier-track-order.200.json"),
        &t.json,
        "track order",
    );
    let hooks = inbox.lock().unwrap().clone();
    same_shape(
        &fixture("webhook-tracking-sample.json"),
        hooks.last().unwrap(),
        "webhook",
    );

    let add = api
        .post(
            "settings/company/addpickup",
            &fixture("settings-company-addpickup.request.json"),
        )
        .await;
    same_shape(
        &fixture("settings-company-addpickup.200.json"),
        &add.json,
        "addpickup",
    );
    let cancel = api
        .post(
            "orders/cancel/shipment/awbs",
            &json!({"awbs": ["19041211125783"]}),
        )
        .await;
    same_shape(
        &fixture("orders-cancel-shipment-awbs.204.json"),
        &cancel.json,
        "cancel awbs",
    );
}

type Inbox = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

async fn webhook_sink() -> (String, Inbox) {
    let inbox: Inbox = Inbox::default();
    let sink = inbox.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body.0);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), inbox)
}

//! Tiny valid PDFs (hand-written PDF text) served at `/sim-files/...pdf` for labels, manifests, invoices.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::respond;

/// A one-page PDF showing `lines`.
pub fn minimal_pdf(lines: &[String]) -> Vec<u8> {
    let mut text = String::from("BT /F1 11 Tf 20 400 Td 14 TL\n");
    for l in lines {
        let clean: String = l
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || " .:-_/#".contains(*c))
            .collect();
        text.push_str(&format!("({clean}) Tj T*\n"));
    }
    text.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// GET /sim-files/{*path}.
pub async fn serve(Path(path): Path<String>) -> Response {
    if !path.ends_with(".pdf") {
        return respond::not_found();
    }
    let name = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".pdf");
    let kind = path.split('/').next().unwrap_or_default();
    let lines = [
        "Shiprocket simulator".to_owned(),
        format!("Document: {kind}"),
        name.to_owned(),
    ];
    let mut resp = minimal_pdf(&lines).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_has_a_header_an_xref_pointing_at_its_objects_and_an_eof() {
        let pdf = minimal_pdf(&["AWB 123".to_owned()]);
        let text = String::from_utf8(pdf).unwrap();
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[xref..].starts_with("xref"));
        let first_obj: usize = text[xref..].lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(text[first_obj..].starts_with("1 0 obj"));
    }
}

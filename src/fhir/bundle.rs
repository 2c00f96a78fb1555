//! FHIR Bundles (searchsets, transactions such as Synthea's): finding resources in them.

use serde::Deserialize;
use serde_json::Value;

use super::FhirError;

#[derive(Deserialize)]
struct Bundle {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    resource: Option<Value>,
}

/// Every resource of a bundle, in order.
pub fn all_resources(json: &str) -> Result<Vec<Value>, FhirError> {
    let bundle: Bundle = serde_json::from_str(json)?;
    if bundle.resource_type != "Bundle" {
        return Err(FhirError::WrongType {
            expected: "Bundle",
            found: bundle.resource_type,
        });
    }
    Ok(bundle
        .entry
        .into_iter()
        .filter_map(|e| e.resource)
        .collect())
}

/// The resources of a bundle, in order, whose `resourceType` is `kind`.
pub fn resources_of(json: &str, kind: &str) -> Result<Vec<Value>, FhirError> {
    let bundle: Bundle = serde_json::from_str(json)?;
    if bundle.resource_type != "Bundle" {
        return Err(FhirError::WrongType {
            expected: "Bundle",
            found: bundle.resource_type,
        });
    }
    Ok(bundle
        .entry
        .into_iter()
        .filter_map(|e| e.resource)
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some(kind))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_resources_of_one_kind_in_order() {
        let json = r#"{"resourceType":"Bundle","type":"transaction","entry":[
            {"resource":{"resourceType":"Patient","id":"a"}},
            {"request":{"method":"DELETE","url":"Observation/x"}},
            {"resource":{"resourceType":"Observation","id":"o"}},
            {"resource":{"resourceType":"Patient","id":"b"}}]}"#;
        let found = resources_of(json, "Patient").unwrap();
        let ids: Vec<&str> = found.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn refuses_what_is_not_a_bundle() {
        let err = resources_of(r#"{"resourceType":"Patient"}"#, "Patient").unwrap_err();
        assert!(matches!(err, FhirError::WrongType { .. }), "{err}");
        assert!(matches!(
            resources_of("{not json", "Patient"),
            Err(FhirError::Json(_))
        ));
    }
}

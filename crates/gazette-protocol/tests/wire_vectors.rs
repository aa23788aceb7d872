//! Wire compatibility against messages captured from a real Gazette broker
//! (shared/testdata/real-broker/wire, v0.99.0 broker and Go client).
//!
//! For every vector: decode the `.bin` with our generated type, re-encode
//! it and require identical bytes; then walk the decoded value field by
//! field, driven by the descriptor of our own `proto/protocol.proto`, and
//! compare it with the `.json` rendering of the real Go types (gogo jsonpb:
//! proto field names, int64 as strings, enums as names, bytes as base64,
//! durations as "60s", absent as null). Every JSON key must exist in our
//! schema, so a field we lack, a wrong number or a wrong type fails. Finally
//! every vector must pass our `Validate`.

use std::path::PathBuf;

use base64::Engine;
use gazette_protocol::{self as protocol, Validate};
use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value,
};
use serde_json::Value as Json;

fn wire_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/real-broker/wire"
    ))
}

/// Descriptors of our own schema, compiled from the same .proto as the
/// generated types.
fn pool() -> DescriptorPool {
    protox::Compiler::new([concat!(env!("CARGO_MANIFEST_DIR"), "/proto")])
        .expect("protox compiler")
        .include_imports(true)
        .open_file("protocol.proto")
        .expect("compile proto/protocol.proto")
        .descriptor_pool()
}

/// Decodes `bin` as `T`, re-encodes it, and validates it.
fn typed_roundtrip<T: Message + Default + Validate>(bin: &[u8]) -> (Vec<u8>, Result<(), String>) {
    let msg = T::decode(bin).expect("decode with generated type");
    (
        msg.encode_to_vec(),
        msg.validate().map_err(|e| e.to_string()),
    )
}

/// Dispatches on the fully qualified message name of the manifest.
fn roundtrip(ty: &str, bin: &[u8]) -> (Vec<u8>, Result<(), String>) {
    match ty {
        "protocol.AppendRequest" => typed_roundtrip::<protocol::AppendRequest>(bin),
        "protocol.AppendResponse" => typed_roundtrip::<protocol::AppendResponse>(bin),
        "protocol.ApplyRequest" => typed_roundtrip::<protocol::ApplyRequest>(bin),
        "protocol.ApplyResponse" => typed_roundtrip::<protocol::ApplyResponse>(bin),
        "protocol.FragmentsRequest" => typed_roundtrip::<protocol::FragmentsRequest>(bin),
        "protocol.FragmentsResponse" => typed_roundtrip::<protocol::FragmentsResponse>(bin),
        "protocol.ListRequest" => typed_roundtrip::<protocol::ListRequest>(bin),
        "protocol.ListResponse" => typed_roundtrip::<protocol::ListResponse>(bin),
        "protocol.ReadRequest" => typed_roundtrip::<protocol::ReadRequest>(bin),
        "protocol.ReadResponse" => typed_roundtrip::<protocol::ReadResponse>(bin),
        other => panic!("manifest names a type this test does not know: {other}"),
    }
}

/// Compares one decoded message with its JSON object, appending mismatches.
fn compare_message(msg: &DynamicMessage, json: &Json, path: &str, out: &mut Vec<String>) {
    let desc = msg.descriptor();
    let Some(obj) = json.as_object() else {
        out.push(format!("{path}: expected a JSON object, got {json}"));
        return;
    };
    for key in obj.keys() {
        if desc.get_field_by_name(key).is_none() {
            out.push(format!("{path}.{key}: in the JSON but not in our schema"));
        }
    }
    for field in desc.fields() {
        let fpath = format!("{path}.{}", field.name());
        // Keys newer than the capturing broker are absent: they must be defaults.
        let j = obj.get(field.name()).unwrap_or(&Json::Null);
        let value = msg.get_field(&field);

        if field.is_list() {
            let items = value.as_list().expect("list value");
            let empty = Vec::new();
            let arr = match j {
                Json::Null => &empty,
                Json::Array(a) => a,
                other => {
                    out.push(format!("{fpath}: expected an array, got {other}"));
                    continue;
                }
            };
            if arr.len() != items.len() {
                out.push(format!(
                    "{fpath}: {} items, JSON has {}",
                    items.len(),
                    arr.len()
                ));
                continue;
            }
            for (i, (v, j)) in items.iter().zip(arr).enumerate() {
                compare_value(&field.kind(), v, true, j, &format!("{fpath}[{i}]"), out);
            }
        } else {
            compare_value(&field.kind(), &value, msg.has_field(&field), j, &fpath, out);
        }
    }
}

/// Compares a single (non-repeated) value with its JSON rendering.
fn compare_value(
    kind: &Kind,
    v: &Value,
    present: bool,
    j: &Json,
    path: &str,
    out: &mut Vec<String>,
) {
    let mut mismatch = |want: String| out.push(format!("{path}: ours {want}, JSON {j}"));
    match kind {
        // 64-bit integers are JSON strings; null only if absent (= 0).
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            let ours = match v {
                Value::I64(n) => n.to_string(),
                Value::U64(n) => n.to_string(),
                other => format!("{other:?}"),
            };
            let theirs = match j {
                Json::String(s) => s.clone(),
                Json::Null => "0".to_string(),
                _ => String::from("<not a string>"),
            };
            if ours != theirs {
                mismatch(ours);
            }
        }
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => {
            let ours = match v {
                Value::I32(n) => i64::from(*n),
                Value::U32(n) => i64::from(*n),
                _ => i64::MIN,
            };
            if j.as_i64().unwrap_or(if j.is_null() { 0 } else { i64::MAX }) != ours {
                mismatch(ours.to_string());
            }
        }
        Kind::Bool => {
            if j.as_bool().unwrap_or(false) != v.as_bool().unwrap_or(true)
                || !(j.is_boolean() || j.is_null())
            {
                mismatch(format!("{v:?}"));
            }
        }
        Kind::String => {
            if j.as_str().unwrap_or(if j.is_null() { "" } else { "\u{0}" })
                != v.as_str().unwrap_or("\u{1}")
            {
                mismatch(format!("{v:?}"));
            }
        }
        Kind::Bytes => {
            let ours = v.as_bytes().map(|b| b.to_vec()).unwrap_or_default();
            let theirs = match j {
                Json::Null => Vec::new(),
                Json::String(s) => base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .unwrap_or_else(|_| b"<bad base64>".to_vec()),
                _ => b"<not a string>".to_vec(),
            };
            if ours != theirs {
                mismatch(format!("{} bytes", ours.len()));
            }
        }
        Kind::Enum(e) => {
            let n = v.as_enum_number().unwrap_or(i32::MIN);
            let name = e.get_value(n).map(|ev| ev.name().to_string());
            let ok = match j {
                Json::String(s) => Some(s.as_str()) == name.as_deref(),
                Json::Number(num) => num.as_i64() == Some(i64::from(n)),
                Json::Null => n == 0,
                _ => false,
            };
            if !ok {
                mismatch(format!("{name:?} ({n})"));
            }
        }
        Kind::Message(m) if m.full_name() == "google.protobuf.Duration" => {
            let (secs, nanos) = match v.as_message() {
                Some(d) => (
                    d.get_field_by_name("seconds")
                        .and_then(|s| s.as_i64())
                        .unwrap_or(0),
                    d.get_field_by_name("nanos")
                        .and_then(|s| s.as_i32())
                        .unwrap_or(0),
                ),
                None => (i64::MIN, 0),
            };
            let ours = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
            let theirs = match j {
                Json::Null => Some(0),
                Json::String(s) => parse_json_duration(s),
                _ => None,
            };
            if theirs != Some(ours) {
                mismatch(format!("{secs}s {nanos}ns"));
            }
        }
        Kind::Message(m) => match (j, v.as_message()) {
            // Go's nil pointer: the field must be absent on our side too.
            (Json::Null, _) if present => mismatch("a present message".into()),
            (Json::Null, _) => {}
            (_, Some(inner)) => compare_message(inner, j, path, out),
            (_, None) => compare_message(&DynamicMessage::new(m.clone()), j, path, out),
        },
        other => mismatch(format!("unsupported kind {other:?}")),
    }
}

/// Parses a proto3-JSON duration such as "60s" or "1.5s" into nanoseconds.
fn parse_json_duration(s: &str) -> Option<i128> {
    let body = s.strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let whole: i128 = whole.parse().ok()?;
    let frac_nanos: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}")[..9].parse().ok()?
    };
    let n = whole * 1_000_000_000 + frac_nanos;
    Some(if neg { -n } else { n })
}

struct Vector {
    name: String,
    ty: String,
    direction: String,
}

fn manifest() -> Vec<Vector> {
    let text =
        std::fs::read_to_string(wire_dir().join("manifest.json")).expect("read manifest.json");
    let json: Json = serde_json::from_str(&text).expect("parse manifest.json");
    json["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .map(|v| Vector {
            name: v["name"].as_str().unwrap().to_string(),
            ty: v["type"].as_str().unwrap().to_string(),
            direction: v["direction"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn read(name: &str, ext: &str) -> Vec<u8> {
    std::fs::read(wire_dir().join(format!("{name}.{ext}")))
        .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"))
}

/// Compares one vector; returns its mismatches (empty when it matches).
fn check_vector(pool: &DescriptorPool, v: &Vector) -> Vec<String> {
    let bin = read(&v.name, "bin");
    let json: Json = serde_json::from_slice(&read(&v.name, "json")).expect("vector JSON");
    let mut out = Vec::new();

    let (reencoded, valid) = roundtrip(&v.ty, &bin);
    if reencoded != bin {
        out.push(format!(
            "re-encoding differs ({} bytes, captured {})",
            reencoded.len(),
            bin.len()
        ));
    }
    if let Err(e) = valid {
        out.push(format!("fails validation: {e}"));
    }
    let desc: MessageDescriptor = pool
        .get_message_by_name(&v.ty)
        .unwrap_or_else(|| panic!("{} not in our schema", v.ty));
    // Walk what our typed value encodes to, so the comparison sees exactly
    // what the generated struct held.
    let dynamic = DynamicMessage::decode(desc, reencoded.as_slice()).expect("dynamic decode");
    compare_message(&dynamic, &json, &v.ty, &mut out);
    out
}

#[test]
fn every_vector_roundtrips_matches_json_and_validates() {
    let pool = pool();
    let vectors = manifest();
    assert!(
        vectors.len() >= 40,
        "manifest lists only {} vectors",
        vectors.len()
    );
    // Every .bin in the folder is covered by the manifest.
    let bins = std::fs::read_dir(wire_dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "bin")
        })
        .count();
    assert_eq!(bins, vectors.len(), "every .bin has a manifest entry");

    let mut failures = Vec::new();
    for v in &vectors {
        for m in check_vector(&pool, v) {
            failures.push(format!("{} ({}, {}): {m}", v.name, v.ty, v.direction));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The comparison itself must be able to fail: a value changed after decoding
/// is reported, and so is a JSON key our schema lacks.
#[test]
fn comparison_detects_differences() {
    let pool = pool();
    let bin = read("read_response_metadata", "bin");
    let json: Json = serde_json::from_slice(&read("read_response_metadata", "json")).unwrap();
    let desc = pool.get_message_by_name("protocol.ReadResponse").unwrap();

    let mut typed = protocol::ReadResponse::decode(bin.as_slice()).unwrap();
    typed.write_head += 1;
    typed.fragment.as_mut().unwrap().sum.as_mut().unwrap().part3 ^= 1;
    let dynamic = DynamicMessage::decode(desc.clone(), typed.encode_to_vec().as_slice()).unwrap();
    let mut out = Vec::new();
    compare_message(&dynamic, &json, "ReadResponse", &mut out);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        out[0].starts_with("ReadResponse.write_head: ours 6899"),
        "{out:?}"
    );
    assert!(
        out[1].starts_with("ReadResponse.fragment.sum.part3"),
        "{out:?}"
    );

    let mut extra = json.clone();
    extra["unheard_of"] = Json::Bool(true);
    extra["status"] = Json::String("JOURNAL_NOT_FOUND".into());
    let dynamic = DynamicMessage::decode(desc, bin.as_slice()).unwrap();
    let mut out = Vec::new();
    compare_message(&dynamic, &extra, "ReadResponse", &mut out);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out
        .iter()
        .any(|m| m.contains("unheard_of: in the JSON but not in our schema")));
    assert!(out
        .iter()
        .any(|m| m.starts_with("ReadResponse.status: ours Some(\"OK\")")));
}

/// Spot checks of decoded values against facts stated in INDEX.md.
#[test]
fn decoded_values_match_index_notes() {
    let resp = protocol::ApplyResponse::decode(read("apply_response", "bin").as_slice()).unwrap();
    let h = resp.header.unwrap();
    assert_eq!(h.route.unwrap().primary, -1);
    assert_eq!(h.etcd.unwrap().cluster_id, 2037210783374497686);

    let commit =
        protocol::AppendRequest::decode(read("append_request_commit", "bin").as_slice()).unwrap();
    assert_eq!(
        commit,
        protocol::AppendRequest::default(),
        "commit is the empty message"
    );

    let meta =
        protocol::ReadResponse::decode(read("read_response_metadata", "bin").as_slice()).unwrap();
    let frag = meta.fragment.unwrap();
    assert_eq!(
        protocol::content_name(&frag),
        "0000000000000000-000000000000012c-b1373378fedd16b6af4691879966f48caf77cce5.gz"
    );
    assert!(meta.fragment_url.ends_with(&protocol::content_path(&frag)));

    let req =
        protocol::FragmentsRequest::decode(read("fragments_request", "bin").as_slice()).unwrap();
    assert_eq!(req.signature_ttl.unwrap().seconds, 60);
    assert_eq!(req.page_limit, 100);

    // Every persisted fragment's signed URL is its content path, and parses back.
    for page in ["fragments_response_page1", "fragments_response_page2"] {
        let resp = protocol::FragmentsResponse::decode(read(page, "bin").as_slice()).unwrap();
        for f in resp.fragments {
            let spec = f.spec.unwrap();
            assert_eq!(
                f.signed_url,
                format!("file:///{}", protocol::content_path(&spec))
            );
            let rel = &protocol::content_path(&spec)[spec.journal.len() + 1..];
            let parsed = protocol::parse_fragment_from_relative_path(&spec.journal, rel).unwrap();
            assert_eq!(parsed.sum, spec.sum);
            assert_eq!((parsed.begin, parsed.end), (spec.begin, spec.end));
            assert_eq!(parsed.path_postfix, spec.path_postfix);
        }
    }
}

/// Every persisted fragment file of the real broker's store parses back from
/// its store-relative name to the recorded begin, end, SHA-1 and codec, and
/// `content_path` rebuilds the exact path; the sum is the SHA-1 of the
/// journal content it covers.
#[test]
fn real_fragment_file_names_parse() {
    use sha1::Digest;

    let root = wire_dir().join("..");
    let text = std::fs::read_to_string(root.join("fragments.json")).expect("fragments.json");
    let json: Json = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for journal in json["journals"].as_array().unwrap() {
        let content = std::fs::read(root.join(journal["content_file"].as_str().unwrap())).unwrap();
        for f in journal["fragments"].as_array().unwrap() {
            let Some(path) = f["path"].as_str() else {
                continue; // The open fragment was never persisted.
            };
            assert!(root.join("fragments").join(path).is_file(), "{path} exists");
            let name = f["journal"].as_str().unwrap();
            let rel = path.strip_prefix(&format!("{name}/")).unwrap();
            let parsed = protocol::parse_fragment_from_relative_path(name, rel)
                .unwrap_or_else(|e| panic!("{path}: {e}"));

            assert_eq!(parsed.begin, f["begin"].as_i64().unwrap(), "{path}");
            assert_eq!(parsed.end, f["end"].as_i64().unwrap(), "{path}");
            assert_eq!(
                parsed.sum.unwrap().to_hex(),
                f["sha1"].as_str().unwrap(),
                "{path}"
            );
            assert_eq!(
                protocol::CompressionCodec::try_from(parsed.compression_codec)
                    .unwrap()
                    .as_str_name(),
                f["compression_codec"].as_str().unwrap(),
                "{path}"
            );
            assert_eq!(
                parsed.path_postfix,
                f["path_postfix"].as_str().unwrap(),
                "{path}"
            );
            assert_eq!(protocol::content_path(&parsed), path);

            let span = &content[parsed.begin as usize..parsed.end as usize];
            let digest: [u8; 20] = sha1::Sha1::digest(span).into();
            assert_eq!(
                protocol::Sha1Sum::from_digest(digest),
                parsed.sum.unwrap(),
                "{path}"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 16,
        "four persisted fragments for each of four codecs"
    );
}

//! Every fragment file a real broker (v0.99.0) wrote to its `file://` store
//! decodes through our FragmentReader to exactly the journal content it holds,
//! verified against the SHA-1 sum the broker recorded; with a wrong sum,
//! none of it is handed out.

use std::path::PathBuf;

use gazette::fragment_reader::{open_fragment_url, FragmentReader, FragmentTransport};
use gazette::protocol::{CompressionCodec, Fragment, Sha1Sum};
use gazette::Error;
use sha1::{Digest, Sha1};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/real-broker"
);

struct Vector {
    path: String,
    fragment: Fragment,
    sha1: String,
    content: Vec<u8>,
}

fn vectors() -> Vec<Vector> {
    let root = PathBuf::from(VECTORS);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("fragments.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    for journal in index["journals"].as_array().unwrap() {
        let content = std::fs::read(root.join(journal["content_file"].as_str().unwrap())).unwrap();
        for frag in journal["fragments"].as_array().unwrap() {
            // The open fragment was never persisted and has no file.
            let Some(path) = frag["path"].as_str() else {
                continue;
            };
            let codec =
                CompressionCodec::from_str_name(frag["compression_codec"].as_str().unwrap())
                    .expect("known codec");
            let fragment = Fragment {
                journal: frag["journal"].as_str().unwrap().to_string(),
                begin: frag["begin"].as_i64().unwrap(),
                end: frag["end"].as_i64().unwrap(),
                compression_codec: codec as i32,
                path_postfix: frag["path_postfix"].as_str().unwrap().to_string(),
                sum: Some(Sha1Sum::from_hex(frag["sha1"].as_str().unwrap()).unwrap()),
                ..Default::default()
            };
            out.push(Vector {
                path: path.to_string(),
                sha1: frag["sha1"].as_str().unwrap().to_string(),
                content: content[fragment.begin as usize..fragment.end as usize].to_vec(),
                fragment,
            });
        }
    }
    assert_eq!(
        out.len(),
        16,
        "four persisted fragments for each of four codecs"
    );
    out
}

async fn read_all(mut reader: FragmentReader) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.next_chunk(1000).await.unwrap() {
        assert!(chunk.len() <= 1000);
        out.extend_from_slice(&chunk);
    }
    assert_eq!(reader.offset(), reader.fragment().end);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn content_matches_the_sums_in_the_file_names() {
    for v in vectors() {
        assert_eq!(hex(&Sha1::digest(&v.content)), v.sha1, "{}", v.path);
        let name = v.path.rsplit('/').next().unwrap();
        let stem = name.split('.').next().unwrap();
        let fields: Vec<&str> = stem.split('-').collect();
        assert_eq!(
            i64::from_str_radix(fields[0], 16).unwrap(),
            v.fragment.begin
        );
        assert_eq!(i64::from_str_radix(fields[1], 16).unwrap(), v.fragment.end);
        assert_eq!(fields[2], v.sha1);
    }
}

#[tokio::test]
async fn every_fragment_decodes_from_begin_and_from_mid_fragment() {
    let files = PathBuf::from(VECTORS).join("fragments");
    for v in vectors() {
        let mid = v.fragment.begin + (v.fragment.end - v.fragment.begin) / 2 + 1;
        for offset in [v.fragment.begin, mid, v.fragment.end] {
            let file = std::fs::File::open(files.join(&v.path)).unwrap();
            let reader = FragmentReader::new(Box::new(file), v.fragment.clone(), offset)
                .await
                .unwrap();
            assert_eq!(reader.offset(), offset);
            let got = read_all(reader).await;
            let want = &v.content[(offset - v.fragment.begin) as usize..];
            assert!(got == want, "{} from {offset}", v.path);
        }
    }
}

#[tokio::test]
async fn every_fragment_decodes_through_its_file_url() {
    let transport =
        FragmentTransport::default().with_file_root(PathBuf::from(VECTORS).join("fragments"));
    for v in vectors() {
        let url = format!("file:///{}", v.path);
        let mid = v.fragment.begin + 7;
        let reader = open_fragment_url(&transport, v.fragment.clone(), mid, &url)
            .await
            .unwrap();
        let got = read_all(reader).await;
        assert!(got == v.content[7..], "{url}");
    }
}

#[tokio::test]
async fn a_fragment_not_matching_its_sum_fails_before_any_byte() {
    let files = PathBuf::from(VECTORS).join("fragments");
    for v in vectors() {
        let mut fragment = v.fragment.clone();
        fragment.sum.as_mut().unwrap().part3 ^= 1;
        let file = std::fs::File::open(files.join(&v.path)).unwrap();
        let err = FragmentReader::new(Box::new(file), fragment, v.fragment.begin)
            .await
            .expect_err("a wrong sum fails the open");
        assert!(
            matches!(&err, Error::Fragment { error, .. } if matches!(**error, Error::Codec(_))),
            "{}: {err:?}",
            v.path
        );
        assert!(
            err.to_string()
                .contains("does not match the fragment's SHA-1 sum"),
            "{err}"
        );
    }
}

//! Broker responses as they arrive: arbitrary bytes decoded as each
//! response type the client reads (the first byte picks it), then
//! validated. Neither decoding nor validation may panic.
#![no_main]

use gazette_protocol::{
    AppendResponse, ApplyResponse, FragmentStoreHealthResponse, FragmentsResponse, ListResponse,
    ReadResponse, Validate,
};
use libfuzzer_sys::fuzz_target;
use prost::Message;

fn check<M: Message + Default + Validate>(bytes: &[u8]) {
    if let Ok(msg) = M::decode(bytes) {
        let _ = msg.validate();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    match kind % 6 {
        0 => check::<ReadResponse>(bytes),
        1 => check::<AppendResponse>(bytes),
        2 => check::<ListResponse>(bytes),
        3 => check::<ApplyResponse>(bytes),
        4 => check::<FragmentsResponse>(bytes),
        _ => check::<FragmentStoreHealthResponse>(bytes),
    }
});

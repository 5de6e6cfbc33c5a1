//! Syslog over TCP: any byte stream splits into bounded frames (octet
//! counting or lines), and every frame parses into an event object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::ingest::syslog::{MAX_MESSAGE, frames_of, parse_message};

fuzz_target!(|bytes: &[u8]| {
    let (frames, _error) = frames_of(bytes);
    let mut total = 0;
    for (frame, _cut) in &frames {
        assert!(
            frame.len() <= MAX_MESSAGE,
            "a frame of {} bytes",
            frame.len()
        );
        total += frame.len();
        let event = parse_message(frame, chrono::Utc::now());
        assert!(event.is_object());
    }
    assert!(total <= bytes.len());
    // UDP datagrams go straight to the parser.
    assert!(parse_message(bytes, chrono::Utc::now()).is_object());
});

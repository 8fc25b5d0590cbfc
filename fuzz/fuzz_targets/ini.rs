//! Fuzz target for the configparser-faithful ini reader (`config::ini`).
//!
//! Invariants: parsing never panics and is deterministic; every section and
//! option it reports can be looked up again; interpolation (`get`, `items`)
//! terminates with a value or an error, never a panic or a hang (the depth
//! limit and `%%` handling are on the path for every option).

#![no_main]

use db_status::config::ini::Ini;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `Ini::read` rejects invalid UTF-8 before parsing; the parser itself
    // takes text, so feed it what a lossy read would give.
    let text = String::from_utf8_lossy(data);
    let defaults = [("here", "/srv/app"), ("percent", "%%")];
    let first = Ini::parse(&text, "fuzz.ini", &defaults);
    let again = Ini::parse(&text, "fuzz.ini", &defaults);
    assert_eq!(first, again, "the ini reader is not deterministic");
    let ini = match first {
        Ok(ini) => ini,
        Err(e) => {
            // Every error renders without panicking.
            let _ = (
                e.to_string(),
                e.python_type(),
                e.python_message(),
                e.line(),
                e.hint(),
            );
            return;
        }
    };
    for section in ini.sections() {
        assert!(
            ini.has_section(section),
            "section {section:?} listed but not found"
        );
        let Ok(options) = ini.options(section) else {
            panic!("options() fails for a listed section {section:?}");
        };
        for option in &options {
            assert!(
                ini.has_option(section, option),
                "option {option:?} listed in {section:?} but not found"
            );
            let _ = ini.get_raw(section, option);
            let got = ini.get(section, option);
            let fallback = ini.get_fallback(section, option);
            match (&got, &fallback) {
                (Ok(a), Ok(Some(b))) => assert_eq!(a, b, "get and get_fallback disagree"),
                (Err(_), Err(_)) => {}
                other => panic!("get and get_fallback disagree: {other:?}"),
            }
            if let Err(e) = got {
                let _ = (e.to_string(), e.python_message(), e.hint());
            }
        }
        if let Err(e) = ini.items(section) {
            let _ = (e.to_string(), e.python_message(), e.hint());
        }
    }
});

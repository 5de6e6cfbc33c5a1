//! Settings: defaults, overrides, validation.

use super::*;
use secrecy::ExposeSecret;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_apply_without_any_source() {
    let s = Settings::from_sources(None, &[]).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.data_dir, PathBuf::from(".vigil"));
    assert!(s.database.url.is_none());
    assert_eq!(s.session.token_ttl, Duration::from_secs(900));
    assert!(!s.session.cookie_secure);
}

#[test]
fn environment_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\n[session]\ncookie_secure = true\ntoken_ttl_secs = 60\n",
    )
    .unwrap();
    let s = Settings::from_sources(
        Some(&path),
        &vars(&[("VIGIL_LISTEN", "127.0.0.1:7000"), ("HOME", "/root")]),
    )
    .unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
    assert!(s.session.cookie_secure);
    assert_eq!(s.session.token_ttl, Duration::from_secs(60));
}

#[test]
fn unknown_file_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.toml");
    std::fs::write(&path, "[session]\ncookie_secur = true\n").unwrap();
    let err = Settings::from_sources(Some(&path), &[]).unwrap_err();
    assert!(format!("{err:#}").contains("cookie_secur"), "{err:#}");
}

#[test]
fn unknown_vigil_variables_are_refused_by_name() {
    let err = Settings::from_sources(None, &vars(&[("VIGIL_COOKIE_SECUR", "true")])).unwrap_err();
    assert!(err.to_string().contains("VIGIL_COOKIE_SECUR"), "{err}");
}

#[test]
fn cookies_are_secure_unless_vigil_listens_on_loopback_only() {
    let secure = |pairs: &[(&str, &str)]| {
        Settings::from_sources(None, &vars(pairs))
            .unwrap()
            .session
            .cookie_secure
    };
    assert!(!secure(&[]));
    assert!(!secure(&[("VIGIL_LISTEN", "[::1]:8080")]));
    assert!(secure(&[("VIGIL_LISTEN", "0.0.0.0:8080")]));
    assert!(!secure(&[
        ("VIGIL_LISTEN", "0.0.0.0:8080"),
        ("VIGIL_COOKIE_SECURE", "false")
    ]));
}

#[test]
fn bad_values_name_the_variable() {
    let cases = [
        ("VIGIL_LISTEN", "localhost"),
        ("VIGIL_COOKIE_SECURE", "yes please"),
        ("VIGIL_DATABASE_MAX_CONNECTIONS", "-1"),
        ("VIGIL_LOG_FORMAT", "xml"),
    ];
    for (name, value) in cases {
        let err = Settings::from_sources(None, &vars(&[(name, value)])).unwrap_err();
        assert!(format!("{err:#}").contains(name), "{name}: {err:#}");
    }
}

#[test]
fn short_admin_password_is_refused_without_echoing_it() {
    let err = Settings::from_sources(None, &vars(&[("VIGIL_ADMIN_PASSWORD", "tiny-secret")]))
        .unwrap_err();
    let shown = format!("{err:#}");
    assert!(shown.contains("VIGIL_ADMIN_PASSWORD"));
    assert!(!shown.contains("tiny-secret"));
}

#[test]
fn secrets_are_redacted_in_debug() {
    let s = Settings::from_sources(
        None,
        &vars(&[
            ("VIGIL_ADMIN_PASSWORD", "correct-horse-battery"),
            ("VIGIL_DATABASE_URL", "postgres://vigil:pw-in-url@db/vigil"),
        ]),
    )
    .unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains("correct-horse-battery"), "{shown}");
    assert!(!shown.contains("pw-in-url"), "{shown}");
    assert_eq!(
        s.admin_password.unwrap().expose_secret(),
        "correct-horse-battery"
    );
}

#[test]
fn inconsistent_session_limits_are_refused() {
    let err = Settings::from_sources(
        None,
        &vars(&[
            ("VIGIL_SESSION_TOKEN_TTL_SECS", "600"),
            ("VIGIL_SESSION_MAX_LIFETIME_SECS", "60"),
        ]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("max lifetime"), "{err}");
}

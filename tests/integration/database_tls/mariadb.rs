//! TLS on MariaDB/MySQL: the URL spellings against a fake server that
//! records what the client asked for, and over real TLS.

use super::*;

// ---------------------------------------------------------------------------
// MySQL over real TLS.

/// What the fake MySQL server saw on one connection.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// The client asked for TLS (SSLRequest).
    asked_tls: bool,
    /// The TLS handshake completed.
    tls: bool,
    /// The client presented a certificate.
    client_cert: bool,
}

/// A MySQL-speaking server on localhost that upgrades to TLS with the PKI's
/// `localhost` certificate (client certificates optional, checked against
/// the CA) and then refuses every login with error 1045.
struct FakeMySql {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(0).to_le_bytes();
    let mut p = vec![len[0], len[1], len[2], seq];
    p.extend_from_slice(payload);
    p
}

fn read_packet(s: &mut impl std::io::Read) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).ok()?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((head[3], body))
}

fn handshake() -> Vec<u8> {
    // PROTOCOL_41 | SSL | SECURE_CONNECTION | PLUGIN_AUTH | CONNECT_WITH_DB |
    // LONG_PASSWORD | TRANSACTIONS.
    let caps: u32 = 0x200 | 0x800 | 0x8000 | 0x8_0000 | 0x8 | 0x1 | 0x2000;
    let mut p = vec![10];
    p.extend_from_slice(b"5.7.99-fake\0");
    p.extend_from_slice(&7u32.to_le_bytes());
    p.extend_from_slice(b"abcdefgh\0");
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(33);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(b"ijklmnopqrst\0");
    p.extend_from_slice(b"mysql_native_password\0");
    p
}

fn access_denied() -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&1045u16.to_le_bytes());
    p.extend_from_slice(b"#28000Access denied for user 'fake' (fake server)");
    p
}

impl FakeMySql {
    fn start(pki: &pg_cluster::Pki) -> FakeMySql {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(pki.path("server.crt"))
                .expect("cert")
                .collect::<Result<_, _>>()
                .expect("cert");
        let key = PrivateKeyDer::from_pem_file(pki.path("server.key")).expect("key");
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(pki.path("ca.crt")).expect("ca") {
            roots.add(c.expect("ca")).expect("add ca");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()
        .expect("verifier");
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_client_cert_verifier(verifier)
                .with_single_cert(chain, key)
                .expect("server config"),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let config = config.clone();
                let log = log.clone();
                std::thread::spawn(move || {
                    let s = session(stream, config);
                    if let Ok(mut l) = log.lock() {
                        l.push(s);
                    }
                });
            }
        });
        FakeMySql { port, seen }
    }

    fn last(&self) -> Seen {
        std::thread::sleep(Duration::from_millis(100));
        self.seen
            .lock()
            .ok()
            .and_then(|l| l.last().cloned())
            .unwrap_or_default()
    }
}

fn session(mut s: std::net::TcpStream, config: Arc<rustls::ServerConfig>) -> Seen {
    let mut seen = Seen::default();
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if s.write_all(&packet(0, &handshake())).is_err() {
        return seen;
    }
    let Some((seq, body)) = read_packet(&mut s) else {
        return seen;
    };
    let flags = body
        .get(..4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if body.len() != 32 || flags & 0x800 == 0 {
        // A login without TLS.
        let _ = s.write_all(&packet(seq.wrapping_add(1), &access_denied()));
        return seen;
    }
    seen.asked_tls = true;
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return seen;
    };
    let mut tls = rustls::StreamOwned::new(conn, s);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            return seen;
        }
    }
    seen.tls = true;
    seen.client_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
    if let Some((seq, _)) = read_packet(&mut tls) {
        let _ = tls.write_all(&packet(seq.wrapping_add(1), &access_denied()));
        let _ = tls.flush();
    }
    seen
}

#[test]
fn mysql_tls_spellings_over_real_tls() {
    let pki = pg_cluster::Pki::new();
    let (client_crt, client_key) = pki.client("app");
    let fake = FakeMySql::start(&pki);
    let port = fake.port;
    let ca = s(&pki.path("ca.crt"));
    let stranger = s(&pki.path("stranger.crt"));
    let url = |driver: &str, host: &str, q: &str| {
        format!("mysql{driver}://app:pw@{host}:{port}/appdb{q}")
    };
    // (name, url, TLS must be used, a client certificate must be sent,
    //  error kind, compare with PyMySQL)
    let cases: Vec<(&str, String, bool, bool, &str, bool)> = vec![
        (
            "pymysql, no TLS settings",
            url("+pymysql", "localhost", ""),
            false,
            false,
            "authentication",
            false,
        ),
        (
            "pymysql ssl_ca, host name matches",
            url("+pymysql", "localhost", &format!("?ssl_ca={ca}")),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_ca, other host name",
            url("+pymysql", "127.0.0.1", &format!("?ssl_ca={ca}")),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql ssl_ca + ssl_check_hostname=false",
            url(
                "+pymysql",
                "127.0.0.1",
                &format!("?ssl_ca={ca}&ssl_check_hostname=false"),
            ),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_ca of another CA",
            url("+pymysql", "localhost", &format!("?ssl_ca={stranger}")),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql ssl_verify_cert=false",
            url("+pymysql", "127.0.0.1", "?ssl_verify_cert=false"),
            true,
            false,
            "authentication",
            true,
        ),
        (
            "pymysql ssl_verify_identity (system roots)",
            url("+pymysql", "localhost", "?ssl_verify_identity=true"),
            false,
            false,
            "tls",
            true,
        ),
        (
            "pymysql client certificate",
            url(
                "+pymysql",
                "localhost",
                &format!(
                    "?ssl_ca={ca}&ssl_cert={}&ssl_key={}",
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            true,
            true,
            "authentication",
            true,
        ),
        (
            "mysqlclient REQUIRED",
            url("", "127.0.0.1", "?ssl_mode=REQUIRED"),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient VERIFY_CA, other host name",
            url("", "127.0.0.1", &format!("?ssl_mode=VERIFY_CA&ssl_ca={ca}")),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY, other host name",
            url(
                "",
                "127.0.0.1",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}"),
            ),
            false,
            false,
            "tls",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY, untrusted CA",
            url(
                "",
                "localhost",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={stranger}"),
            ),
            false,
            false,
            "tls",
            false,
        ),
        (
            "mysqlclient VERIFY_IDENTITY",
            url(
                "",
                "localhost",
                &format!("?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}"),
            ),
            true,
            false,
            "authentication",
            false,
        ),
        (
            "mysqlclient client certificate",
            url(
                "",
                "localhost",
                &format!(
                    "?ssl_mode=VERIFY_IDENTITY&ssl_ca={ca}&ssl_cert={}&ssl_key={}",
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            true,
            true,
            "authentication",
            false,
        ),
    ];
    let p = project();
    let empty = home(&[]);
    let compared: Vec<Case> = cases
        .iter()
        .filter(|c| c.5)
        .map(|c| {
            case(
                c.0,
                c.1.clone(),
                &[("HOME", s(empty.path()))],
                Want::Fails(""),
            )
        })
        .collect();
    let refs: Vec<&Case> = compared.iter().collect();
    let pymysql = drivers(&refs, empty.path());
    let mut pymysql = compared.iter().zip(pymysql);
    for (name, url, tls, cert, kind, compare) in &cases {
        let c = case(name, url.clone(), &[], Want::Fails(kind));
        let out = run_status(&p, &c);
        let v = verdict(&out);
        let seen = fake.last();
        assert_eq!(
            (v.0.as_str(), v.1.as_str()),
            ("database-error", *kind),
            "{name}: {}",
            v.2
        );
        assert_eq!(
            (seen.tls, seen.client_cert),
            (*tls, *cert),
            "{name}: {seen:?} / {v:?}"
        );
        if *kind == "tls" {
            assert!(seen.asked_tls, "{name}: TLS was never tried: {seen:?}");
        }
        if *compare {
            let (c2, d) = pymysql.next().expect("pymysql answer");
            assert_eq!(&c2.name, name);
            let err = d["error"].as_str().unwrap_or("");
            // PyMySQL reaches the login (error 1045) exactly when the TLS
            // handshake passed, and fails in it otherwise.
            let reached_login = err.contains("1045");
            assert_eq!(
                reached_login,
                *kind == "authentication",
                "{name}: PyMySQL says {err}"
            );
        }
    }
}

//! A fake PostgreSQL server on 127.0.0.1 that asks every client for a
//! cleartext password, records what it was sent, and refuses the login
//! (SQLSTATE 28P01). The test servers trust every local user, so this is
//! how the tests see which password a client *sent* (from the URL,
//! `PGPASSWORD` or `.pgpass`) and how a refused password is reported.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake server saw on one connection.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The `user` of the startup message.
    pub user: Option<String>,
    /// The `database` of the startup message.
    pub database: Option<String>,
    /// The password sent, or `None` when the client gave up before sending one.
    pub password: Option<String>,
}

/// The running fake server (its threads live as long as the test process).
pub struct FakePostgres {
    /// Its port.
    pub port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
    /// How many connections [`FakePostgres::next`] has handed out.
    taken: AtomicUsize,
}

impl FakePostgres {
    /// Start one on an ephemeral port.
    pub fn start() -> FakePostgres {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let sessions = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sessions = sessions.clone();
                std::thread::spawn(move || {
                    let seen = session(stream);
                    if let Ok(mut l) = sessions.lock() {
                        l.push(seen);
                    }
                });
            }
        });
        FakePostgres {
            port,
            log,
            taken: AtomicUsize::new(0),
        }
    }

    /// The password of every connection so far, in order (after a moment
    /// for the last one to be recorded).
    pub fn received(&self) -> Vec<Option<String>> {
        std::thread::sleep(Duration::from_millis(100));
        self.log
            .lock()
            .map(|l| l.iter().map(|s| s.password.clone()).collect())
            .unwrap_or_default()
    }

    /// The next connection not yet returned by this method, waiting up to
    /// five seconds for it; an empty [`Seen`] when none came.
    pub fn next(&self) -> Seen {
        let index = self.taken.fetch_add(1, Ordering::SeqCst);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Some(seen) = self.log.lock().ok().and_then(|l| l.get(index).cloned()) {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Seen::default()
    }
}

fn read_n(s: &mut TcpStream, n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn be32(bytes: Vec<u8>) -> Option<usize> {
    Some(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize)
}

/// One connection: answer SSL/GSSENC requests with `N`, read the startup
/// message, ask for a cleartext password, read it, refuse it.
fn session(mut s: TcpStream) -> Seen {
    let mut seen = Seen::default();
    let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
    let _ = converse(&mut s, &mut seen);
    seen
}

fn converse(s: &mut TcpStream, seen: &mut Seen) -> Option<()> {
    let startup = loop {
        let len = be32(read_n(s, 4)?)?;
        let body = read_n(s, len.checked_sub(4)?)?;
        let code = be32(body.clone())?;
        if code == 80_877_103 || code == 80_877_104 {
            s.write_all(b"N").ok()?;
            continue;
        }
        break body;
    };
    let parts: Vec<String> = startup
        .get(4..)?
        .split(|b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    for pair in parts.chunks(2) {
        if let [k, v] = pair {
            match k.as_str() {
                "user" => seen.user = Some(v.clone()),
                "database" => seen.database = Some(v.clone()),
                _ => {}
            }
        }
    }
    // AuthenticationCleartextPassword, then the client's PasswordMessage.
    s.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).ok()?;
    if read_n(s, 1)?.first() != Some(&b'p') {
        return None;
    }
    let len = be32(read_n(s, 4)?)?;
    let body = read_n(s, len.checked_sub(4)?)?;
    seen.password =
        Some(String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(&body)).into_owned());
    let user = seen.user.clone().unwrap_or_default();
    let mut fields = Vec::new();
    for (k, v) in [
        (b'S', "FATAL".to_string()),
        (b'V', "FATAL".to_string()),
        (b'C', "28P01".to_string()),
        (
            b'M',
            format!("password authentication failed for user \"{user}\""),
        ),
    ] {
        fields.push(k);
        fields.extend_from_slice(v.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut msg = vec![b'E'];
    msg.extend_from_slice(&u32::try_from(fields.len() + 4).ok()?.to_be_bytes());
    msg.extend_from_slice(&fields);
    s.write_all(&msg).ok()
}

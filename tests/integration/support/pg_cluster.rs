//! A throw-away PostgreSQL cluster with real TLS, for the TLS and masking
//! tests: its own CA (plus a stranger CA nobody trusts), a server
//! certificate for `localhost`, login by client certificate for the role
//! `certuser` (`clientcert=verify-full`), and password (SCRAM) login for
//! everyone else over TCP. It is started with the machine's PostgreSQL
//! binaries (as the `postgres` OS user when the tests run as root) and
//! stopped on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rcgen::{CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The password of every password-login role of the cluster.
pub const PASSWORD: &str = "Right-Pw-4u";

/// Certificates and keys, as PEM files in a private directory.
pub struct Pki {
    /// Where the files are (deleted on drop).
    pub dir: tempfile::TempDir,
    ca_key: KeyPair,
    ca_params: CertificateParams,
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).expect("self-signed").pem();
    (params, key, pem)
}

impl Pki {
    /// `ca.crt`, `stranger.crt`, and `server.crt`/`server.key` for `localhost`.
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ca_params, ca_key, ca_pem) = ca("db-status test CA");
        std::fs::write(dir.path().join("ca.crt"), ca_pem).expect("ca");
        let (_, _, stranger) = ca("a CA nobody trusts");
        std::fs::write(dir.path().join("stranger.crt"), stranger).expect("stranger");
        let pki = Pki {
            dir,
            ca_key,
            ca_params,
        };
        pki.issue("server", vec!["localhost".to_string()], "localhost");
        pki
    }

    /// A file of the PKI.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `NAME.crt` and `NAME.key` (0600), signed by the CA.
    pub fn issue(&self, name: &str, sans: Vec<String>, common_name: &str) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(sans).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).expect("sign");
        let crt = self.path(&format!("{name}.crt"));
        let key_path = self.path(&format!("{name}.key"));
        std::fs::write(&crt, cert.pem()).expect("crt");
        write_private(&key_path, &key.serialize_pem());
        (crt, key_path)
    }

    /// A client certificate for user `cn`.
    pub fn client(&self, cn: &str) -> (PathBuf, PathBuf) {
        self.issue(&format!("client-{cn}"), Vec::new(), cn)
    }
}

/// The running cluster.
pub struct Cluster {
    /// Its TCP port (on localhost).
    pub port: u16,
    /// Its certificates.
    pub pki: Pki,
    data: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

fn euid() -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(1)
    }
    #[cfg(not(unix))]
    {
        1
    }
}

/// The directory of `initdb` and `pg_ctl`.
fn bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Start one, or `None` when the PostgreSQL server binaries are not
    /// installed and `DB_STATUS_TEST_SKIP=initdb` (else the test fails).
    pub fn start() -> Option<Cluster> {
        Cluster::start_with("")
    }

    /// [`Cluster::start`] with extra server options (`-c name=value …`),
    /// e.g. `-c log_connections=on` to count connections in [`Cluster::log`].
    pub fn start_with(extra_options: &str) -> Option<Cluster> {
        let Some(bin) = bindir() else {
            super::environment::unavailable(
                super::environment::Need::Initdb,
                "pg_config --bindir and /usr/lib/postgresql/*/bin have no initdb",
            );
            return None;
        };
        let pki = Pki::new();
        let data = tempfile::tempdir().expect("tempdir");
        let as_postgres = euid() == 0;
        let cluster = Cluster {
            port: free_port(),
            pki,
            data,
            bin,
            as_postgres,
        };
        let root = cluster.data.path();
        for f in ["server.crt", "server.key", "ca.crt"] {
            std::fs::copy(cluster.pki.path(f), root.join(f)).expect("copy cert");
        }
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(root)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot chown {} to postgres", root.display());
        }
        let pgdata = root.join("data");
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(&pgdata)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(
            pgdata.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all certuser 127.0.0.1/32 trust clientcert=verify-full\n\
             hostssl all certuser ::1/128 trust clientcert=verify-full\n\
             host all all 127.0.0.1/32 scram-sha-256\n\
             host all all ::1/128 scram-sha-256\n",
        )
        .expect("pg_hba.conf");
        let options = format!(
            "-c port={} -c listen_addresses=localhost -c unix_socket_directories={} \
             -c ssl=on -c ssl_cert_file={} -c ssl_key_file={} -c ssl_ca_file={} \
             -c fsync=off -c max_connections=20 -c shared_buffers=16MB {extra_options}",
            cluster.port,
            root.display(),
            root.join("server.crt").display(),
            root.join("server.key").display(),
            root.join("ca.crt").display(),
        );
        let out = cluster
            .command("pg_ctl")
            .arg("-D")
            .arg(&pgdata)
            .arg("-l")
            .arg(root.join("log"))
            .args(["-w", "-t", "30", "-o", &options, "start"])
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(root.join("log")).unwrap_or_default()
        );
        cluster.exec(
            "postgres",
            &format!(
                "ALTER ROLE postgres PASSWORD '{PASSWORD}';
                 CREATE ROLE certuser LOGIN;
                 CREATE ROLE wrongcn LOGIN;"
            ),
        );
        // CREATE DATABASE cannot share a (simple-query) transaction.
        cluster.exec("postgres", "CREATE DATABASE appdb");
        Some(cluster)
    }

    /// The server log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("log")).unwrap_or_default()
    }

    /// Run SQL as the superuser over the unix socket.
    pub fn exec(&self, database: &str, sql: &str) {
        let mut config = postgres::Config::new();
        config
            .host_path(self.data.path())
            .port(self.port)
            .user("postgres")
            .dbname(database)
            .connect_timeout(Duration::from_secs(10));
        let mut client = config
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the test cluster: {e}"));
        client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

//! MariaDB/MySQL: a SELECT-only user sees every state, in a read-only
//! transaction (proven by the general log).

use super::*;

// ---------------------------------------------------------------------------
// MariaDB / MySQL

fn my_admin() -> Result<mysql::Conn, mysql::Error> {
    let url = support::mysql_admin_url();
    let opts = mysql::Opts::from_url(&url).expect("DB_STATUS_TEST_MYSQL_URL is not a valid URL");
    let opts = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .prefer_socket(false);
    mysql::Conn::new(opts)
}

fn my_host_port() -> (String, u16) {
    let opts = mysql::Opts::from_url(&support::mysql_admin_url()).expect("valid URL");
    (opts.get_ip_or_hostname().to_string(), opts.get_tcp_port())
}

/// A database and a user with SELECT on one unrelated table only (so it can
/// connect to the database), dropped on drop.
struct MyScratch {
    name: String,
}

const MY_HOSTS: [&str; 3] = ["%", "localhost", "127.0.0.1"];

impl MyScratch {
    fn new() -> Option<MyScratch> {
        use mysql::prelude::Queryable as _;
        let mut admin = match my_admin() {
            Ok(c) => c,
            Err(e) => {
                service_missing(support::Need::Mysql, &e);
                return None;
            }
        };
        let name = unique("dbs_ro");
        admin
            .query_drop(format!(
                "CREATE DATABASE `{name}`; CREATE TABLE `{name}`.`unrelated` (x INT)"
            ))
            .expect("create database");
        for host in MY_HOSTS {
            admin
                .query_drop(format!(
                    "CREATE USER '{name}'@'{host}' IDENTIFIED BY 'ro-pass'; \
                     GRANT SELECT ON `{name}`.`unrelated` TO '{name}'@'{host}'"
                ))
                .expect("create user");
        }
        Some(MyScratch { name })
    }

    fn url(&self) -> String {
        let (host, port) = my_host_port();
        format!("mysql://{0}:ro-pass@{host}:{port}/{0}", self.name)
    }

    fn exec(&self, sql: &str) {
        use mysql::prelude::Queryable as _;
        my_admin()
            .expect("admin")
            .query_drop(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn table_exists(&self) -> bool {
        use mysql::prelude::Queryable as _;
        let n: Option<i64> = my_admin()
            .expect("admin")
            .query_first(format!(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = '{}' AND table_name = 'alembic_version'",
                self.name
            ))
            .expect("information_schema");
        n.unwrap_or(0) > 0
    }
}

impl Drop for MyScratch {
    fn drop(&mut self) {
        use mysql::prelude::Queryable as _;
        if let Ok(mut admin) = my_admin() {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
            for host in MY_HOSTS {
                let _ = admin.query_drop(format!("DROP USER IF EXISTS '{}'@'{host}'", self.name));
            }
        }
    }
}

/// Turns the general log on into the `mysql.general_log` table and puts the
/// previous settings back on drop.
struct GeneralLog {
    output: String,
    on: String,
}

impl GeneralLog {
    fn start() -> GeneralLog {
        use mysql::prelude::Queryable as _;
        let mut admin = my_admin().expect("admin");
        let output: Option<String> = admin
            .query_first("SELECT @@GLOBAL.log_output")
            .expect("log_output");
        let on: Option<String> = admin
            .query_first("SELECT CAST(@@GLOBAL.general_log AS CHAR)")
            .expect("general_log");
        admin
            .query_drop("SET GLOBAL log_output = 'FILE,TABLE'; SET GLOBAL general_log = ON")
            .expect("enable general log");
        GeneralLog {
            output: output.unwrap_or_else(|| "FILE".to_string()),
            on: on.unwrap_or_else(|| "0".to_string()),
        }
    }
}

impl Drop for GeneralLog {
    fn drop(&mut self) {
        use mysql::prelude::Queryable as _;
        if let Ok(mut admin) = my_admin() {
            let on = if self.on == "1" || self.on.eq_ignore_ascii_case("on") {
                "ON"
            } else {
                "OFF"
            };
            let _ = admin.query_drop(format!(
                "SET GLOBAL general_log = {on}; SET GLOBAL log_output = '{}'",
                self.output.replace('\'', "")
            ));
        }
    }
}

#[test]
fn mysql_select_only_user_sees_every_state_in_read_only_transactions() {
    let Some(scratch) = MyScratch::new() else {
        return;
    };
    let log = GeneralLog::start();
    let p = project();
    let url = scratch.url();
    let name = &scratch.name;

    // With no grant that covers the missing table, the server answers
    // "SELECT command denied" rather than "no such table" (it hides what
    // the user may not see), as it does for Alembic's own DESCRIBE: an
    // error with advice, not a guess.
    let out = status(&p, &url);
    out.assert_clean("mysql, no table, table-level grant only");
    assert_eq!(
        state_of(&out),
        (Some(6), "database-error".to_string()),
        "{}",
        out.all()
    );
    assert_eq!(
        out.json()["components"][0]["error"]["kind"],
        "permission-denied"
    );

    // SELECT on the whole database (still read-only): a clean "no table";
    // the database holds the table `unrelated`, so it is not fresh but
    // unstamped (a populated database without a version table).
    for host in MY_HOSTS {
        scratch.exec(&format!("GRANT SELECT ON `{name}`.* TO '{name}'@'{host}'"));
    }
    let out = status(&p, &url);
    out.assert_clean("mysql, no table");
    assert_eq!(
        state_of(&out),
        (Some(8), "unstamped".to_string()),
        "{}",
        out.all()
    );
    other_commands_work(&p, &url);
    assert!(
        !scratch.table_exists(),
        "db-status created the version table"
    );
    for host in MY_HOSTS {
        scratch.exec(&format!(
            "REVOKE SELECT ON `{name}`.* FROM '{name}'@'{host}'"
        ));
    }

    scratch.exec(&format!(
        "CREATE TABLE `{name}`.alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    ));
    for host in MY_HOSTS {
        scratch.exec(&format!(
            "GRANT SELECT ON `{name}`.alembic_version TO '{name}'@'{host}'"
        ));
    }
    // This database holds `unrelated`, which the user may see: with an empty
    // version table it is unstamped, not fresh.
    let mut cases: Vec<Case> = states()
        .into_iter()
        .map(|(n, rows, code, state)| match n {
            "empty" => (n.to_string(), rows, (Some(8), "unstamped".to_string())),
            _ => (n.to_string(), rows, (Some(code), state.to_string())),
        })
        .collect();
    // Two rows, one an ancestor of the other: Alembic refuses to upgrade.
    let two = vec![REVS[0], REVS[2]];
    cases.push((
        "two rows".to_string(),
        two,
        (Some(6), "database-error".to_string()),
    ));
    let reference = alembic_url(&support::mysql_admin_url(), name);
    for (case, rows, expected) in cases {
        scratch.exec(&format!("DELETE FROM `{name}`.alembic_version"));
        for r in &rows {
            scratch.exec(&format!(
                "INSERT INTO `{name}`.alembic_version VALUES ('{r}')"
            ));
        }
        let out = status(&p, &url);
        out.assert_clean(&format!("mysql, {case}"));
        assert_eq!(state_of(&out), expected, "{case}: {}", out.all());
        assert_agrees_with_alembic(&case, &p, &reference, &out);
        other_commands_work(&p, &url);
    }

    // What the server logged for this user, connection by connection.
    use mysql::prelude::Queryable as _;
    let mut admin = my_admin().expect("admin");
    let entries: Vec<(u64, String, String)> = admin
        .query(format!(
            "SELECT thread_id, command_type, CONVERT(argument USING utf8mb4) \
             FROM mysql.general_log WHERE user_host LIKE '{name}[{name}]%' \
             ORDER BY event_time, thread_id"
        ))
        .expect("read general log");
    drop(log);
    let mut threads: std::collections::BTreeMap<u64, Vec<(String, String)>> = Default::default();
    for (thread, kind, arg) in entries {
        threads.entry(thread).or_default().push((kind, arg));
    }
    assert!(
        threads.len() >= 5,
        "too few connections logged: {threads:?}"
    );
    for (thread, entries) in &threads {
        let mut in_ro = false;
        let mut read_table = false;
        for (kind, arg) in entries {
            if kind != "Query" {
                continue;
            }
            let up = arg.trim().to_ascii_uppercase();
            for bad in [
                "INSERT",
                "UPDATE",
                "DELETE",
                "CREATE",
                "DROP",
                "ALTER",
                "REPLACE",
                "GRANT",
                "COMMIT",
                "SET GLOBAL",
            ] {
                assert!(
                    !up.starts_with(bad),
                    "thread {thread}: a write-like statement: {arg}"
                );
            }
            if up.starts_with("START TRANSACTION READ ONLY") {
                in_ro = true;
            }
            if up.contains("ALEMBIC_VERSION") || up.contains("INFORMATION_SCHEMA") {
                assert!(
                    in_ro,
                    "thread {thread}: `{arg}` ran outside a READ ONLY transaction:\n{entries:?}"
                );
                read_table = true;
            }
        }
        assert!(
            read_table,
            "thread {thread} never read the version table: {entries:?}"
        );
    }
}

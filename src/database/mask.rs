//! The one place that hides passwords in text db-status prints.
//!
//! Two rules, applied by `Secrets::mask`:
//! - **URLs by their structure.** Wherever `scheme://user:password@host…`
//!   appears, the password part is replaced by `***`, split exactly as
//!   SQLAlchemy splits the URL (so an unencoded `@` or `/` in the password is
//!   hidden too). The password need not be known.
//! - **Known passwords as whole tokens.** A password (and its percent-encoded
//!   spellings) is replaced only where it stands as a token of its own:
//!   between spaces, quotes, brackets or URL punctuation. A password `x`
//!   never turns `exist` into `e***ist`. A password equal to a value printed
//!   on purpose (the user, database or host name) is left alone, so
//!   `role "postgres"` stays readable when the password is `postgres`.
//!
//! [`crate::database::DbUrl::masked`] renders a whole URL (SQLAlchemy's
//! `render_as_string(hide_password=True)`); this module masks free text.

use super::url::password_span;

/// Passwords that must not be printed, and values that are printed on
/// purpose even if a password happens to equal them.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    hidden: Vec<String>,
    public: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Secrets({} hidden, {} public)",
            self.hidden.len(),
            self.public.len()
        )
    }
}

/// Characters that end a token: a password touching one of these on both
/// sides stands alone. `*` is included so a neighbouring `***` counts.
fn is_boundary(c: char) -> bool {
    c.is_whitespace() || "\"'`()[]{}<>,;:=@/\\|&?*".contains(c)
}

impl Secrets {
    /// No secrets: [`Secrets::mask`] then hides URL passwords only.
    pub(crate) fn new() -> Secrets {
        Secrets::default()
    }

    /// A password: hidden as given and in its percent-encoded spellings
    /// (how it appears inside a URL).
    pub(crate) fn hide(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        for spelling in [
            secret.to_string(),
            percent_encode(secret, true),
            percent_encode(secret, false),
        ] {
            if !self.hidden.contains(&spelling) {
                self.hidden.push(spelling);
            }
        }
        // Longest first: an encoded spelling may contain the plain one.
        self.hidden.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// A value db-status prints on purpose (user, database, host): a
    /// password equal to it is not masked, since masking would hide the
    /// name itself and the password is no secret from the reader then.
    pub(crate) fn allow(&mut self, value: &str) {
        if !value.is_empty() && !self.public.iter().any(|p| p == value) {
            self.public.push(value.to_string());
        }
    }

    /// `text` with URL passwords and whole-token passwords replaced by `***`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut out = mask_url_passwords(text);
        for secret in &self.hidden {
            if self.public.iter().any(|p| p == secret) {
                continue;
            }
            out = mask_token(&out, secret);
        }
        out
    }
}

/// Hide the password of every `scheme://user:password@…` in `text`.
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        // The scheme: SQLAlchemy's `[\w+]+` right before `://`.
        let scheme_len: usize = rest[..sep]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '+')
            .map(char::len_utf8)
            .sum();
        let after = sep + 3;
        if scheme_len == 0 {
            out.push_str(&rest[..after]);
            rest = &rest[after..];
            continue;
        }
        // The URL runs to the first space or quote.
        let tail = &rest[after..];
        let end = tail
            .find(|c: char| c.is_whitespace() || "\"'`<>".contains(c))
            .unwrap_or(tail.len());
        let url = &tail[..end];
        out.push_str(&rest[..after]);
        match password_span(url) {
            Some((start, stop)) if stop > start => {
                out.push_str(&url[..start]);
                out.push_str("***");
                out.push_str(&url[stop..]);
            }
            _ => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Replace every whole-token occurrence of `secret` in `text`.
fn mask_token(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(found) = text[i..].find(secret) {
        let start = i + found;
        let stop = start + secret.len();
        let before_ok = text[..start].chars().next_back().is_none_or(is_boundary);
        let mut after = text[stop..].chars();
        let after_ok = match after.next() {
            None => true,
            // A sentence may end right after the password.
            Some('.' | '!') => after.next().is_none_or(char::is_whitespace),
            Some(c) => is_boundary(c),
        };
        if before_ok && after_ok {
            out.push_str(&text[i..start]);
            out.push_str("***");
            i = stop;
        } else {
            // Step one character, so overlapping candidates are still seen.
            let step = text[start..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..start + step]);
            i = start + step;
        }
    }
    out.push_str(&text[i..]);
    out
}

/// Every byte but unreserved ASCII as `%XX` (`upper` picks the hex case).
fn percent_encode(s: &str, upper: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            out.push(char::from(b));
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(hidden: &[&str], public: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        for h in hidden {
            s.hide(h);
        }
        for p in public {
            s.allow(p);
        }
        s
    }

    #[test]
    fn only_whole_tokens_are_masked() {
        let s = secrets(&["x"], &[]);
        assert_eq!(
            s.mask("role \"nosuchrole\" does not exist"),
            "role \"nosuchrole\" does not exist"
        );
        assert_eq!(s.mask("password is \"x\""), "password is \"***\"");
        assert_eq!(s.mask("x"), "***");
        assert_eq!(s.mask("got x."), "got ***.");
        assert_eq!(s.mask("x-ray x.509 x_y"), "x-ray x.509 x_y");
        assert_eq!(s.mask("a=x&b=xx"), "a=***&b=xx");
    }

    #[test]
    fn public_names_stay() {
        let s = secrets(&["postgres"], &["postgres", "appdb"]);
        let msg = "password authentication failed for user \"postgres\"";
        assert_eq!(s.mask(msg), msg);
        let s = secrets(&["appdb"], &["postgres", "appdb"]);
        let msg = "database \"appdb\" does not exist";
        assert_eq!(s.mask(msg), msg);
    }

    #[test]
    fn special_characters_and_encodings() {
        let pw = "p@ss:w/rd%";
        let s = secrets(&[pw], &[]);
        assert_eq!(s.mask("sent 'p@ss:w/rd%'"), "sent '***'");
        assert_eq!(s.mask("sent p%40ss%3Aw%2Frd%25"), "sent ***");
        assert_eq!(s.mask("sent p%40ss%3aw%2frd%25"), "sent ***");
        assert_eq!(s.mask("p@ss:w/rd%%"), "p@ss:w/rd%%");
    }

    #[test]
    fn urls_are_masked_by_structure() {
        let s = Secrets::new();
        assert_eq!(
            s.mask("error: unexpected argument 'postgresql://app:S3cr3t@db:5432/x?b=1&a=2' found"),
            "error: unexpected argument 'postgresql://app:***@db:5432/x?b=1&a=2' found"
        );
        // An unencoded `@` leaves part of the password in SQLAlchemy's host.
        assert_eq!(
            s.mask("--url=mysql://app:S3cr@Pa55@127.0.0.1:1/appdb"),
            "--url=mysql://app:***@127.0.0.1:1/appdb"
        );
        // A `/` in the password, a bad port after it.
        assert_eq!(
            s.mask("postgresql://app:pa/ss@h:bad/db"),
            "postgresql://app:***@h:bad/db"
        );
        for unchanged in [
            "postgresql://app@h/db",
            "sqlite:////tmp/x.db",
            "see https://example.org/a:b",
            "://x:y@z",
        ] {
            assert_eq!(s.mask(unchanged), unchanged);
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = secrets(&["hunter2"], &[]);
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}

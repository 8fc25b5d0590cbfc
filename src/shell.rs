//! POSIX shell quoting for the commands db-status prints, so that every
//! recommended command can be pasted as shown.

/// Quote a word for a POSIX shell when it needs it.
pub(crate) fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// An argv as one pasteable command line.
pub(crate) fn join<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("alembic.ini"), "alembic.ini");
        assert_eq!(
            join(&["alembic", "merge", "-m", "merge heads"]),
            "alembic merge -m 'merge heads'"
        );
    }
}

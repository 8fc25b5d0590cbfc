use super::*;

fn lines(revision: u32, down_revision: u32) -> FieldLines {
    FieldLines {
        revision,
        down_revision,
        ..FieldLines::default()
    }
}

fn rel(version: Option<&str>, kind: ReleaseKind) -> Release {
    Release {
        version: version.map(str::to_string),
        kind,
    }
}

#[test]
fn versions_parse_with_marks() {
    assert_eq!(
        parse_versions("26.4.6 (backport), 26.7.0 (main)"),
        vec![
            rel(Some("26.4.6"), ReleaseKind::Backport),
            rel(Some("26.7.0"), ReleaseKind::Main)
        ]
    );
    assert_eq!(
        parse_versions("26.4.6"),
        vec![rel(Some("26.4.6"), ReleaseKind::Main)]
    );
    assert_eq!(
        parse_versions("NEXT_RELEASE_VERSION"),
        vec![rel(None, ReleaseKind::Unreleased)]
    );
}

#[test]
fn comment_beside_identifiers_is_read_in_every_place_backend_ai_puts_it() {
    let p = Pattern::backend_ai();
    let below = "\"\"\"doc\n\nPart of: 1.0.0\n\"\"\"\nrevision = \"a\"\ndown_revision = None\n# Part of: 26.6.0\nbranch_labels = None\n\n\ndef upgrade():\n    # Part of: 9.9.9\n    pass\n";
    assert_eq!(
        read_text(below, &lines(5, 6), &p),
        vec![rel(Some("26.6.0"), ReleaseKind::Main)],
        "the docstring and the function body do not count"
    );
    let trailing = "revision = \"a\"  # Part of: 26.9.0\ndown_revision = None\n";
    assert_eq!(
        read_text(trailing, &lines(1, 2), &p),
        vec![rel(Some("26.9.0"), ReleaseKind::Main)]
    );
    let above =
        "import x\n# Part of: NEXT_RELEASE_VERSION\nrevision = \"a\"\ndown_revision = None\n";
    assert_eq!(
        read_text(above, &lines(3, 4), &p),
        vec![rel(None, ReleaseKind::Unreleased)]
    );
    // Backend.AI also writes it right after the docstring, above the imports.
    let header = "\"\"\"doc\n\nRevises: x\n\"\"\"\n\n# Part of: 26.5.0\n\nimport sqlalchemy as sa\n\n# revision identifiers, used by Alembic.\nrevision = \"a\"\ndown_revision = None\n";
    assert_eq!(
        read_text(header, &lines(11, 12), &p),
        vec![rel(Some("26.5.0"), ReleaseKind::Main)]
    );
    let in_string = "revision = \"a\"\ndown_revision = \"# Part of: 1.0\"\n";
    assert_eq!(read_text(in_string, &lines(1, 2), &p), vec![]);
    assert_eq!(read_text("# Part of: 1.0\n", &lines(0, 0), &p), vec![]);
}

#[test]
fn custom_pattern_needs_one_group() {
    assert!(Pattern::new(r"^#\s*Release\s+\S+$").is_err());
    assert!(Pattern::new(r"^#\s*(Release)\s+(\S+)$").is_err());
    assert!(Pattern::new(r"(").is_err());
    let p = Pattern::new(r"^#\s*Release:\s*(\S+)").expect("valid");
    assert_eq!(
        read_text(
            "revision = 'a'  # Release: 2.1\ndown_revision = None\n",
            &lines(1, 2),
            &p
        ),
        vec![rel(Some("2.1"), ReleaseKind::Main)]
    );
}

#[test]
fn setting_is_off_unless_configured_or_backend_ai() {
    assert!(matches!(Setting::resolve(None, false), Ok(Setting::Off)));
    assert!(matches!(Setting::resolve(None, true), Ok(Setting::On(_))));
    assert!(matches!(
        Setting::resolve(Some("x(y)"), false),
        Ok(Setting::On(_))
    ));
    assert!(Setting::resolve(Some("xy"), true).is_err());
}

#[test]
fn groups_in_version_order_with_uncommented_first_and_unreleased_last() {
    let a = vec![rel(Some("26.10.0"), ReleaseKind::Main)];
    let b = vec![rel(Some("26.9.0"), ReleaseKind::Main)];
    let bp = vec![
        rel(Some("26.4.6"), ReleaseKind::Backport),
        rel(Some("26.7.0"), ReleaseKind::Main),
    ];
    let u = vec![rel(None, ReleaseKind::Unreleased)];
    let none: Vec<Release> = vec![];
    let lists: Vec<&[Release]> = vec![&u, &a, &b, &bp, &none, &b];
    let g = group(lists);
    assert_eq!(
        describe_groups(&g),
        "no release comment: 1 migration · 26.7.0: 1 · 26.9.0: 2 · 26.10.0: 1 · unreleased: 1"
    );
    assert_eq!(describe(&bp), "26.4.6 (backport), 26.7.0");
    assert!(is_released(&bp) && !is_unreleased(&bp) && is_unreleased(&u));
}

#[test]
fn production_labels() {
    let mut labels = BTreeMap::new();
    assert!(!is_production_label(&labels));
    labels.insert("env".to_string(), "PROD".to_string());
    assert!(is_production_label(&labels));
    labels.insert("env".to_string(), "staging".to_string());
    assert!(!is_production_label(&labels));
}

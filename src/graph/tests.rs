//! Unit tests of the revision map on the trees of the Alembic transcripts
//! (`/work/shared/reference/alembic-transcripts/*.txt`).

use super::*;
use crate::fixture::{Rev, ids, map, rev, scripts};

fn build_err(revs: impl IntoIterator<Item = Rev>) -> GraphError {
    match RevisionMap::build(scripts(revs)) {
        Ok(_) => panic!("expected a build error"),
        Err(e) => e,
    }
}

fn hist(m: &RevisionMap, range: &str) -> Result<Vec<String>, RevisionError> {
    let (lo, hi) = range.split_once(':').unwrap_or((range, ""));
    let lo = (!lo.is_empty()).then_some(lo);
    let hi = (!hi.is_empty()).then_some(hi);
    m.history(lo, hi).map(|v| ids(m, &v))
}

fn rows(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

const CANT: &str = "Can't locate revision identified by";
const MULTI_HEAD: &str = "Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads";

/// Transcript 01: 1a2b3c4d5e6f <- 2b3c4d5e6f70 <- 3c4d5e6f7081.
fn linear() -> RevisionMap {
    map([
        rev("1a2b3c4d5e6f"),
        rev("2b3c4d5e6f70").down(&["1a2b3c4d5e6f"]),
        rev("3c4d5e6f7081").down(&["2b3c4d5e6f70"]),
    ])
}

#[test]
fn linear_heads_bases_history() {
    let m = linear();
    assert_eq!(ids(&m, &m.heads()), ["3c4d5e6f7081"]);
    assert_eq!(ids(&m, &m.bases()), ["1a2b3c4d5e6f"]);
    let all = ["3c4d5e6f7081", "2b3c4d5e6f70", "1a2b3c4d5e6f"];
    assert_eq!(hist(&m, ":").unwrap(), all);
    assert_eq!(hist(&m, "base:head").unwrap(), all);
    assert_eq!(hist(&m, "1a2b3c4d5e6f:2b3c4d5e6f70").unwrap(), &all[1..]);
    assert_eq!(hist(&m, "2b3c:").unwrap(), &all[..2]);
    assert_eq!(hist(&m, ":2b3c").unwrap(), &all[1..]);
    assert_eq!(
        hist(&m, "2b3c4d5e6f70:1a2b3c4d5e6f").unwrap_err().message,
        "Requested range 2b3c4d5e6f70:1a2b3c4d5e6f does not refer to ancestor/descendant revisions along the same branch"
    );
    assert_eq!(
        hist(&m, ":-1").unwrap_err().message,
        "Relative revision -1 didn't produce 1 migrations"
    );
    assert_eq!(hist(&m, "base:+1").unwrap(), ["1a2b3c4d5e6f"]);
    assert_eq!(
        hist(&m, "1a2b+1:").unwrap_err().message,
        format!("{CANT} '1a2b+1'")
    );
    assert_eq!(hist(&m, ":1a2b+1").unwrap(), &all[1..]);
    assert_eq!(hist(&m, ":3c4d-1").unwrap(), &all[1..]);
    // Transcript 08.
    assert_eq!(hist(&m, "-1:").unwrap(), &all[..2]);
    assert_eq!(hist(&m, "-2:").unwrap(), all);
    assert_eq!(hist(&m, "-1:heads").unwrap(), &all[..2]);
    assert_eq!(hist(&m, "1a2b3c4d5e6f:+1").unwrap(), &all[1..]);
    assert_eq!(hist(&m, "1a2b3c4d5e6f:1a2b3c4d5e6f").unwrap(), &all[2..]);
    assert_eq!(
        hist(&m, "2b3c4d5e6f70:base").unwrap_err().message,
        "Requested range 2b3c4d5e6f70:base does not refer to ancestor/descendant revisions along the same branch"
    );
    assert_eq!(hist(&m, "heads:").unwrap(), &all[..1]);
    assert_eq!(hist(&m, "head:").unwrap(), &all[..1]);
    assert!(hist(&m, "base:base").unwrap().is_empty());
    assert!(hist(&m, ":base").unwrap().is_empty());
    assert_eq!(hist(&m, "base:").unwrap(), all);
    assert_eq!(
        hist(&m, "1a2b3c4d5e6f :").unwrap_err().message,
        format!("{CANT} '1a2b3c4d5e6f '")
    );
}

#[test]
fn linear_resolution() {
    let m = linear();
    let r = |s: &str| m.resolve(s).map(|v| ids(&m, &v));
    assert_eq!(r("2b3c").unwrap(), ["2b3c4d5e6f70"]);
    assert_eq!(r("2").unwrap(), ["2b3c4d5e6f70"]);
    assert_eq!(r("head").unwrap(), ["3c4d5e6f7081"]);
    assert_eq!(r("heads").unwrap(), ["3c4d5e6f7081"]);
    assert!(r("base").unwrap().is_empty());
    assert_eq!(r("-1").unwrap(), ["2b3c4d5e6f70"]);
    assert_eq!(r("-2").unwrap(), ["1a2b3c4d5e6f"]);
    assert!(r("-3").unwrap_err().crash);
    assert!(r("-4").unwrap_err().crash);
    assert!(r("").unwrap_err().crash);
    assert_eq!(r("+1").unwrap_err().message, format!("{CANT} '+1'"));
    assert_eq!(r("2b3c+1").unwrap_err().message, format!("{CANT} '2b3c+1'"));
    assert_eq!(r("1a2b3c4d5e6f@head").unwrap(), ["3c4d5e6f7081"]);
    assert!(r("3c4d5e6f7081@-1").unwrap().is_empty());
    assert_eq!(
        r("nosuch@head").unwrap_err().message,
        format!("{CANT} 'nosuch'")
    );
    assert_eq!(r("zz").unwrap_err().message, format!("{CANT} 'zz'"));
}

#[test]
fn linear_current_and_pending() {
    let m = linear();
    let cur = |r: &[&str]| m.current(&rows(r)).map(|v| ids(&m, &v));
    let plan = |r: &[&str]| m.upgrade_plan(&rows(r)).map(|v| ids(&m, &v));
    assert!(cur(&[]).unwrap().is_empty());
    assert_eq!(cur(&["2b3c4d5e6f70"]).unwrap(), ["2b3c4d5e6f70"]);
    assert_eq!(cur(&["2b3c"]).unwrap(), ["2b3c4d5e6f70"]);
    assert_eq!(
        cur(&["1a2b3c4d5e6f", "2b3c4d5e6f70"]).unwrap(),
        ["2b3c4d5e6f70"]
    );
    assert_eq!(
        cur(&["deadbeef0000"]).unwrap_err().message,
        format!("{CANT} 'deadbeef0000'")
    );
    assert_eq!(
        plan(&[]).unwrap(),
        ["1a2b3c4d5e6f", "2b3c4d5e6f70", "3c4d5e6f7081"]
    );
    assert_eq!(plan(&["2b3c4d5e6f70"]).unwrap(), ["3c4d5e6f7081"]);
    assert!(plan(&["3c4d5e6f7081"]).unwrap().is_empty());
    assert_eq!(
        plan(&["1a2b3c4d5e6f", "2b3c4d5e6f70"]).unwrap_err().message,
        "Requested revision 2b3c4d5e6f70 overlaps with other requested revisions 1a2b3c4d5e6f"
    );
    assert_eq!(
        plan(&["deadbeef0000"]).unwrap_err().message,
        format!("{CANT} 'deadbeef0000'")
    );
}

/// Transcript 02: ae1 <- ae2 <- ae3, be2 spliced onto ae2.
fn two_heads() -> [Rev; 4] {
    [
        rev("ae1000000001"),
        rev("ae1000000002").down(&["ae1000000001"]),
        rev("ae1000000003").down(&["ae1000000002"]),
        rev("be2000000001").down(&["ae1000000002"]),
    ]
}

#[test]
fn two_heads_transcript() {
    let m = map(two_heads());
    assert_eq!(ids(&m, &m.heads()), ["ae1000000003", "be2000000001"]);
    assert!(m.is_branch_point(1));
    assert_eq!(
        hist(&m, ":").unwrap(),
        [
            "ae1000000003",
            "be2000000001",
            "ae1000000002",
            "ae1000000001"
        ]
    );
    assert_eq!(
        hist(&m, "ae1000000002:").unwrap(),
        ["ae1000000003", "be2000000001", "ae1000000002"]
    );
    assert_eq!(
        hist(&m, ":be2000000001").unwrap(),
        ["be2000000001", "ae1000000002", "ae1000000001"]
    );
    assert_eq!(
        hist(&m, "ae1000000003:be2000000001").unwrap_err().message,
        "Requested range ae1000000003:be2000000001 does not refer to ancestor/descendant revisions along the same branch"
    );
    assert_eq!(hist(&m, "base:head").unwrap_err().message, MULTI_HEAD);
    assert_eq!(m.resolve("head").unwrap_err().message, MULTI_HEAD);
    assert_eq!(
        m.resolve("ae10").unwrap_err().message,
        format!("{CANT} 'ae10'")
    );
    assert_eq!(
        ids(&m, &m.resolve("-1").unwrap()),
        ["ae1000000002", "ae1000000002"]
    );
    assert_eq!(
        ids(&m, &m.upgrade_plan(&rows(&["ae1000000003"])).unwrap()),
        ["be2000000001"]
    );
    assert_eq!(hist(&m, "ae1000000003:").unwrap(), ["ae1000000003"]);
    // After the merge on top: pending is be2 then the merge.
    let merged = map(two_heads()
        .into_iter()
        .chain([rev("ee3000000001").down(&["ae1000000003", "be2000000001"])]));
    assert!(merged.is_merge_point(4));
    assert_eq!(
        ids(
            &merged,
            &merged.upgrade_plan(&rows(&["ae1000000003"])).unwrap()
        ),
        ["be2000000001", "ee3000000001"]
    );
    assert_eq!(
        ids(
            &merged,
            &merged
                .current(&rows(&["ae1000000003", "be2000000001"]))
                .unwrap()
        ),
        ["ae1000000003", "be2000000001"]
    );
    assert_eq!(merged.resolve("-1").unwrap_err().message, "Ambiguous walk");
}

/// Transcript 04: a dependency on another branch's head.
fn depends() -> RevisionMap {
    map([
        rev("0e1000000001").labels(&["other"]),
        rev("0e2000000002").down(&["0e1000000001"]),
        rev("d1000000000a"),
        rev("d2000000000b").down(&["d1000000000a"]),
        rev("d3000000000c")
            .down(&["d2000000000b"])
            .deps(&["0e2000000002"]),
    ])
}

#[test]
fn depends_on_transcript() {
    let m = depends();
    assert_eq!(ids(&m, &m.heads()), ["0e2000000002", "d3000000000c"]);
    assert_eq!(ids(&m, &m.real_heads()), ["d3000000000c"]);
    assert_eq!(m.labels(1), ["other"]);
    assert_eq!(m.labels(0), ["other"]);
    assert!(m.labels(4).is_empty());
    let all = [
        "d3000000000c",
        "d2000000000b",
        "d1000000000a",
        "0e2000000002",
        "0e1000000001",
    ];
    assert_eq!(hist(&m, ":").unwrap(), all);
    assert_eq!(hist(&m, ":d3000000000c").unwrap(), all);
    assert_eq!(hist(&m, "d2000000000b:").unwrap(), &all[..2]);
    assert!(hist(&m, "0e2000000002:").unwrap_err().crash);
    assert!(hist(&m, "0e1000000001:d3000000000c").unwrap_err().crash);
    assert_eq!(m.resolve("head").unwrap_err().message, MULTI_HEAD);
    assert_eq!(ids(&m, &m.resolve("other@head").unwrap()), ["0e2000000002"]);
    assert_eq!(ids(&m, &m.resolve("other").unwrap()), ["0e1000000001"]);
    assert_eq!(ids(&m, &m.resolve("heads").unwrap()), ["d3000000000c"]);
    assert_eq!(
        ids(&m, &m.upgrade_plan(&rows(&["d2000000000b"])).unwrap()),
        ["0e1000000001", "0e2000000002", "d3000000000c"]
    );
    assert_eq!(
        ids(&m, &m.current(&rows(&["d3000000000c"])).unwrap()),
        ["0e2000000002", "d3000000000c"]
    );
    assert_eq!(
        ids(&m, &m.current(&rows(&["d2000000000b"])).unwrap()),
        ["d2000000000b"]
    );
    // A label as dependency resolves to the declaring revision.
    let l = map([
        rev("0e1000000001").labels(&["other"]),
        rev("d1000000000a").deps(&["other"]),
    ]);
    assert_eq!(l.dependencies(1), &[0]);
}

#[test]
fn dependency_on_ancestor_changes_order() {
    // Transcript 04: d4 depends on its own ancestor d1 -> d1 printed last.
    let tree = [
        rev("0e1000000001").labels(&["other"]),
        rev("0e2000000002").down(&["0e1000000001"]),
        rev("0e3000000003").down(&["0e2000000002"]),
        rev("d1000000000a"),
        rev("d2000000000b").down(&["d1000000000a"]),
        rev("d3000000000c")
            .down(&["d2000000000b"])
            .deps(&["0e2000000002"]),
        rev("d4000000000d")
            .down(&["d3000000000c"])
            .deps(&["d1000000000a"]),
    ];
    let m = map(tree.clone());
    let order = [
        "0e3000000003",
        "d4000000000d",
        "d3000000000c",
        "d2000000000b",
        "0e2000000002",
        "0e1000000001",
        "d1000000000a",
    ];
    assert_eq!(hist(&m, ":").unwrap(), order);
    assert_eq!(ids(&m, &m.heads()), ["0e3000000003", "d4000000000d"]);
    // d5 depends on the label `other` (its declaring revision 0e1).
    let m = map(tree
        .into_iter()
        .chain([rev("d5000000000e").down(&["d4000000000d"]).deps(&["other"])]));
    assert_eq!(ids(&m, &m.real_heads()), ["0e3000000003", "d5000000000e"]);
    assert_eq!(
        hist(&m, ":").unwrap(),
        [
            "0e3000000003",
            "d5000000000e",
            "d4000000000d",
            "d3000000000c",
            "d2000000000b",
            "0e2000000002",
            "0e1000000001",
            "d1000000000a"
        ]
    );
}

#[test]
fn load_order_breaks_ties() {
    // Transcript 12.
    let m = map([
        rev("ffff00000001"),
        rev("ffff00000002").down(&["ffff00000001"]),
        rev("aaaa00000002").down(&["aaaa00000001"]),
        rev("aaaa00000001"),
    ]);
    assert_eq!(ids(&m, &m.heads()), ["ffff00000002", "aaaa00000002"]);
    assert_eq!(
        hist(&m, ":").unwrap(),
        [
            "ffff00000002",
            "ffff00000001",
            "aaaa00000002",
            "aaaa00000001"
        ]
    );
    let merged = map([
        rev("ffff00000001"),
        rev("ffff00000002").down(&["ffff00000001"]),
        rev("aaaa00000002").down(&["aaaa00000001"]),
        rev("eeee00000001").down(&["aaaa00000002", "ffff00000002"]),
        rev("aaaa00000001"),
    ]);
    assert_eq!(
        hist(&merged, ":").unwrap(),
        [
            "eeee00000001",
            "aaaa00000002",
            "aaaa00000001",
            "ffff00000002",
            "ffff00000001"
        ]
    );
}

#[test]
fn labels_propagate_and_resolve() {
    // Transcript 03-like: label on the tip flows down to the root.
    let chain = [
        rev("0a0000000001"),
        rev("0a0000000002").down(&["0a0000000001"]),
        rev("0a0000000003")
            .down(&["0a0000000002"])
            .labels(&["late"]),
    ];
    let m = map(chain.clone());
    assert_eq!(m.labels(0), ["late"]);
    assert_eq!(m.labels(1), ["late"]);
    // A side branch at 0a..01 stops the downward flow there.
    let m = map(chain
        .into_iter()
        .chain([rev("0b0000000001").down(&["0a0000000001"])]));
    assert!(m.labels(0).is_empty());
    assert_eq!(m.labels(1), ["late"]);
    assert_eq!(ids(&m, &m.resolve("late@head").unwrap()), ["0a0000000003"]);
    assert_eq!(ids(&m, &m.resolve("lat").unwrap()), ["0a0000000003"]);
    assert_eq!(
        m.resolve("late@0b0000000001").unwrap_err().message,
        format!("{CANT} '0b0000000001'")
    );
    // Merge below two labelled roots gets both labels (sorted).
    let m = map([
        rev("aaaa00000001").labels(&["lbl"]),
        rev("ffff00000001").labels(&["r2a"]),
        rev("ffff00000002").down(&["aaaa00000001", "ffff00000001"]),
    ]);
    assert_eq!(m.labels(2), ["lbl", "r2a"]);
}

#[test]
fn construction_errors() {
    let e = build_err([rev("ab-cd")]);
    assert_eq!(e.kind, GraphErrorKind::BadIdentifier);
    assert_eq!(
        e.message,
        "Character(s) '-' not allowed in revision identifier 'ab-cd'"
    );
    let e = build_err([rev("a@b+c")]);
    assert_eq!(
        e.message,
        "Character(s) '+, @' not allowed in revision identifier 'a@b+c'"
    );
    let e = build_err([rev("ffff00000009").down(&["ffff00000009"])]);
    assert_eq!(
        e.message,
        "Self-loop is detected in revisions (ffff00000009)"
    );
    let e = build_err([rev("ffff00000009").deps(&["ffff00000009"])]);
    assert_eq!(
        e.message,
        "Dependency self-loop is detected in revisions (ffff00000009)"
    );
    let e = build_err([
        rev("aaaa00000001"),
        rev("c2c2c2c2c2c2").down(&["c1c1c1c1c1c1"]),
        rev("c1c1c1c1c1c1").down(&["c2c2c2c2c2c2"]),
    ]);
    assert_eq!(
        e.message,
        "Cycle is detected in revisions (c1c1c1c1c1c1, c2c2c2c2c2c2)"
    );
    let e = build_err([
        rev("aaaa00000001"),
        rev("d1d1d1d1d1d1")
            .down(&["aaaa00000001"])
            .deps(&["d2d2d2d2d2d2"]),
        rev("d2d2d2d2d2d2")
            .down(&["aaaa00000001"])
            .deps(&["d1d1d1d1d1d1"]),
    ]);
    assert_eq!(
        e.message,
        "Dependency cycle is detected in revisions (aaaa00000001, d1d1d1d1d1d1, d2d2d2d2d2d2)"
    );
    let e = build_err([
        rev("aaaa00000001").labels(&["x"]),
        rev("bbbb00000001").labels(&["x"]),
    ]);
    assert_eq!(e.kind, GraphErrorKind::LabelClash);
    assert_eq!(
        e.message,
        "Branch name 'x' in revision bbbb00000001 already used by revision aaaa00000001"
    );
    let e = build_err([rev("bbbb00000001").labels(&["bbbb00000001"])]);
    assert_eq!(e.kind, GraphErrorKind::LabelClash);
    let e = build_err([rev("ffff00000004").down(&["deadbeef0000"])]);
    assert_eq!(e.kind, GraphErrorKind::MissingRevision);
    assert!(e.message.contains("deadbeef0000") && e.message.contains("ffff00000004"));
    let e = build_err([rev("ffff00000004").deps(&["nope00000000"])]);
    assert_eq!(e.kind, GraphErrorKind::MissingRevision);
    assert!(e.message.contains("nope00000000"));
    // A comma string is one id, not two.
    let e = build_err([
        rev("aaaa00000003"),
        rev("ffff00000001"),
        rev("ffff00000003").down(&["aaaa00000003,ffff00000001"]),
    ]);
    assert_eq!(e.kind, GraphErrorKind::MissingRevision);
}

#[test]
fn duplicates_warn_and_list_twice() {
    let (m, warnings) = match RevisionMap::build(scripts([
        rev("ffff00000001"),
        rev("ffff00000007").down(&["ffff00000001"]),
        rev("ffff00000007").down(&["ffff00000001"]),
    ])) {
        Ok(x) => x,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        warnings,
        ["Revision ffff00000007 is present more than once"]
    );
    assert_eq!(m.len(), 2);
    assert_eq!(ids(&m, &m.heads()), ["ffff00000007", "ffff00000007"]);
    assert_eq!(hist(&m, ":").unwrap(), ["ffff00000007", "ffff00000001"]);
}

#[test]
fn long_chain_is_iterative() {
    const N: usize = 100_000;
    let names: Vec<String> = (0..N).map(|i| format!("r{i:011}")).collect();
    let m = map(names.iter().enumerate().map(|(i, id)| match i {
        0 => rev(id).labels(&["main"]),
        _ => rev(id).down(&[&names[i - 1]]),
    }));
    assert_eq!(m.heads(), [N - 1]);
    assert_eq!(m.labels(N / 2), ["main"]);
    let h = m.history(None, None).unwrap();
    assert_eq!(h.len(), N);
    assert_eq!(h.first(), Some(&(N - 1)));
    let plan = m.upgrade_plan(&[names[10].clone()]).unwrap();
    assert_eq!(plan.len(), N - 11);
    assert_eq!(m.current(&[names[N - 1].clone()]).unwrap(), [N - 1]);
    assert_eq!(m.resolve("-5").unwrap(), [N - 6]);
}

#[test]
fn relative_regex() {
    use super::walk::relative_match;
    let s = |x: &str| Some(x.to_string());
    assert_eq!(relative_match("+1"), Some((None, None, "+1".to_string())));
    assert_eq!(
        relative_match("ae10+2"),
        Some((None, s("ae10"), "+2".to_string()))
    );
    assert_eq!(
        relative_match("lbl@+1"),
        Some((s("lbl"), None, "+1".to_string()))
    );
    assert_eq!(
        relative_match("a@b@-3x"),
        Some((s("a@b"), None, "-3".to_string()))
    );
    assert_eq!(relative_match("heads"), None);
    assert_eq!(relative_match("ab-"), None);
}

/// Python's `int()` and `\d` in relative revisions: Unicode digits count, and
/// `int()` strips Unicode whitespace. Expected answers from Alembic 1.20.1's
/// `RevisionMap.get_revisions` and `iterate_revisions(s, "base",
/// inclusive=True, assert_relative_length=False)` on the same three revisions.
#[test]
fn relative_numbers_follow_python_int() {
    let m = map([rev("a"), rev("b").down(&["a"]), rev("c").down(&["b"])]);
    let r = |s: &str| m.resolve(s).map(|v| ids(&m, &v));
    let walk = |s: &str| hist(&m, &format!(":{s}"));
    let no_one = "Relative revision -1 didn't produce 1 migrations";
    assert_eq!(r("-\u{661}").unwrap(), ["b"]);
    assert_eq!(walk("-\u{661}").unwrap_err().message, no_one);
    assert_eq!(r("\u{3000}-1").unwrap(), ["b"]);
    assert_eq!(walk("\u{3000}-1").unwrap(), ["b", "a"]);
    assert_eq!(r("-1\u{3000}").unwrap(), ["b"]);
    assert_eq!(walk("-1\u{3000}").unwrap_err().message, no_one);
    assert!(r("c@-\u{661}").unwrap().is_empty());
    assert_eq!(walk("c@-\u{661}").unwrap_err().message, no_one);
    assert_eq!(walk("heads-\u{661}").unwrap(), ["b", "a"]);
    assert!(r("\u{662}").is_err());
}

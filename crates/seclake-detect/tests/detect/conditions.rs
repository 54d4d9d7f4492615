//! Condition forms and search shapes, run over the CloudTrail rows.

use crate::support::{dedent, hits};

const SEARCHES: &str = "
    sel_console:
      eventName: ConsoleLogin
    sel_mallory:
      userIdentity.userName: mallory
    filter_failed:
      responseElements.ConsoleLogin: Failure
    _unused:
      eventName: StopLogging
";

async fn with(condition: &str) -> Vec<String> {
    hits(&format!("{}\ncondition: {condition}", dedent(SEARCHES))).await
}

#[tokio::test]
async fn and_or_not() {
    assert_eq!(with("sel_console and not filter_failed").await, ["e01"]);
    assert_eq!(
        with("sel_console or sel_mallory").await,
        ["e01", "e02", "e05", "e06"]
    );
    assert_eq!(with("not sel_console and not sel_mallory").await.len(), 9);
}

#[tokio::test]
async fn parentheses_change_grouping() {
    // `and` binds tighter: sel_console or (sel_mallory and not sel_console).
    assert_eq!(
        with("sel_console or sel_mallory and not sel_console").await,
        ["e01", "e02", "e05", "e06"]
    );
    assert!(
        with("(sel_console or sel_mallory) and not sel_console and not sel_mallory")
            .await
            .is_empty()
    );
    assert!(with("not (sel_console or sel_mallory) and _unused")
        .await
        .is_empty());
    assert_eq!(
        with("(sel_console and filter_failed) or _unused").await,
        ["e02", "e06"]
    );
}

#[tokio::test]
async fn not_matches_rows_without_the_field() {
    // Only e04 has an errorCode; every other row lacks it and matches.
    let d = "selection:\n  errorCode: AccessDenied\ncondition: not selection";
    assert_eq!(hits(d).await.len(), 12);
    let d = "selection:\n  userAgent|contains: aws-cli\ncondition: not selection";
    assert_eq!(hits(d).await, ["e01", "e02", "e04", "e06", "e07", "e12"]);
}

#[tokio::test]
async fn one_of_and_all_of_patterns() {
    assert_eq!(with("1 of sel_*").await, ["e01", "e02", "e05", "e06"]);
    assert!(with("all of sel_*").await.is_empty());
    assert_eq!(
        with("1 of sel_* and not 1 of filter_*").await,
        ["e01", "e05", "e06"]
    );
}

#[tokio::test]
async fn them_leaves_out_underscore_searches() {
    // `_unused` (StopLogging, e06) is not part of `them`.
    assert_eq!(with("1 of them").await, ["e01", "e02", "e05", "e06"]);
    let d =
        "a:\n  eventName: ConsoleLogin\nb:\n  userIdentity.type: IAMUser\ncondition: all of them";
    assert_eq!(hits(d).await, ["e02"]);
    let d = "a:\n  eventName: StopLogging\n_b:\n  eventName: ConsoleLogin\ncondition: 1 of them";
    assert_eq!(hits(d).await, ["e06"]);
}

#[tokio::test]
async fn a_list_of_conditions_is_any_of_them() {
    let d = format!(
        "{}\ncondition:\n  - sel_mallory and _unused\n  - filter_failed",
        dedent(SEARCHES)
    );
    assert_eq!(hits(&d).await, ["e02", "e06"]);
}

#[tokio::test]
async fn lists_of_maps_are_alternatives_and_maps_conjunctions() {
    let d = "s:\n  - eventName: StopLogging\n  - userIdentity.type: Root\ncondition: s";
    assert_eq!(hits(d).await, ["e01", "e06"]);
    let d = "s:\n  eventName: ConsoleLogin\n  userIdentity.type: Root\ncondition: s";
    assert_eq!(hits(d).await, ["e01"]);
}

#[tokio::test]
async fn keywords_search_the_event_text() {
    // In a JSON column (requestParameters), case-insensitively.
    assert_eq!(
        hits("keywords:\n  - secret-logs\ncondition: keywords").await,
        ["e03"]
    );
    assert_eq!(
        hits("keywords:\n  - STOPLOGGING\n  - tmp-bucket\ncondition: keywords").await,
        ["e04", "e06"]
    );
    assert_eq!(
        hits("k:\n  '|all':\n    - aws-cli\n    - PYTHON\ncondition: k").await,
        ["e03"]
    );
    assert_eq!(
        hits("k: 'AKIAEXAMPLE?'\ncondition: k").await,
        ["e05", "e13"]
    );
    assert!(hits("k:\n  - nowhere-to-be-found\ncondition: k")
        .await
        .is_empty());
    // In struct members listed as keyword fields (userIdentity.arn).
    assert_eq!(
        hits("k:\n  - assumed-role/adminrole\nf:\n  eventName: StopLogging\ncondition: k or f")
            .await,
        ["e03", "e06"]
    );
}

//! Correlation rules (`tests/correlations`) run for real over CloudTrail
//! rows written to a temporary lake: which groups fire in which bucket,
//! with which counts, for every correlation type; thresholds just met and
//! just missed; events that straddle a bucket boundary; and runs over
//! overlapping windows that record each alert once.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use seclake_detect::alerts::correlation_alert_id;
use seclake_detect::correlation::{Correlated, Group};

use crate::correlation_support::*;
#[tokio::test]
async fn event_count_fires_at_its_threshold_and_not_below() {
    let lake = TestLake::with(&alice_and_bob_failures()).await;
    let ids = lake.row_ids().await;
    let w = window("05:00", "07:00");
    let c = correlation(BRUTE_FORCE, |_| {});
    let groups = lake.groups(&c, w).await;
    // gte 3: alice's three failures; bob's two are one short.
    assert_eq!(
        summary(&groups),
        [fired("05:00", &["userIdentity.userName=alice"], 3)]
    );
    let alice = &groups[0];
    assert_eq!(alice.bucket, window("05:00", "06:00"));
    assert!(!alice.open);
    assert_eq!(
        (alice.events, alice.first, alice.last),
        (3, at("05:05"), at("05:40"))
    );
    assert_eq!(alice.first_row_id, ids["a1"]);
    assert_eq!(
        (alice.table.as_str(), alice.log_type),
        ("aws_cloudtrail", "AWS.CloudTrail")
    );
    let ips = seclake_detect::alerts::indicator_columns()
        .position(|c| c == "p_any_ip_addresses")
        .unwrap();
    assert_eq!(alice.indicators[ips], ["203.0.113.1", "203.0.113.2"]);

    // The same rows delivered again are the same events.
    lake.write("events.jsonl", &alice_and_bob_failures()).await;
    assert_eq!(lake.groups(&c, w).await, groups);

    for (condition, expected) in [
        (vec![("gte", 4)], vec![]),
        (
            vec![("gt", 2)],
            vec![fired("05:00", &["userIdentity.userName=alice"], 3)],
        ),
        (
            vec![("eq", 2)],
            vec![fired("05:00", &["userIdentity.userName=bob"], 2)],
        ),
        (
            vec![("gte", 2), ("lt", 3)],
            vec![fired("05:00", &["userIdentity.userName=bob"], 2)],
        ),
        (
            vec![("neq", 0)],
            vec![
                fired("05:00", &["userIdentity.userName=alice"], 3),
                fired("05:00", &["userIdentity.userName=bob"], 2),
            ],
        ),
    ] {
        let c = correlation(BRUTE_FORCE, |c| c.condition = ops(&condition));
        assert_eq!(
            summary(&lake.groups(&c, w).await),
            expected,
            "{condition:?}"
        );
    }
    // Without group-by, every failure counts together.
    let c = correlation(BRUTE_FORCE, |c| c.group_by.clear());
    assert_eq!(summary(&lake.groups(&c, w).await), [fired("05:00", &[], 5)]);
}

#[tokio::test]
async fn value_count_counts_distinct_values_per_group() {
    let listing =
        |id: &str, hm: &str, user: &str, ip: &str| event(id, hm, "ListBuckets", user, ip, "");
    let lake = TestLake::with(&[
        listing("a1", "05:01", "alice", "10.0.0.1"),
        listing("a2", "05:02", "alice", "10.0.0.2"),
        listing("a3", "05:03", "alice", "10.0.0.2"),
        listing("a4", "05:04", "alice", "10.0.0.3"),
        listing("b1", "05:01", "bob", "10.0.0.1"),
        listing("b2", "05:02", "bob", "10.0.0.1"),
        listing("b3", "05:03", "bob", "10.0.0.2"),
    ])
    .await;
    let w = window("05:00", "06:00");
    let groups = lake.groups(&correlation(SPRAWL, |_| {}), w).await;
    // Alice: four listings from three addresses; bob: three from two.
    assert_eq!(
        summary(&groups),
        [fired("05:00", &["userIdentity.userName=alice"], 3)]
    );
    assert_eq!(groups[0].events, 4);
    let two = correlation(SPRAWL, |c| c.condition = ops(&[("gte", 2)]));
    assert_eq!(
        summary(&lake.groups(&two, w).await),
        [
            fired("05:00", &["userIdentity.userName=alice"], 3),
            fired("05:00", &["userIdentity.userName=bob"], 2),
        ]
    );
}

#[tokio::test]
async fn temporal_needs_every_rule_and_temporal_ordered_their_order() {
    let listing =
        |id: &str, hm: &str, user: &str| event(id, hm, "ListBuckets", user, "10.0.0.1", "");
    let stop = |id: &str, hm: &str, user: &str| event(id, hm, "StopLogging", user, "10.0.0.1", "");
    let lake = TestLake::with(&[
        // alice: listing, then stop.
        listing("a1", "05:10", "alice"),
        stop("a2", "05:30", "alice"),
        // bob: stop, then listing.
        stop("b1", "05:10", "bob"),
        listing("b2", "05:30", "bob"),
        // dave: stop, listing, stop: a listing is followed by a stop.
        stop("d1", "05:05", "dave"),
        listing("d2", "05:10", "dave"),
        stop("d3", "05:20", "dave"),
        // erin: only a listing.
        listing("e1", "05:10", "erin"),
        // frank: both, in two buckets.
        listing("f1", "05:50", "frank"),
        stop("f2", "06:10", "frank"),
    ])
    .await;
    let w = window("05:00", "07:00");
    let user = |u: &str| format!("userIdentity.userName={u}");
    let temporal = lake.groups(&correlation(TEMPORAL, |_| {}), w).await;
    assert_eq!(
        summary(&temporal),
        ["alice", "bob", "dave"].map(|u| fired("05:00", &[&user(u)], 2))
    );
    let ordered = lake.groups(&correlation(ORDERED, |_| {}), w).await;
    assert_eq!(
        summary(&ordered),
        ["alice", "dave"].map(|u| fired("05:00", &[&user(u)], 2))
    );
    // One of the two rules is enough with `gte: 1`: everyone's buckets.
    let one = correlation(TEMPORAL, |c| c.condition = ops(&[("gte", 1)]));
    assert_eq!(lake.groups(&one, w).await.len(), 6);
}

#[tokio::test]
async fn aliases_group_fields_that_have_other_names_in_other_rules() {
    let listing = |id: &str, user: &str| event(id, "05:10", "ListBuckets", user, "10.0.0.1", "");
    let key_for = |id: &str, by: &str, target: &str| {
        let extra = format!(r#","requestParameters":{{"userName":"{target}"}}"#);
        event(id, "05:20", "CreateAccessKey", by, "10.0.0.9", &extra)
    };
    let lake = TestLake::with(&[
        listing("a1", "alice"),
        key_for("k1", "mallory", "alice"),
        listing("c1", "carol"),
        key_for("k2", "mallory", "dave"),
    ])
    .await;
    let groups = lake
        .groups(&correlation(ALIASED, |_| {}), window("05:00", "06:00"))
        .await;
    assert_eq!(summary(&groups), [fired("05:00", &["user=alice"], 2)]);
}

#[tokio::test]
async fn events_straddling_a_bucket_boundary_are_not_counted_together() {
    let mut events = vec![
        failure("a1", "05:50", "alice", "203.0.113.1"),
        failure("a2", "05:55", "alice", "203.0.113.1"),
        failure("a3", "06:05", "alice", "203.0.113.1"),
        failure("a4", "06:10", "alice", "203.0.113.1"),
    ];
    let c = correlation(BRUTE_FORCE, |_| {});
    let w = window("05:00", "07:00");
    // Four failures within 20 minutes, two in each hour: none fires.
    let lake = TestLake::with(&events).await;
    assert_eq!(lake.groups(&c, w).await, []);
    // A third in the second hour fires that hour, from its first event.
    events.push(failure("a5", "06:20", "alice", "203.0.113.1"));
    let lake = TestLake::with(&events).await;
    let groups = lake.groups(&c, w).await;
    assert_eq!(
        summary(&groups),
        [fired("06:00", &["userIdentity.userName=alice"], 3)]
    );
    assert_eq!(groups[0].first_row_id, lake.row_ids().await["a3"]);
}

#[tokio::test]
async fn buckets_fire_when_they_end_or_once_the_count_cannot_fall() {
    let lake = TestLake::with(&alice_and_bob_failures()).await;
    // At 05:45 the 05:00 bucket is still open. `gte 3` already holds for
    // alice, and more failures cannot undo it: it fires.
    let gte = correlation(BRUTE_FORCE, |_| {});
    let early = lake.groups(&gte, window("05:00", "05:45")).await;
    assert_eq!(
        summary(&early),
        [fired("05:00", &["userIdentity.userName=alice"], 3)]
    );
    assert!(early[0].open);
    // `eq 2` holds for bob at 05:45 but another failure could break it:
    // it waits for the bucket to end.
    let eq = correlation(BRUTE_FORCE, |c| c.condition = ops(&[("eq", 2)]));
    assert_eq!(lake.groups(&eq, window("05:00", "05:45")).await, []);
    let ended = lake.groups(&eq, window("05:30", "06:00")).await;
    assert_eq!(
        summary(&ended),
        [fired("05:00", &["userIdentity.userName=bob"], 2)]
    );
    // A window starting late in the bucket reads all of it.
    assert_eq!(
        lake.groups(&gte, window("05:59", "06:01")).await,
        early
            .into_iter()
            .map(|g| Group { open: false, ..g })
            .collect::<Vec<_>>()
    );
}

fn column<'b>(b: &'b RecordBatch, name: &str) -> &'b arrow_array::ArrayRef {
    b.column_by_name(name).unwrap()
}

#[tokio::test]
async fn overlapping_runs_record_each_alert_once() {
    let lake = TestLake::with(&alice_and_bob_failures()).await;
    let ids = lake.row_ids().await;
    let c = correlation(BRUTE_FORCE, |_| {});
    let run = |since: &'static str, until: &'static str| {
        let c = c.clone();
        let lake = &lake;
        async move {
            let eval = lake.eval().await;
            let w = window(since, until);
            eval.run_all(&lake.lake, &[], &[c], &w, at("07:00"))
                .await
                .unwrap()
        }
    };
    // The bucket fires early (open at 05:45)...
    let first = run("05:00", "05:45").await;
    let f = first.correlations[0].as_ref().unwrap();
    assert_eq!((f.new, f.known, f.no_table), (1, 0, false));
    assert!(first.rules.is_empty());
    // ...and no later run, overlapping or not, fires it again.
    for (since, until) in [
        ("05:30", "06:30"),
        ("04:00", "08:00"),
        ("05:59", "06:00"),
        ("05:00", "05:45"),
    ] {
        let again = run(since, until).await;
        let f = again.correlations[0].as_ref().unwrap();
        assert_eq!((f.new, f.known), (0, 1), "{since}..{until}");
        assert_eq!(again.version, None);
    }
    let alert = &first.alerts[0];
    assert_eq!(alert.num_rows(), 1);
    let text = |name: &str| {
        let c = arrow_cast::cast(column(alert, name), &DataType::Utf8).unwrap();
        c.as_string::<i32>().value(0).to_string()
    };
    let id = correlation_alert_id(&c.id, &window("05:00", "06:00"), &["alice"]);
    assert_eq!(text("alert_id"), id);
    assert_eq!(text("p_row_id"), id);
    assert_eq!(text("rule_id"), "3a7c9e51-0b2d-4f68-a1c3-5e7f9b0d2c46");
    assert_eq!(text("rule_title"), BRUTE_FORCE);
    assert_eq!(text("rule_level"), "medium");
    assert_eq!(text("matched_row_id"), ids["a1"]);
    assert_eq!(text("table_name"), "aws_cloudtrail");
    assert_eq!(
        text("correlation_group"),
        r#"{"userIdentity.userName":"alice"}"#
    );
    let count = column(alert, "correlation_count").as_primitive::<Int64Type>();
    assert_eq!(count.value(0), 3);
    let time = |name: &str| {
        column(alert, name)
            .as_primitive::<TimestampMicrosecondType>()
            .value(0)
    };
    assert_eq!(time("p_event_time"), at("05:00").0);
    assert_eq!(time("fired_at"), at("07:00").0);

    // One row in `_alerts`, however many runs.
    let eval = lake.eval().await;
    let df = eval
        .engine()
        .plan("SELECT alert_id FROM _alerts")
        .await
        .unwrap();
    assert_eq!(df.count().await.unwrap(), 1);

    // Another group in the same bucket is a new alert.
    lake.write(
        "late.jsonl",
        &[failure("b3", "05:50", "bob", "198.51.100.9")],
    )
    .await;
    let late = run("05:00", "07:00").await;
    let f = late.correlations[0].as_ref().unwrap();
    assert_eq!((f.new, f.known), (1, 1));
}

#[tokio::test]
async fn a_lake_without_the_tables_has_nothing_to_correlate() {
    let lake = TestLake::new().await;
    let c = correlation(TEMPORAL, |_| {});
    let got = lake
        .eval()
        .await
        .correlate(&c.compiled, &window("05:00", "06:00"))
        .await;
    assert_eq!(got.unwrap(), Correlated::NoTable);
}

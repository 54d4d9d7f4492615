//! `docs/log-types/` is generated from the registry; this test fails when
//! it is stale (`SECLAKE_BLESS=1` regenerates it).

mod common;

use std::fs;

use common::{blessing, repo_root};
use seclake_registry::docs::{markdown_index, markdown_page};

#[test]
fn log_type_docs_are_up_to_date() {
    let dir = repo_root().join("docs/log-types");
    let mut pages = vec![(
        "README.md".to_string(),
        markdown_index(seclake_registry::all()),
    )];
    for t in seclake_registry::all() {
        pages.push((format!("{}.md", t.name()), markdown_page(t)));
    }
    if blessing() {
        fs::create_dir_all(&dir).unwrap();
        for entry in fs::read_dir(&dir).unwrap() {
            fs::remove_file(entry.unwrap().path()).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (name, text) in &pages {
        let path = dir.join(name);
        if blessing() {
            fs::write(&path, text).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name.clone());
        }
    }
    let on_disk = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty(),
        "stale docs: {stale:?}; run SECLAKE_BLESS=1 cargo test -p seclake-registry"
    );
    assert_eq!(
        on_disk,
        pages.len(),
        "docs/log-types has pages for unregistered types"
    );
}

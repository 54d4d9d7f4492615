//! The Imperva log API poller against a real HTTP server on 127.0.0.1: a
//! small log repository that checks basic authentication and serves
//! `logs.index` and log files built the way Imperva builds them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use seclake_imperva::build::{self, Body, Customer};
use seclake_lake::Lake;
use seclake_sources::imperva::{ImpervaOptions, ImpervaSource, DEFAULT_MAX_FILE_BYTES};
use seclake_sources::inputs::Input;

const ID: &str = "api-id-1";
const KEY: &str = "api-key-secret";

/// What a path answers.
#[derive(Clone)]
enum Reply {
    Body(Vec<u8>),
    /// Claims this `Content-Length` and sends nothing.
    Claims(u64),
    /// Zeros with no `Content-Length`, until the client hangs up.
    Endless,
}

/// The repository: paths under `/123456_45678/`, and what was asked.
#[derive(Default)]
struct Repo {
    files: HashMap<String, Reply>,
    requests: Vec<String>,
}

fn serve(repo: Arc<Mutex<Repo>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let repo = repo.clone();
            std::thread::spawn(move || answer(stream, &repo));
        }
    });
    format!("http://{addr}/123456_45678")
}

/// Answers one GET, then closes the connection.
fn answer(stream: TcpStream, repo: &Mutex<Repo>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    let path = line.split(' ').nth(1).unwrap_or_default().to_string();
    let mut authorized = false;
    let expected = seclake_imperva::file::base64(format!("{ID}:{KEY}").as_bytes());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim().split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                if let Some((scheme, credentials)) = value.trim().split_once(' ') {
                    authorized = scheme.eq_ignore_ascii_case("basic") && credentials == expected;
                }
            }
        }
    }
    let reply = {
        let mut repo = repo.lock().unwrap();
        repo.requests.push(path.clone());
        repo.files.get(&path).cloned()
    };
    let mut out = stream;
    let head = |status: &str, len: Option<u64>| {
        let len = len
            .map(|n| format!("Content-Length: {n}\r\n"))
            .unwrap_or_default();
        format!("HTTP/1.1 {status}\r\n{len}Connection: close\r\n\r\n")
    };
    if !authorized {
        let _ = out.write_all(head("401 Unauthorized", Some(0)).as_bytes());
        return;
    }
    match reply {
        None => {
            let _ = out.write_all(head("404 Not Found", Some(0)).as_bytes());
        }
        Some(Reply::Body(b)) => {
            let _ = out.write_all(head("200 OK", Some(b.len() as u64)).as_bytes());
            let _ = out.write_all(&b);
        }
        Some(Reply::Claims(n)) => {
            let _ = out.write_all(head("200 OK", Some(n)).as_bytes());
            let _ = out.flush();
            // Holds the connection until the client gives up on it.
            let _ = reader.read(&mut [0u8; 1]);
        }
        Some(Reply::Endless) => {
            let _ = out.write_all(head("200 OK", None).as_bytes());
            let zeros = vec![0u8; 64 << 10];
            while out.write_all(&zeros).is_ok() {}
        }
    }
}

fn put(repo: &Mutex<Repo>, name: &str, reply: Reply) {
    let mut r = repo.lock().unwrap();
    r.files.insert(format!("/123456_45678/{name}"), reply);
}

fn index(repo: &Mutex<Repo>, text: &str) {
    put(repo, "logs.index", Reply::Body(text.as_bytes().to_vec()));
}

fn events(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| format!("CEF:0|Incapsula|SIEMintegration|1|1|Normal|0| fileId=3412{i} sourceServiceName=site.example\n"))
        .collect::<String>()
        .into_bytes()
}

fn bytes(input: &Input) -> Vec<u8> {
    let mut out = Vec::new();
    input.open(None).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn lake(dir: &tempfile::TempDir) -> Lake {
    Lake::open(dir.path().to_str().unwrap()).unwrap()
}

#[test]
fn the_default_limit_is_the_decoders() {
    assert_eq!(
        DEFAULT_MAX_FILE_BYTES,
        seclake_imperva::file::MAX_FILE_BYTES
    );
}

#[tokio::test]
async fn new_files_once_each_in_order_across_restarts() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    let customer = Customer::default();
    let files: Vec<Vec<u8>> = vec![
        build::log_file("CEF", &events(3), Body::Zlib, None, None),
        build::log_file("CEF", &events(5), Body::Encrypted, Some(&customer), None),
        build::log_file("CEF", &events(2), Body::Plain, None, None),
    ];
    put(&repo, "123456_9.log", Reply::Body(files[0].clone()));
    put(&repo, "123456_10.log", Reply::Body(files[1].clone()));
    put(&repo, "123456_12.log", Reply::Body(files[2].clone()));
    // Out of order, CRLF, a blank line, a stranger, a gap (11).
    index(
        &repo,
        "123456_10.log\r\n123456_9.log\r\n\r\nnotes.txt\r\n123456_12.log\r\n",
    );

    let dir = tempfile::tempdir().unwrap();
    let opts = ImpervaOptions::new(&url, ID, KEY);
    let mut src = ImpervaSource::open("waf", opts.clone(), &lake(&dir))
        .await
        .unwrap();
    assert!(src.position().is_none());
    let polled = src.poll().await.unwrap();
    assert_eq!(polled.ignored_lines, 1);
    assert!(polled.problems.is_empty(), "{:?}", polled.problems);
    let names: Vec<String> = polled.files.iter().map(|(i, _)| i.name()).collect();
    assert_eq!(
        names,
        ["123456_9.log", "123456_10.log", "123456_12.log"].map(|n| format!("{url}/{n}"))
    );
    for ((input, _), served) in polled.files.iter().zip(&files) {
        assert_eq!(&bytes(input), served);
        assert_eq!(input.identity(), format!("imperva:{}", input.name()));
    }

    // The second file is not acknowledged: the third cannot pass it.
    assert!(src.advance(&polled.files[0].1));
    assert!(!src.advance(&polled.files[2].1), "advanced past a file");
    assert_eq!(src.position().unwrap().name, "123456_9.log");
    src.save().await.unwrap();

    // A restart goes on after 9: 10 and 12 again, same identities.
    let mut src = ImpervaSource::open("waf", opts.clone(), &lake(&dir))
        .await
        .unwrap();
    assert_eq!(src.position().unwrap().sequence, 9);
    let again = src.poll().await.unwrap();
    let ids: Vec<String> = again.files.iter().map(|(i, _)| i.identity()).collect();
    let before: Vec<String> = polled.files[1..]
        .iter()
        .map(|(i, _)| i.identity())
        .collect();
    assert_eq!(ids, before);
    for (_, f) in &again.files {
        assert!(src.advance(f));
    }
    src.save().await.unwrap();

    // Imperva adds 13 and drops the old ones: only 13 is fetched.
    let newer = build::log_file("CEF", &events(4), Body::Encrypted, Some(&customer), None);
    put(&repo, "123456_13.log", Reply::Body(newer.clone()));
    index(&repo, "123456_12.log\n123456_13.log\n");
    repo.lock().unwrap().requests.clear();
    let mut src = ImpervaSource::open("waf", opts, &lake(&dir)).await.unwrap();
    assert_eq!(src.position().unwrap().name, "123456_12.log");
    let last = src.poll().await.unwrap();
    assert_eq!(last.files.len(), 1);
    assert_eq!(bytes(&last.files[0].0), newer);
    assert_eq!(
        repo.lock().unwrap().requests,
        ["/123456_45678/logs.index", "/123456_45678/123456_13.log"]
    );
    assert!(src.advance(&last.files[0].1));
    src.save().await.unwrap();
    assert!(src.poll().await.unwrap().files.is_empty(), "nothing new");

    // An index entirely before the position is worth a word.
    index(&repo, "123456_2.log\n");
    let behind = src.poll().await.unwrap();
    assert!(behind.files.is_empty());
    assert!(behind.problems[0].contains("before the position 123456_13.log"));
}

#[tokio::test]
async fn a_poll_is_bounded_in_files_and_bytes() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    let file = build::log_file("CEF", &events(50), Body::Plain, None, None);
    let mut listing = String::new();
    for n in 1..=5 {
        put(&repo, &format!("123456_{n}.log"), Reply::Body(file.clone()));
        listing.push_str(&format!("123456_{n}.log\n"));
    }
    index(&repo, &listing);
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ImpervaOptions::new(&url, ID, KEY);
    opts.max_files_per_poll = 2;
    let mut src = ImpervaSource::open("waf", opts.clone(), &lake(&dir))
        .await
        .unwrap();
    let mut taken = Vec::new();
    loop {
        let polled = src.poll().await.unwrap();
        if polled.files.is_empty() {
            break;
        }
        assert!(polled.files.len() <= 2);
        for (_, f) in &polled.files {
            assert!(src.advance(f));
            taken.push(f.position().sequence);
        }
    }
    assert_eq!(taken, [1, 2, 3, 4, 5]);

    // Bytes: the file that reaches the bound is the last one taken.
    opts.max_files_per_poll = 100;
    opts.max_poll_bytes = file.len() as u64 + 1;
    let mut src = ImpervaSource::open("other", opts, &lake(&dir))
        .await
        .unwrap();
    assert_eq!(src.poll().await.unwrap().files.len(), 2);
}

#[tokio::test]
async fn refused_credentials_name_them() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    index(&repo, "123456_1.log\n");
    let dir = tempfile::tempdir().unwrap();
    let opts = ImpervaOptions::new(&format!("{url}/"), ID, "wrong-key");
    let mut src = ImpervaSource::open("waf", opts, &lake(&dir)).await.unwrap();
    let err = src.poll().await.err().unwrap();
    assert!(err.contains("API id and key were refused"), "{err}");
    assert!(
        err.contains("HTTP 401") && err.contains("/logs.index"),
        "{err}"
    );
    assert!(!err.contains("wrong-key"), "the key is a secret: {err}");
}

#[tokio::test]
async fn oversized_files_are_refused_and_named() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    let small = build::log_file("CEF", &events(2), Body::Zlib, None, None);
    put(&repo, "123456_1.log", Reply::Body(small.clone()));
    put(&repo, "123456_2.log", Reply::Endless);
    put(&repo, "123456_3.log", Reply::Claims(10 << 30));
    put(&repo, "123456_4.log", Reply::Body(small.clone()));
    index(
        &repo,
        "123456_1.log\n123456_2.log\n123456_3.log\n123456_4.log\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ImpervaOptions::new(&url, ID, KEY);
    opts.max_file_bytes = 1 << 20;
    opts.skip_after = 2;
    let mut src = ImpervaSource::open("waf", opts, &lake(&dir)).await.unwrap();

    // The endless file stops the poll after the first file.
    let first = src.poll().await.unwrap();
    assert_eq!(first.files.len(), 1);
    assert_eq!(bytes(&first.files[0].0), small);
    assert_eq!(first.problems.len(), 1);
    let p = &first.problems[0];
    assert!(
        p.contains("123456_2.log") && p.contains("larger than"),
        "{p}"
    );
    assert!(p.contains("1 of 2"), "{p}");
    assert!(src.advance(&first.files[0].1));

    // At the second try both oversized files are skipped, and 4 is taken.
    let second = src.poll().await.unwrap();
    assert_eq!(second.problems.len(), 2, "{:?}", second.problems);
    assert!(second.problems[0].contains("123456_2.log"));
    assert!(second.problems[1].contains("123456_3.log"));
    assert!(
        second.problems[1].contains("1 of 2"),
        "{:?}",
        second.problems
    );
    assert_eq!(second.files.len(), 0, "3 had its first try");
    let third = src.poll().await.unwrap();
    assert_eq!(third.files.len(), 1);
    assert!(third.problems.iter().all(|p| p.contains("skipped")));
    assert!(src.advance(&third.files[0].1));
    assert_eq!(src.position().unwrap().sequence, 4);
}

#[tokio::test]
async fn a_listed_file_missing_is_retried_then_skipped() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    let file = build::log_file("CEF", &events(1), Body::Zlib, None, None);
    put(&repo, "123456_6.log", Reply::Body(file));
    index(&repo, "123456_5.log\n123456_6.log\n");
    let dir = tempfile::tempdir().unwrap();
    let mut src = ImpervaSource::open("waf", ImpervaOptions::new(&url, ID, KEY), &lake(&dir))
        .await
        .unwrap();
    for n in 1..3 {
        let polled = src.poll().await.unwrap();
        assert!(polled.files.is_empty(), "6 waits for 5");
        let p = &polled.problems[0];
        assert!(p.contains("123456_5.log") && p.contains("404"), "{p}");
        assert!(p.contains(&format!("{n} of 3")), "{p}");
    }
    let polled = src.poll().await.unwrap();
    assert!(polled.problems[0].contains("skipped after 3 polls"));
    assert_eq!(polled.files.len(), 1);
    assert_eq!(polled.files[0].1.position().name, "123456_6.log");
}

#[tokio::test]
async fn no_index_is_an_error() {
    let repo = Arc::new(Mutex::new(Repo::default()));
    let url = serve(repo.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut src = ImpervaSource::open("waf", ImpervaOptions::new(&url, ID, KEY), &lake(&dir))
        .await
        .unwrap();
    let err = src.poll().await.err().unwrap();
    assert!(err.contains("logs.index") && err.contains("404"), "{err}");
    assert!(
        ImpervaSource::open("waf", ImpervaOptions::new("ftp://x/", ID, KEY), &lake(&dir))
            .await
            .is_err()
    );
}

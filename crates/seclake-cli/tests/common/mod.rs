//! Running the `seclake` binary from the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub mod hook;
pub mod rules;

/// Environment variables for a command (an S3 server's endpoint, keys).
pub type Envs = [(&'static str, String)];

pub fn seclake() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seclake"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `out`, after checking that the command succeeded (the failure shows
/// its exit status and output).
pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Runs `seclake ARGS` with `envs`; it must succeed.
pub fn run(args: &[&str], envs: &Envs) -> Output {
    ok(seclake()
        .args(args)
        .envs(envs.iter().cloned())
        .output()
        .unwrap())
}

/// `seclake query --format csv [EXTRA] SQL` on `lake`: the rows without
/// the header, split at commas.
pub fn query(lake: &str, extra: &[&str], sql: &str, envs: &Envs) -> Vec<Vec<String>> {
    let mut args = vec!["query", "--lake", lake, "--format", "csv"];
    args.extend_from_slice(extra);
    args.push(sql);
    text(&run(&args, envs).stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The environment that points the AWS clients at a test S3 server.
pub fn s3_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ]
}

/// A small deterministic generator for the kill tests; print the seed for
/// replay.
pub struct Lcg(pub u64);

impl Lcg {
    /// Seeded from the clock; the seed is printed for a replay.
    pub fn seeded() -> Lcg {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("seed {seed}");
        Lcg(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A port free on 127.0.0.1 (for TCP; UDP's is then almost surely free).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// SIGTERM, then the process's output once it exited.
pub fn stop(child: std::process::Child) -> Output {
    signal(&child, "TERM");
    child.wait_with_output().unwrap()
}

/// Sends `SIG` (`TERM`, `KILL`) to `child`.
pub fn signal(child: &std::process::Child, sig: &str) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([&format!("-{sig}"), &pid])
        .status()
        .unwrap()
        .success());
}

/// `seclake serve --config CFG`, its log piped.
pub fn spawn_serve(cfg: &std::path::Path) -> std::process::Child {
    seclake()
        .args(["serve", "--config"])
        .arg(cfg)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate,
/// made with the openssl command line in `dir`.
pub fn certificates(dir: &std::path::Path) {
    let sh = |script: &str| {
        let out = Command::new("sh")
            .args(["-ec", script])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    sh(&format!(
        "openssl req -x509 {key} -keyout ca.key -out ca.pem -subj /CN=test-ca -days 2
         printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n' > server.ext
         printf 'extendedKeyUsage=clientAuth\\nbasicConstraints=CA:FALSE\\n' > client.ext
         for who in server client; do
           openssl req {key} -keyout $who.key -out $who.csr -subj /CN=$who
           openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days 2 -extfile $who.ext
         done"
    ));
}

/// `inputs` files `flows-<i>.log` in `dir`, file `i` holding
/// [`vpc_flows`]`(i, lines, 3)`; their paths.
pub fn vpc_flow_files(dir: &std::path::Path, inputs: usize, lines: usize) -> Vec<String> {
    (0..inputs)
        .map(|i| {
            let p = dir.join(format!("flows-{i}.log"));
            std::fs::write(&p, vpc_flows(i, lines, 3)).unwrap();
            p.display().to_string()
        })
        .collect()
}

/// `lines` VPC Flow records of account `1000000000NN` (`account` as two
/// digits), one every `step` seconds from 2023-11-14T22:13:20Z, with
/// varied addresses and ports: the crash tests' inputs.
pub fn vpc_flows(account: usize, lines: usize, step: u64) -> String {
    let mut text = String::new();
    for n in 0..lines {
        let t = 1_700_000_000 + (n as u64) * step;
        text.push_str(&format!(
            "2 1000000000{account:02} eni-{n:08x} 10.0.{}.{} 10.1.0.1 443 {} 6 1 1 {t} {t} ACCEPT OK\n",
            n % 250,
            n % 199,
            n % 60000 + 1
        ));
    }
    text
}
